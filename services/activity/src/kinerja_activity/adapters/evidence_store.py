"""Evidence files on a volume, content-addressed: <dir>/ab/cd/<sha256>; the same bytes are stored once."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{64}$")


class FileEvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not _SHA.match(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def put(self, sha256: str, content: bytes) -> None:
        await asyncio.to_thread(self._put, sha256, content)

    def _put(self, sha256: str, content: bytes) -> None:
        target = self.path(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        # write then rename: a reader never sees half a file, two writers of the same bytes both succeed
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".up-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def get(self, sha256: str) -> bytes:
        return await asyncio.to_thread(self.path(sha256).read_bytes)
