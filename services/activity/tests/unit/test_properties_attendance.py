"""Hypothesis properties of Table T1 (disiplin deductions and the activity quota factor)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kinerja_activity.domain.activity import quota_factor, quota_percent
from kinerja_activity.domain.attendance import minutes_deduction


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 600), st.integers(0, 600))
def test_t1_later_is_never_cheaper(a: int, b: int) -> None:
    low, high = min(a, b), max(a, b)
    assert Decimal(0) <= minutes_deduction(low) <= minutes_deduction(high)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 20_000), st.integers(0, 20_000), st.integers(1, 10_000))
def test_t1_quota_factor_is_a_monotone_fraction(m1: int, m2: int, quota: int) -> None:
    low, high = min(m1, m2), max(m1, m2)
    assert Decimal(0) <= quota_factor(low, quota) <= quota_factor(high, quota) <= Decimal(1)
    assert (quota_factor(high, quota) == 1) == (high >= quota)
    assert quota_percent(low, quota) <= quota_percent(high, quota)
