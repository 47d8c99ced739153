"""Daily activity (kegiatan harian) rules: time ranges, the open reporting period, RHK links, quota, edit window.

PermenPANRB 6/2022: the ASN records daily activities linked to an RHK of their approved SKP; the direct
superior verifies them. The daily log supports evaluation of results; Table T1 may weigh verified minutes
against a monthly quota (default 6,750 minutes, per-regency config).
"""

from __future__ import annotations

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
    same_day: Iterable[TimeRange] = (),
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
        for other in same_day:
            if draft.range.overlaps(other):
                out.append(
                    Violation(
                        "start_time",
                        f"Waktu bertumpang tindih dengan kegiatan lain ({other.start:%H:%M}–{other.end:%H:%M}).",
                        "overlap",
                    )
                )
                break
    return out


def ensure_editable(status: ActivityStatus) -> None:
    """An ASN may change a pending or rejected activity; a verified one is final."""
    if status is ActivityStatus.VERIFIED:
        raise StateConflict("Kegiatan sudah diverifikasi atasan dan tidak dapat diubah.", "activity_verified")


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
