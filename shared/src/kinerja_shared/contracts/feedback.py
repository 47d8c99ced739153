"""Facts from the feedback service on kinerja.feedback.v1 (unit-level ones keyed by unit UUID)."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.registry import event
from kinerja_shared.topics import FEEDBACK

SOURCE = "/kinerja/feedback"


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
    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")
    answers: tuple[int, int, int, int, int, int, int, int, int] = Field(description="U1..U9, each 1..4")


@event("id.kinerja.feedback.peer_feedback_given.v1", topic=FEEDBACK, source=SOURCE, subject="feedback_id")
class PeerFeedbackGiven(Event):
    """A 360 rating of the ratee's BerAKHLAK behaviour; the rater stays anonymous (not in the event)."""

    feedback_id: UUID
    asn_id: UUID = Field(description="the ratee")
    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")
    relation: str = Field(pattern=r"^(peer|subordinate|other)$")
    ratings: dict[str, int] = Field(description="BerAKHLAK value → 1 (di bawah) .. 3 (di atas)")
