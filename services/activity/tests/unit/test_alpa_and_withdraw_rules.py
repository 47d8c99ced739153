"""Day-end closing (Table T1 "absent without reason" → alpa) and the withdraw rule, pure domain."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kinerja_activity.domain.activity import ActivityStatus, ensure_withdrawable
from kinerja_activity.domain.attendance import AttendanceStatus, DayAttendance, OfficeHours, day_deduction
from kinerja_activity.domain.calendar import absent_without_record, days_to_close
from kinerja_activity.domain.errors import StateConflict

MON, WED, THU, FRI = date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27)


def test_only_ended_working_days_since_the_start_are_closed() -> None:
    assert days_to_close(THU, start=MON, lookback_days=7) == [MON, date(2026, 11, 24), WED]
    assert days_to_close(THU, start=WED, lookback_days=7) == [WED]  # nothing before the regency's start
    assert days_to_close(THU, start=MON, lookback_days=1) == [WED]  # catch-up bounded by the lookback
    assert days_to_close(MON, start=MON, lookback_days=7) == []  # today has not ended


def test_weekends_and_holidays_are_never_closed() -> None:
    sunday_after = date(2026, 11, 30)
    assert days_to_close(sunday_after, start=FRI, lookback_days=7) == [FRI]
    assert days_to_close(sunday_after, start=FRI, lookback_days=7, holidays={FRI}) == []


def test_no_start_means_the_regency_does_not_record_attendance_here() -> None:
    assert days_to_close(THU, start=None, lookback_days=7) == []


def test_absent_are_the_active_asn_without_any_record() -> None:
    assert absent_without_record({"a", "b", "c"}, {"b", "x"}) == {"a", "c"}


def test_table_t1_an_alpa_day_costs_three_percent() -> None:
    assert day_deduction(DayAttendance(WED, AttendanceStatus.ABSENT), OfficeHours()) == Decimal("3")


@pytest.mark.parametrize(("status", "applies"), [(ActivityStatus.PENDING, True), (ActivityStatus.WITHDRAWN, False)])
def test_only_a_pending_activity_can_be_withdrawn(status: ActivityStatus, applies: bool) -> None:
    assert ensure_withdrawable(status) is applies


@pytest.mark.parametrize("status", [ActivityStatus.VERIFIED, ActivityStatus.REJECTED])
def test_a_decided_activity_cannot_be_withdrawn(status: ActivityStatus) -> None:
    with pytest.raises(StateConflict):
        ensure_withdrawable(status)
