"""Pseudonymised events for other agencies on kinerja.public.performance.v1."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.registry import event
from kinerja_shared.topics import PUBLIC_PERFORMANCE

SOURCE = "/kinerja/evaluation"


@event("id.kinerja.public.performance_published.v1", topic=PUBLIC_PERFORMANCE, source=SOURCE, key="pseudonym")
class PerformancePublished(Event):
    """A final predikat for a pseudonymous ASN (keyed HMAC of the internal id; no NIP, no name).

    A later event for the same pseudonym and period (`revision` higher) replaces the earlier one, e.g. after a
    keberatan was granted.
    """

    pseudonym: str = Field(pattern=r"^[0-9a-f]{64}$")
    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")
    predikat: str
    unit_kind: str = Field(max_length=40)
    score: Decimal | None = Field(default=None, ge=0, le=100, description="Kinerja's 0–100 score (Table S1)")
    unit_pseudonym: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description="keyed HMAC of the work unit, same key as `pseudonym`"
    )
    key_id: str | None = Field(
        default=None, max_length=32, description="id of the pseudonym key; changes when the regency rotates it"
    )
    revision: int = Field(default=1, ge=1, description="1 when finalised; +1 for each later change (keberatan)")
