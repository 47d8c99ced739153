"""Facts from the feedback service on kinerja.feedback.v1.

Unit-level facts (SKM, complaints) are keyed by unit UUID; the 360 summary by the ratee's ASN UUID. Who rated,
and a citizen's contact data or complaint text, never leave the feedback service: only counts and dates do.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.registry import event
from kinerja_shared.topics import FEEDBACK

SOURCE = "/kinerja/feedback"
PERIOD_PATTERN = r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$"


@event(
    "id.kinerja.feedback.survey_submitted.v1",
    topic=FEEDBACK,
    source=SOURCE,
    key="unit_id",
    subject="response_id",
)
class SurveySubmitted(Event):
    """One anonymous SKM response: the nine unsur (Table Q1) on the 1–4 scale."""

    response_id: UUID
    unit_id: UUID
    period: str = Field(pattern=PERIOD_PATTERN)
    answers: tuple[int, int, int, int, int, int, int, int, int] = Field(description="U1..U9, each 1..4")


class BerakhlakValue(StrEnum):
    """The seven BerAKHLAK core values (Table B1)."""

    BERORIENTASI_PELAYANAN = "berorientasi_pelayanan"
    AKUNTABEL = "akuntabel"
    KOMPETEN = "kompeten"
    HARMONIS = "harmonis"
    LOYAL = "loyal"
    ADAPTIF = "adaptif"
    KOLABORATIF = "kolaboratif"


class ValueSummary(BaseModel):
    """How many raters put the ratee above, at or below expectation on one value."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    value: BerakhlakValue
    di_atas: int = Field(ge=0)
    sesuai: int = Field(ge=0)
    di_bawah: int = Field(ge=0)
    score: Decimal = Field(ge=0, le=100, description="mean on Table S1's scale: Di Atas 100, Sesuai 80, Di Bawah 50")


@event(
    "id.kinerja.feedback.peer_feedback_summarized.v1",
    topic=FEEDBACK,
    source=SOURCE,
    key="asn_id",
    subject="request_id",
)
class PeerFeedbackSummarized(Event):
    """The 360 aggregate for an ASN and period, sent once enough raters answered and again on each new answer.

    Aggregate only: no rater, relation or comment is in it; `version` grows with each update (latest wins).
    """

    request_id: UUID = Field(description="the 360 round (one per ASN and period)")
    asn_id: UUID = Field(description="the ratee")
    period: str = Field(pattern=PERIOD_PATTERN)
    raters: int = Field(ge=1, description="how many answered")
    version: int = Field(ge=1)
    values: tuple[ValueSummary, ...] = Field(min_length=7, max_length=7)


class _ComplaintFact(Event):
    complaint_id: UUID
    unit_id: UUID
    assigned_asn_id: UUID | None = Field(default=None, description="the ASN handling it, once assigned")


@event("id.kinerja.feedback.complaint_filed.v1", topic=FEEDBACK, source=SOURCE, key="unit_id", subject="complaint_id")
class ComplaintFiled(_ComplaintFact):
    """A citizen filed a complaint (pengaduan) about a unit; due dates in working days (Table C1)."""

    response_due: date
    resolution_due: date


@event(
    "id.kinerja.feedback.complaint_assigned.v1", topic=FEEDBACK, source=SOURCE, key="unit_id", subject="complaint_id"
)
class ComplaintAssigned(_ComplaintFact):
    """The unit gave the complaint to one of its ASN."""


@event(
    "id.kinerja.feedback.complaint_responded.v1", topic=FEEDBACK, source=SOURCE, key="unit_id", subject="complaint_id"
)
class ComplaintResponded(_ComplaintFact):
    """The unit's first response to the citizen."""

    responded_by: UUID = Field(description="ASN who wrote it")
    working_days: int = Field(ge=0, description="working days from filing to the response")
    on_time: bool


@event(
    "id.kinerja.feedback.complaint_resolved.v1", topic=FEEDBACK, source=SOURCE, key="unit_id", subject="complaint_id"
)
class ComplaintResolved(_ComplaintFact):
    """The unit declared the complaint resolved (the citizen may still confirm or reopen it)."""

    resolved_by: UUID
    working_days: int = Field(ge=0, description="working days from filing to resolution")
    on_time: bool


class CitizenVerdict(StrEnum):
    CONFIRMED = "dikonfirmasi"
    REOPENED = "dibuka_kembali"


@event(
    "id.kinerja.feedback.complaint_reviewed.v1", topic=FEEDBACK, source=SOURCE, key="unit_id", subject="complaint_id"
)
class ComplaintReviewed(_ComplaintFact):
    """The citizen confirmed the resolution or reopened the complaint (a reopened one is not resolved)."""

    verdict: CitizenVerdict
