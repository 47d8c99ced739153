"""Attendance (kehadiran): office hours, lateness and early-leave minutes, and Table T1's disiplin deductions.

Table T1 (DOMAIN.md; every number per-regency config): deductions per day for late arrival or early leave
1–30 min 0.5%, 31–60 min 1%, 61–90 min 1.25%, ≥ 91 min or no record 1.5%; missed apel 2%; absent without
reason 3%; the month's total capped at 100%. This service records the minutes; evaluation pays TPP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from kinerja_activity.domain.errors import InvalidInput, Violation

JAKARTA: Final = ZoneInfo("Asia/Jakarta")


class AttendanceStatus(StrEnum):
    """Same values as kinerja_shared.contracts.activity.AttendanceStatus (the domain stays stdlib-only)."""

    PRESENT = "hadir"
    LEAVE = "cuti"
    OFFICIAL_TRAVEL = "dinas_luar"
    SICK = "sakit"
    ABSENT = "alpa"


EXCUSED: Final = frozenset({AttendanceStatus.LEAVE, AttendanceStatus.OFFICIAL_TRAVEL, AttendanceStatus.SICK})


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """A regency's working hours (config); five-day week, Friday may end later."""

    start: time = time(7, 30)
    end: time = time(16, 0)
    friday_end: time = time(16, 30)

    def end_on(self, day: date) -> time:
        return self.friday_end if day.weekday() == 4 else self.end


def _local(t: datetime) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError("attendance times must be timezone-aware")
    return t.astimezone(JAKARTA)


def late_minutes(check_in: datetime, hours: OfficeHours) -> int:
    """Whole minutes after the start of office hours (Asia/Jakarta); 0 when on time."""
    local = _local(check_in)
    start = datetime.combine(local.date(), hours.start, JAKARTA)
    return max(0, int((local - start).total_seconds() // 60))


def early_leave_minutes(check_out: datetime, hours: OfficeHours) -> int:
    """Whole minutes before the end of office hours (Friday's own end); 0 when not early."""
    local = _local(check_out)
    end = datetime.combine(local.date(), hours.end_on(local.date()), JAKARTA)
    secs = (end - local).total_seconds()
    return max(0, int(-(-secs // 60))) if secs > 0 else 0  # 16:29:30 on a 16:30 Friday is 1 minute early


@dataclass(frozen=True, slots=True)
class DayAttendance:
    work_date: date
    status: AttendanceStatus
    check_in: datetime | None = None
    check_out: datetime | None = None
    apel_attended: bool | None = None

    def late(self, hours: OfficeHours) -> int:
        return late_minutes(self.check_in, hours) if self.check_in and self.status is AttendanceStatus.PRESENT else 0

    def early_leave(self, hours: OfficeHours) -> int:
        if self.check_out is None or self.status is not AttendanceStatus.PRESENT:
            return 0
        return early_leave_minutes(self.check_out, hours)


@dataclass(frozen=True, slots=True)
class DisiplinRules:
    """Table T1 disiplin deductions in percent; `bands` = (from minute, to minute or None, percent)."""

    bands: tuple[tuple[int, int | None, Decimal], ...] = (
        (1, 30, Decimal("0.5")),
        (31, 60, Decimal("1")),
        (61, 90, Decimal("1.25")),
        (91, None, Decimal("1.5")),
    )
    no_record: Decimal = Decimal("1.5")
    missed_apel: Decimal = Decimal("2")
    absent: Decimal = Decimal("3")
    cap: Decimal = Decimal("100")
    excused: frozenset[AttendanceStatus] = field(default=EXCUSED)


def minutes_deduction(minutes: int, rules: DisiplinRules = DisiplinRules()) -> Decimal:
    """Table T1: the percent deducted for one late arrival or one early leave of `minutes`."""
    for low, high, pct in rules.bands:
        if minutes >= low and (high is None or minutes <= high):
            return pct
    return Decimal(0)


def day_deduction(day: DayAttendance, hours: OfficeHours, rules: DisiplinRules = DisiplinRules()) -> Decimal:
    """Table T1: one working day's disiplin deduction in percent."""
    if day.status in rules.excused:
        return Decimal(0)
    if day.status is AttendanceStatus.ABSENT:
        return rules.absent
    total = Decimal(0)
    total += minutes_deduction(day.late(hours), rules) if day.check_in else rules.no_record
    total += minutes_deduction(day.early_leave(hours), rules) if day.check_out else rules.no_record
    if day.apel_attended is False:
        total += rules.missed_apel
    return total


def month_deduction(
    days: Iterable[DayAttendance], hours: OfficeHours, rules: DisiplinRules = DisiplinRules()
) -> Decimal:
    """Table T1: the month's disiplin deduction, capped (default 100%)."""
    return min(rules.cap, sum((day_deduction(d, hours, rules) for d in days), Decimal(0)))


@dataclass(frozen=True, slots=True)
class ScanDay:
    work_date: date
    first: datetime
    last: datetime | None  # None when the machine saw one scan only


def days_from_scans(scans: Sequence[datetime]) -> list[ScanDay]:
    """Fingerprint scans → per local day the first scan (in) and, if a later one exists, the last (out)."""
    by_day: dict[date, list[datetime]] = {}
    for s in scans:
        local = _local(s)
        by_day.setdefault(local.date(), []).append(local)
    out = []
    for d in sorted(by_day):
        ts = sorted(by_day[d])
        out.append(ScanDay(d, ts[0], ts[-1] if len(ts) > 1 else None))
    return out


def check_leave(start: date, end: date, status: AttendanceStatus) -> None:
    """A leave/travel/sick mark is a non-empty date range of an excused status."""
    problems = []
    if end < start:
        problems.append(
            Violation("end_date", "Tanggal selesai harus sama atau setelah tanggal mulai.", "end_before_start")
        )
    elif (end - start).days > 366:
        problems.append(Violation("end_date", "Rentang paling lama satu tahun.", "range_too_long"))
    if status not in EXCUSED:
        problems.append(Violation("status", "Status harus cuti, dinas_luar, atau sakit.", "status_not_leave"))
    if problems:
        raise InvalidInput(problems)
