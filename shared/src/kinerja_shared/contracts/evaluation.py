"""Facts from the evaluation service on kinerja.evaluation.v1, keyed by ASN UUID."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.registry import event
from kinerja_shared.topics import EVALUATION

SOURCE = "/kinerja/evaluation"


class Aspect(StrEnum):
    KUANTITAS = "kuantitas"
    KUALITAS = "kualitas"
    WAKTU = "waktu"
    BIAYA = "biaya"


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher"
    LOWER_IS_BETTER = "lower"


class IndicatorTarget(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    indicator_id: UUID
    rhk_id: UUID
    name: str = Field(max_length=300)
    target: Decimal = Field(ge=0)
    unit: str = Field(max_length=40)
    aspect: Aspect
    direction: Direction
    weight: Decimal = Field(gt=0, le=100)


@event("id.kinerja.evaluation.skp_submitted.v1", topic=EVALUATION, source=SOURCE, subject="skp_id")
class SkpSubmitted(Event):
    skp_id: UUID
    asn_id: UUID
    superior_id: UUID
    year: int = Field(ge=2020, le=2100)
    version: int = Field(ge=1)


@event("id.kinerja.evaluation.skp_approved.v1", topic=EVALUATION, source=SOURCE, subject="skp_id")
class SkpApproved(Event):
    """The SKP's targets are agreed; activity and scoring use these indicators."""

    skp_id: UUID
    asn_id: UUID
    approver_id: UUID
    year: int = Field(ge=2020, le=2100)
    version: int = Field(ge=1)
    indicators: tuple[IndicatorTarget, ...]


@event("id.kinerja.evaluation.realisasi_reported.v1", topic=EVALUATION, source=SOURCE, subject="indicator_id")
class RealisasiReported(Event):
    asn_id: UUID
    indicator_id: UUID
    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$", description="2026-Q3, 2026-M07, 2026-Y")
    realisasi: Decimal = Field(ge=0)


@event("id.kinerja.evaluation.realisasi_confirmed.v1", topic=EVALUATION, source=SOURCE, subject="indicator_id")
class RealisasiConfirmed(Event):
    asn_id: UUID
    indicator_id: UUID
    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")
    realisasi: Decimal = Field(ge=0)
    capaian: Decimal = Field(ge=0, description="Table P3, percent")
    confirmed_by: UUID


@event("id.kinerja.evaluation.skp_revision_requested.v1", topic=EVALUATION, source=SOURCE, subject="skp_id")
class SkpRevisionRequested(Event):
    """The assessor sent the SKP back to the ASN with a comment; the ASN edits and submits again."""

    skp_id: UUID
    asn_id: UUID
    reviewer_id: UUID
    year: int = Field(ge=2020, le=2100)
    version: int = Field(ge=1)
    comment: str = Field(max_length=2000)


@event("id.kinerja.evaluation.realisasi_returned.v1", topic=EVALUATION, source=SOURCE, subject="indicator_id")
class RealisasiReturned(Event):
    """The assessor returned a reported realisasi (e.g. missing evidence); the ASN reports it again."""

    asn_id: UUID
    indicator_id: UUID
    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")
    returned_by: UUID
    comment: str = Field(max_length=2000)
