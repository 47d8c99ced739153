"""Attendance rules; the deduction tests reproduce DOMAIN.md Table T1 (disiplin deductions), cell by cell."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from kinerja_activity.domain.attendance import (
    JAKARTA,
    AttendanceStatus,
    DayAttendance,
    DisiplinRules,
    OfficeHours,
    check_leave,
    day_deduction,
    days_from_scans,
    early_leave_minutes,
    late_minutes,
    minutes_deduction,
    month_deduction,
)
from kinerja_activity.domain.errors import InvalidInput

HOURS = OfficeHours()
THU = date(2026, 11, 26)
FRI = date(2026, 11, 27)


def at(d: date, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime.combine(d, time(hh, mm, ss), JAKARTA)


@pytest.mark.parametrize(
    ("minutes", "percent"),
    [
        (0, "0"),
        (1, "0.5"),
        (30, "0.5"),
        (31, "1"),
        (60, "1"),
        (61, "1.25"),
        (90, "1.25"),
        (91, "1.5"),
        (300, "1.5"),
    ],
)
def test_table_t1_late_or_early_bands(minutes: int, percent: str) -> None:
    assert minutes_deduction(minutes) == Decimal(percent)


def test_table_t1_no_record_missed_apel_absent_and_excused() -> None:
    present = DayAttendance(THU, AttendanceStatus.PRESENT, at(THU, 7, 30), at(THU, 16, 0))
    assert day_deduction(present, HOURS) == 0
    assert day_deduction(DayAttendance(THU, AttendanceStatus.PRESENT, at(THU, 7, 30), None), HOURS) == Decimal("1.5")
    assert day_deduction(DayAttendance(THU, AttendanceStatus.PRESENT, None, None), HOURS) == Decimal("3.0")
    missed_apel = DayAttendance(THU, AttendanceStatus.PRESENT, at(THU, 7, 30), at(THU, 16, 0), apel_attended=False)
    assert day_deduction(missed_apel, HOURS) == Decimal("2")
    assert day_deduction(DayAttendance(THU, AttendanceStatus.ABSENT), HOURS) == Decimal("3")
    for s in (AttendanceStatus.LEAVE, AttendanceStatus.OFFICIAL_TRAVEL, AttendanceStatus.SICK):
        assert day_deduction(DayAttendance(THU, s), HOURS) == 0


def test_table_t1_late_and_early_on_one_day_add_up() -> None:
    day = DayAttendance(THU, AttendanceStatus.PRESENT, at(THU, 7, 50), at(THU, 15, 0))  # 20 late, 60 early
    assert day_deduction(day, HOURS) == Decimal("1.5")


def test_table_t1_month_total_capped_at_100_percent() -> None:
    absent = [DayAttendance(THU, AttendanceStatus.ABSENT)] * 40  # 120% before the cap
    assert month_deduction(absent, HOURS) == Decimal(100)
    assert month_deduction(absent, HOURS, DisiplinRules(cap=Decimal(50))) == Decimal(50)


def test_lateness_and_early_leave_minutes_in_jakarta_time() -> None:
    assert late_minutes(at(THU, 7, 30), HOURS) == 0
    assert late_minutes(at(THU, 7, 29), HOURS) == 0
    assert late_minutes(at(THU, 8, 1, 59), HOURS) == 31
    # the same instant given in UTC counts the same
    assert late_minutes(at(THU, 8, 1).astimezone(UTC), HOURS) == 31
    assert early_leave_minutes(at(THU, 16, 0), HOURS) == 0
    assert early_leave_minutes(at(THU, 15, 30), HOURS) == 30
    assert early_leave_minutes(at(FRI, 16, 0), HOURS) == 30  # Friday ends 16:30
    assert early_leave_minutes(at(FRI, 16, 29, 30), HOURS) == 1
    with pytest.raises(ValueError):
        late_minutes(datetime(2026, 11, 26, 8, 0), HOURS)


def test_configured_office_hours() -> None:
    hours = OfficeHours(start=time(8, 0), end=time(15, 30), friday_end=time(11, 30))
    assert late_minutes(at(THU, 8, 0), hours) == 0
    assert early_leave_minutes(at(FRI, 11, 0), hours) == 30


def test_fingerprint_scans_first_in_last_out_per_local_day() -> None:
    scans = [at(THU, 16, 5), at(THU, 7, 25), at(THU, 12, 0), at(FRI, 7, 40)]
    days = days_from_scans(scans)
    assert [(d.work_date, d.first, d.last) for d in days] == [
        (THU, at(THU, 7, 25), at(THU, 16, 5)),
        (FRI, at(FRI, 7, 40), None),
    ]


def test_leave_marks_need_an_excused_status_and_a_range() -> None:
    check_leave(THU, FRI, AttendanceStatus.LEAVE)
    with pytest.raises(InvalidInput) as e:
        check_leave(FRI, THU, AttendanceStatus.PRESENT)
    assert {v.field for v in e.value.violations} == {"end_date", "status"}
