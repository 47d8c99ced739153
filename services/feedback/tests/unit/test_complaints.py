"""Table C1 (pengaduan): working-day deadlines around weekends and a regency's holidays, and the life cycle."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from kinerja_feedback.domain.complaints import (
    Complaint,
    Status,
    deadlines,
    normalize_tracking_code,
    tracking_code,
)
from kinerja_feedback.domain.errors import Conflict, InvalidInput
from kinerja_feedback.domain.workdays import add_working_days, working_days_between

FRIDAY = date(2026, 11, 27)
HOLIDAY = date(2026, 12, 2)  # a Wednesday the regency declared a holiday


def test_table_c1_deadlines_skip_the_weekend() -> None:
    assert FRIDAY.weekday() == 4
    d = deadlines(FRIDAY, response_days=5, resolution_days=14, holidays=())
    assert d.response_due == date(2026, 12, 4)  # Mon 30 … Fri 4: five working days
    assert d.resolution_due == date(2026, 12, 17)


def test_table_c1_deadlines_skip_a_configured_holiday() -> None:
    d = deadlines(FRIDAY, response_days=5, resolution_days=14, holidays={HOLIDAY})
    assert d.response_due == date(2026, 12, 7)  # the holiday pushes Friday's deadline over the weekend to Monday
    assert d.resolution_due == date(2026, 12, 18)


def test_table_c1_filed_on_a_saturday_counts_from_monday_and_config_days_apply() -> None:
    saturday = date(2026, 11, 28)
    assert add_working_days(saturday, 5, ()) == date(2026, 12, 4)
    assert deadlines(FRIDAY, response_days=3, resolution_days=10, holidays=()).response_due == date(2026, 12, 2)


def test_working_days_taken_ignore_weekend_and_holiday() -> None:
    assert working_days_between(FRIDAY, FRIDAY, ()) == 0
    assert working_days_between(FRIDAY, date(2026, 11, 30), ()) == 1  # Monday after
    assert working_days_between(FRIDAY, date(2026, 12, 7), {HOLIDAY}) == 5


def _complaint() -> Complaint:
    d = deadlines(FRIDAY, response_days=5, resolution_days=14, holidays={HOLIDAY})
    return Complaint(uuid.uuid4(), uuid.uuid4(), FRIDAY, d.response_due, d.resolution_due)


def test_overdue_flags_a_missed_response_and_a_missed_resolution() -> None:
    c = _complaint()
    assert not c.overdue(date(2026, 12, 7))  # the due day itself is still on time
    assert c.response_overdue(date(2026, 12, 8)) and c.overdue(date(2026, 12, 8))
    answered, first = c.respond(datetime(2026, 12, 1, 3, tzinfo=UTC))
    assert first and answered.status is Status.DIPROSES
    assert not answered.overdue(date(2026, 12, 18))
    assert answered.resolution_overdue(date(2026, 12, 21))
    done = answered.resolve(datetime(2026, 12, 21, 3, tzinfo=UTC))
    assert not done.overdue(date(2027, 1, 5))


def test_citizen_confirms_or_reopens_only_after_the_unit_resolved() -> None:
    c = _complaint()
    with pytest.raises(Conflict):
        c.confirm()
    with pytest.raises(Conflict):
        c.resolve(datetime(2026, 12, 1, tzinfo=UTC))  # a resolution needs a response first
    answered, _ = c.respond(datetime(2026, 12, 1, tzinfo=UTC))
    _, again = answered.respond(datetime(2026, 12, 2, tzinfo=UTC))
    assert not again  # only the first response counts for the deadline
    done = answered.resolve(datetime(2026, 12, 3, tzinfo=UTC))
    reopened = done.reopen()
    assert reopened.status is Status.DIPROSES and reopened.resolved_at is None and reopened.reopen_count == 1
    closed = reopened.resolve(datetime(2026, 12, 4, tzinfo=UTC)).confirm()
    assert closed.status is Status.DITUTUP
    with pytest.raises(Conflict):
        closed.reopen()


def test_tracking_codes_are_readable_and_typed_loosely() -> None:
    code = tracking_code(bytes(range(8)))
    assert normalize_tracking_code(code) == code
    assert normalize_tracking_code(code.lower().replace("-", " ")) == code
    with pytest.raises(InvalidInput):
        normalize_tracking_code("ADU-0000-OOOO")
