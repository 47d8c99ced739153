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
    revision: int = Field(
        default=1, ge=1, description="1 when first reported; a revised (pending or rejected) activity counts up"
    )


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
    """The activity's current revision ends without counting: the superior rejected it (the ASN may revise it),
    or, with `withdrawn`, the ASN withdrew (tarik) it while it was pending (final; `verifier_id` is the ASN)."""

    activity_id: UUID
    asn_id: UUID
    verifier_id: UUID
    reason: str = Field(max_length=500)
    withdrawn: bool = Field(
        default=False, description="True when the ASN withdrew their own pending activity; it will not come back"
    )


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


@event("id.kinerja.activity.leave_recorded.v1", topic=ACTIVITY, source=SOURCE, subject="leave_id")
class LeaveRecorded(Event):
    """An ASN is excused (cuti, dinas luar, sakit) on these dates; each working day also gets AttendanceRecorded."""

    leave_id: UUID
    asn_id: UUID
    status: AttendanceStatus = Field(description="cuti, dinas_luar or sakit")
    start_date: date
    end_date: date
    working_days: int = Field(ge=0, description="working days (Mon–Fri minus the regency's holidays) in the range")
    recorded_by: UUID | None = Field(default=None, description="ASN UUID of who recorded it (superior or BKPSDM)")


@event("id.kinerja.activity.verification_overdue.v1", topic=ACTIVITY, source=SOURCE, subject="activity_id")
class ActivityVerificationOverdue(Event):
    """An activity has waited longer than the regency's limit (default 2 working days) for its superior.

    Sent once per activity (Table R1 verification_pending); evaluation decides whom to notify.
    """

    activity_id: UUID
    asn_id: UUID
    superior_id: UUID | None = Field(description="direct or acting superior expected to verify; None if unknown")
    activity_date: date
    reported_at: datetime
    pending_working_days: int = Field(ge=0)
