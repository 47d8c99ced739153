"""Daily activity (kegiatan harian) rules: time ranges, the open reporting period, RHK links, quota, edit window.

PermenPANRB 6/2022: the ASN records daily activities linked to an RHK of their approved SKP; the direct
superior verifies them. The daily log supports evaluation of results; Table T1 may weigh verified minutes
against a monthly quota (default 6,750 minutes, per-regency config).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final
from uuid import UUID

from kinerja_activity.domain.errors import StateConflict, Violation

DEFAULT_MONTHLY_QUOTA_MINUTES: Final = 6_750  # Table T1 default
DEFAULT_REPORT_GRACE_DAYS: Final = 5  # last month stays open until the 5th (config)
DEFAULT_OVERDUE_WORKING_DAYS: Final = 2  # Table R1 verification_pending


class ActivityStatus(StrEnum):
    PENDING = "menunggu"
    VERIFIED = "diverifikasi"
    REJECTED = "ditolak"
    WITHDRAWN = "ditarik"


@dataclass(frozen=True, slots=True)
class ActivityRules:
    """A regency's configuration for activities; defaults from DOMAIN.md."""

    monthly_quota_minutes: int = DEFAULT_MONTHLY_QUOTA_MINUTES
    report_grace_days: int = DEFAULT_REPORT_GRACE_DAYS
    overdue_working_days: int = DEFAULT_OVERDUE_WORKING_DAYS


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: time
    end: time

    def overlaps(self, other: TimeRange) -> bool:
        # touching ranges (08:00–09:00 then 09:00–10:00) are consecutive work, not overlap
        return self.start < other.end and other.start < self.end


class DaySchedule:
    """One ASN's accepted ranges on one day, sorted; accepted ranges never overlap, so a new range can only
    collide with its neighbours (bisect: a 500-item batch costs n log n, not n²)."""

    __slots__ = ("_ranges", "_starts")

    def __init__(self, ranges: Iterable[TimeRange] = ()) -> None:
        self._ranges = sorted(ranges, key=lambda r: (r.start, r.end))
        self._starts = [r.start for r in self._ranges]

    def first_overlap(self, new: TimeRange) -> TimeRange | None:
        i = bisect_left(self._starts, new.start)
        for j in (i - 1, i):
            if 0 <= j < len(self._ranges) and self._ranges[j].overlaps(new):
                return self._ranges[j]
        return None

    def add(self, new: TimeRange) -> None:
        i = bisect_left(self._starts, new.start)
        self._starts.insert(i, new.start)
        self._ranges.insert(i, new)


@dataclass(frozen=True, slots=True)
class ActivityDraft:
    """What an ASN reports; times are wall-clock Asia/Jakarta on activity_date."""

    activity_date: date
    start: time
    end: time
    description: str
    quantity: Decimal
    output: str
    indicator_id: UUID

    @property
    def range(self) -> TimeRange:
        return TimeRange(self.start, self.end)


def minutes_between(start: time, end: time) -> int:
    """Whole minutes from start to end on one day."""
    d = date(2000, 1, 1)
    return int((datetime.combine(d, end) - datetime.combine(d, start)).total_seconds() // 60)


def open_period_start(today: date, grace_days: int) -> date:
    """First date still open for reporting: this month, and last month until its grace day has passed."""
    first = today.replace(day=1)
    if today.day <= grace_days:
        return (first - timedelta(days=1)).replace(day=1)
    return first


def check_draft(
    draft: ActivityDraft,
    *,
    today: date,
    rules: ActivityRules,
    approved_indicators: Collection[UUID],
    same_day: Iterable[TimeRange] | DaySchedule = (),
) -> list[Violation]:
    """Every rule the draft breaks (empty when it may be accepted). `same_day` = the ASN's other ranges that day."""
    out: list[Violation] = []
    if draft.end <= draft.start:
        out.append(Violation("end_time", "Jam selesai harus setelah jam mulai.", "end_before_start"))
    elif minutes_between(draft.start, draft.end) < 1:
        out.append(Violation("end_time", "Kegiatan minimal satu menit.", "too_short"))
    if draft.activity_date > today:
        out.append(Violation("activity_date", "Tanggal kegiatan tidak boleh di masa depan.", "future_date"))
    elif draft.activity_date < open_period_start(today, rules.report_grace_days):
        out.append(
            Violation(
                "activity_date",
                "Periode pelaporan untuk tanggal ini sudah ditutup.",
                "closed_period",
            )
        )
    if draft.indicator_id not in approved_indicators:
        out.append(
            Violation(
                "indicator_id",
                "Indikator/RHK ini tidak ada dalam SKP Anda yang sudah disetujui.",
                "indicator_not_approved",
            )
        )
    if draft.end > draft.start:
        schedule = same_day if isinstance(same_day, DaySchedule) else DaySchedule(same_day)
        other = schedule.first_overlap(draft.range)
        if other is not None:
            out.append(
                Violation(
                    "start_time",
                    f"Waktu bertumpang tindih dengan kegiatan lain ({other.start:%H:%M}–{other.end:%H:%M}).",
                    "overlap",
                )
            )
    return out


def ensure_editable(status: ActivityStatus) -> None:
    """An ASN may change a pending or rejected activity; a verified or withdrawn one is final."""
    if status is ActivityStatus.VERIFIED:
        raise StateConflict("Kegiatan sudah diverifikasi atasan dan tidak dapat diubah.", "activity_verified")
    if status is ActivityStatus.WITHDRAWN:
        raise StateConflict("Kegiatan sudah ditarik dan tidak dapat diubah.", "activity_withdrawn")


def ensure_withdrawable(status: ActivityStatus) -> bool:
    """The ASN may withdraw (tarik) an activity only while it waits for verification.

    True to apply, False when already withdrawn (a retried tap is a no-op); a decided one raises (HTTP 409).
    """
    if status is ActivityStatus.PENDING:
        return True
    if status is ActivityStatus.WITHDRAWN:
        return False
    if status is ActivityStatus.VERIFIED:
        raise StateConflict("Kegiatan sudah diverifikasi dan tidak dapat ditarik.", "already_verified")
    raise StateConflict("Hanya kegiatan yang menunggu verifikasi yang dapat ditarik.", "already_rejected")


def ensure_verifiable(status: ActivityStatus, *, approve: bool) -> bool:
    """Whether a decision changes anything: True to apply, False for an idempotent repeat; raises on conflict.

    Approving an approved activity again is a no-op (bulk approve retried); any other change of a decided
    activity is refused, since the ASN must revise a rejected one first.
    """
    if status is ActivityStatus.PENDING:
        return True
    if approve and status is ActivityStatus.VERIFIED:
        return False
    if status is ActivityStatus.VERIFIED:
        raise StateConflict("Kegiatan sudah diverifikasi.", "already_verified")
    if status is ActivityStatus.WITHDRAWN:
        raise StateConflict("Kegiatan sudah ditarik oleh pegawai.", "withdrawn")
    raise StateConflict("Kegiatan sudah ditolak; menunggu perbaikan dari pegawai.", "already_rejected")


def quota_percent(minutes: int, quota: int) -> Decimal:
    """Minutes as a percentage of the monthly quota, one decimal, half up (may exceed 100)."""
    if quota <= 0:
        return Decimal(0)
    return (Decimal(minutes) * 100 / Decimal(quota)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def quota_factor(verified_minutes: int, quota: int) -> Decimal:
    """Table T1 optional kinerja multiplier: min(1, verified activity minutes / quota)."""
    if quota <= 0:
        return Decimal(1)
    return min(Decimal(1), Decimal(verified_minutes) / Decimal(quota))
