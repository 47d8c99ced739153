"""Evidence files (bukti kegiatan): which kinds are accepted, recognised by their content, not their name."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from kinerja_activity.domain.errors import InvalidInput, Violation


class EvidenceKind(StrEnum):
    JPEG = "image/jpeg"
    PNG = "image/png"
    WEBP = "image/webp"
    PDF = "application/pdf"


def sniff(content: bytes) -> EvidenceKind | None:
    """The file's real type from its magic bytes; None for anything we do not accept."""
    if content.startswith(b"\xff\xd8\xff"):
        return EvidenceKind.JPEG
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return EvidenceKind.PNG
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return EvidenceKind.WEBP
    if content.startswith(b"%PDF-"):
        return EvidenceKind.PDF
    return None


@dataclass(frozen=True, slots=True)
class CheckedEvidence:
    sha256: str
    kind: EvidenceKind
    size: int


def check_evidence(content: bytes, *, max_bytes: int, field: str = "evidence") -> CheckedEvidence:
    """Accept a photo (JPEG/PNG/WebP) or PDF no larger than max_bytes; its id is the SHA-256 of the bytes."""
    if not content:
        raise InvalidInput([Violation(field, "Berkas kosong.", "evidence_empty")])
    if len(content) > max_bytes:
        mb = max_bytes / (1024 * 1024)
        raise InvalidInput([Violation(field, f"Berkas terlalu besar (maksimal {mb:g} MB).", "evidence_too_large")])
    kind = sniff(content)
    if kind is None:
        raise InvalidInput(
            [Violation(field, "Jenis berkas tidak didukung: unggah foto (JPEG/PNG/WebP) atau PDF.", "evidence_type")]
        )
    return CheckedEvidence(hashlib.sha256(content).hexdigest(), kind, len(content))
