"""Live inbox updates: one LISTEN connection per API process, fanned out to each open page of a recipient."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator

import asyncpg

CHANNEL = "kinerja_inbox"


class InboxBroadcaster:
    """Opens its connection with the first listener and closes it with the last, so idle APIs hold none."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: asyncpg.Connection | None = None
        self._subs: dict[uuid.UUID, set[asyncio.Event]] = defaultdict(set)
        self._lock = asyncio.Lock()

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            for ev in self._subs.get(uuid.UUID(payload), ()):
                ev.set()

    @contextlib.asynccontextmanager
    async def subscribe(self, recipient: uuid.UUID) -> AsyncIterator[asyncio.Event]:
        """An event set whenever the recipient's inbox changes (new item, read); clear it after handling."""
        ev = asyncio.Event()
        async with self._lock:
            if self._conn is None or self._conn.is_closed():
                self._conn = await asyncpg.connect(self._dsn)
                await self._conn.add_listener(CHANNEL, self._on_notify)
            self._subs[recipient].add(ev)
        try:
            yield ev
        finally:
            async with self._lock:
                self._subs[recipient].discard(ev)
                if not self._subs[recipient]:
                    del self._subs[recipient]
                if not self._subs and self._conn is not None:
                    conn, self._conn = self._conn, None
                    with contextlib.suppress(Exception):
                        await conn.close()

    @property
    def healthy(self) -> bool:
        return self._conn is None or not self._conn.is_closed()
