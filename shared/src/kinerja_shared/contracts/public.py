"""Pseudonymised events for other agencies on kinerja.public.performance.v1."""

from __future__ import annotations

from pydantic import Field

from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.registry import event
from kinerja_shared.topics import PUBLIC_PERFORMANCE

SOURCE = "/kinerja/evaluation"


@event("id.kinerja.public.performance_published.v1", topic=PUBLIC_PERFORMANCE, source=SOURCE, key="pseudonym")
class PerformancePublished(Event):
    """A final predikat for a pseudonymous ASN (keyed HMAC of the internal id; no NIP, no name)."""

    pseudonym: str = Field(pattern=r"^[0-9a-f]{64}$")
    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")
    predikat: str
    unit_kind: str = Field(max_length=40)
