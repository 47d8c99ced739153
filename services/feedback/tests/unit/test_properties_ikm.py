"""Hypothesis properties of Table Q1 (IKM) and Table C1 (working-day deadlines), over bounded random inputs."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kinerja_feedback.domain.ikm import compute, compute_from_sums
from kinerja_feedback.domain.workdays import add_working_days, is_working_day, working_days_between

answer_rows = st.lists(st.lists(st.integers(1, 4), min_size=9, max_size=9), min_size=1, max_size=60)
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))
holiday_sets = st.frozensets(days, max_size=20)


@settings(max_examples=200, deadline=None)
@given(answer_rows)
def test_q1_ikm_lies_in_25_to_100_and_does_not_depend_on_order(rows: list[list[int]]) -> None:
    result = compute("2026-Q3", rows, population=None)
    assert result.ikm is not None and Decimal(25) <= result.ikm <= Decimal(100)
    assert result.mutu is not None
    assert compute("2026-Q3", list(reversed(rows)), population=None).ikm == result.ikm
    sums = [sum(r[i] for r in rows) for i in range(9)]
    assert compute_from_sums("2026-Q3", len(rows), sums, population=None) == result


@settings(max_examples=200, deadline=None)
@given(answer_rows, st.integers(0, 8))
def test_q1_a_better_answer_never_lowers_the_ikm(rows: list[list[int]], unsur: int) -> None:
    before = compute("2026-Q3", rows, population=None).ikm
    improved = [list(r) for r in rows]
    improved[0][unsur] = 4
    after = compute("2026-Q3", improved, population=None).ikm
    assert before is not None and after is not None and after >= before


@settings(max_examples=200, deadline=None)
@given(days, st.integers(0, 40), holiday_sets)
def test_c1_deadline_and_elapsed_working_days_agree(start: date, n: int, holidays: frozenset[date]) -> None:
    due = add_working_days(start, n, holidays)
    assert working_days_between(start, due, holidays) == n
    assert due >= start and (n == 0 or is_working_day(due, holidays))
    # no working day is skipped: the day before the deadline has one fewer
    if n > 0:
        assert working_days_between(start, due - timedelta(days=1), holidays) == n - 1
