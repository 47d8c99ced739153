"""Facts from the evaluation service on kinerja.evaluation.v1, keyed by ASN UUID."""

from __future__ import annotations

from datetime import datetime
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


class ExpectationRating(StrEnum):
    """Rating of hasil kerja or perilaku against expectation (Table P1's rows and columns)."""

    DI_ATAS = "di_atas_ekspektasi"
    SESUAI = "sesuai_ekspektasi"
    DI_BAWAH = "di_bawah_ekspektasi"


class PredikatKinerja(StrEnum):
    """The five official predikat (Table P1), best first."""

    SANGAT_BAIK = "sangat_baik"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang"
    SANGAT_KURANG = "sangat_kurang"


class RhkAssessment(BaseModel):
    """The pejabat penilai's rating of one RHK: the proposal from capaian and, if overridden, why."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    rhk_id: UUID
    capaian: Decimal | None = Field(default=None, ge=0, description="RHK capaian (Table P3) the proposal came from")
    proposed: ExpectationRating | None = None
    rating: ExpectationRating
    override_reason: str | None = Field(default=None, max_length=1000)


class ValueAssessment(BaseModel):
    """One BerAKHLAK value rated by the pejabat penilai (Table B1)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    value: str = Field(max_length=40, description="berorientasi_pelayanan, akuntabel, … (Table B1)")
    rating: ExpectationRating


@event(
    "id.kinerja.evaluation.periodic_evaluation_submitted.v1", topic=EVALUATION, source=SOURCE, subject="evaluation_id"
)
class PeriodicEvaluationSubmitted(Event):
    """A pejabat penilai submitted an ASN's periodic (or annual) evaluation; immutable, a correction is version + 1.

    The predikat is Table P1 of `hasil_rating` and `perilaku_rating`; the latest version of a period counts.
    """

    evaluation_id: UUID
    asn_id: UUID
    assessor_id: UUID
    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")
    version: int = Field(ge=1)
    rhk: tuple[RhkAssessment, ...] = ()
    hasil_rating: ExpectationRating
    values: tuple[ValueAssessment, ...] = Field(min_length=7, max_length=7)
    perilaku_rating: ExpectationRating
    predikat: PredikatKinerja
    integrity_finding: bool = Field(default=False, description="an integrity finding (Table R1 sanction_review)")


@event("id.kinerja.evaluation.innovation_verified.v1", topic=EVALUATION, source=SOURCE, subject="innovation_id")
class InnovationVerified(Event):
    """A superior verified an innovation an ASN registered for a period (Table S1 inovasi: 0/1/≥2)."""

    innovation_id: UUID
    asn_id: UUID
    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")
    title: str = Field(min_length=1, max_length=200)
    verified_by: UUID


# ---------------------------------------------------------------- tindak lanjut (issue 9)
@event("id.kinerja.evaluation.period_finalized.v1", topic=EVALUATION, source=SOURCE, subject="period")
class PeriodFinalized(Event):
    """An ASN's result for a period is final (Table R1 evaluation_finalized): the objection window opens."""

    asn_id: UUID
    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")
    predikat: PredikatKinerja
    score: Decimal | None = Field(default=None, ge=0, le=100)
    rule_version: int = Field(ge=1, description="the regency's rule set version the result was finalised under")
    objection_until: datetime = Field(description="end of the keberatan window")


@event("id.kinerja.evaluation.keberatan_filed.v1", topic=EVALUATION, source=SOURCE, subject="keberatan_id")
class KeberatanFiled(Event):
    """An ASN objected to a final predikat within the window; the atasan pejabat penilai decides by `decide_by`."""

    keberatan_id: UUID
    asn_id: UUID
    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")
    decide_by: datetime


@event("id.kinerja.evaluation.keberatan_decided.v1", topic=EVALUATION, source=SOURCE, subject="keberatan_id")
class KeberatanDecided(Event):
    """The atasan pejabat penilai decided an objection; `new_predikat` is the final predikat from now on."""

    keberatan_id: UUID
    asn_id: UUID
    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")
    decided_by: UUID
    accepted: bool
    old_predikat: PredikatKinerja
    new_predikat: PredikatKinerja


@event("id.kinerja.evaluation.award_approved.v1", topic=EVALUATION, source=SOURCE, subject="award_id")
class AwardApproved(Event):
    """BKPSDM approved an award (Table R1 award_candidate): a piagam exists; an incentive goes to the TPP export."""

    award_id: UUID
    asn_id: UUID
    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")
    incentive: Decimal | None = Field(default=None, ge=0, description="proposed incentive, whole Rupiah")
