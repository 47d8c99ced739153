"""Scores on the compacted kinerja.score.v1: the latest per ASN per period (key asn:period)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from pydantic import Field

from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.registry import event
from kinerja_shared.topics import SCORE

SOURCE = "/kinerja/evaluation"


@event("id.kinerja.score.updated.v1", topic=SCORE, source=SOURCE, key="score_key", subject="asn_id")
class ScoreUpdated(Event):
    """An ASN's score and predikat for a period changed; `inputs` explain every number."""

    score_key: str = Field(pattern=r"^[0-9a-f-]{36}:\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$", description="asn:period")
    asn_id: UUID
    period: str
    score: Decimal = Field(ge=0, le=100)
    predikat: str | None = None
    inputs: dict[str, Decimal] = Field(default_factory=dict)
