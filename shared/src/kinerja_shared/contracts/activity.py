"""Facts from the activity service on kinerja.activity.v1, keyed by ASN UUID."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import Field

from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.registry import event
from kinerja_shared.topics import ACTIVITY

SOURCE = "/kinerja/activity"


@event("id.kinerja.activity.reported.v1", topic=ACTIVITY, source=SOURCE, subject="activity_id")
class ActivityReported(Event):
    """An ASN reported a daily activity (kegiatan harian) linked to one of their RHK indicators."""

    activity_id: UUID
    asn_id: UUID
    activity_date: date
    minutes: int = Field(ge=1, le=24 * 60)
    indicator_id: UUID | None = None
    quantity: Decimal = Field(default=Decimal(0), ge=0)
    output: str = Field(default="", max_length=200)


@event("id.kinerja.activity.verified.v1", topic=ACTIVITY, source=SOURCE, subject="activity_id")
class ActivityVerified(Event):
    """The direct superior accepted an activity; its minutes now count."""

    activity_id: UUID
    asn_id: UUID
    verifier_id: UUID
    activity_date: date
    minutes: int = Field(ge=1, le=24 * 60)
    indicator_id: UUID | None = None


@event("id.kinerja.activity.rejected.v1", topic=ACTIVITY, source=SOURCE, subject="activity_id")
class ActivityRejected(Event):
    activity_id: UUID
    asn_id: UUID
    verifier_id: UUID
    reason: str = Field(max_length=500)


class AttendanceStatus(StrEnum):
    PRESENT = "hadir"
    LEAVE = "cuti"
    OFFICIAL_TRAVEL = "dinas_luar"
    SICK = "sakit"
    ABSENT = "alpa"


@event("id.kinerja.activity.attendance_recorded.v1", topic=ACTIVITY, source=SOURCE)
class AttendanceRecorded(Event):
    """One working day's attendance for an ASN, with the minutes that Table T1 deducts for."""

    asn_id: UUID
    work_date: date
    status: AttendanceStatus
    check_in: datetime | None = None
    check_out: datetime | None = None
    late_minutes: int = Field(default=0, ge=0)
    early_leave_minutes: int = Field(default=0, ge=0)
    apel_attended: bool | None = None
