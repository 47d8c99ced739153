"""Table T1 (TPP) reproduced through the regency rule set: the same numbers whether the defaults come from
domain/tpp.py or from a saved rule version, ladder boundaries on both sides, the cap, rounding down, and a
regency's own ladder."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kinerja_evaluation.domain.predikat import Predikat
from kinerja_evaluation.domain.rules import DEFAULT_RULES, RuleSet
from kinerja_evaluation.domain.tpp import DEFAULT_TPP_RULES, DayMark, WorkDay, day_deduction, tpp
from kinerja_evaluation.service.tpp import work_days

T1 = DEFAULT_RULES.tpp_rules()


def test_table_t1_defaults_of_the_rule_set_equal_the_table() -> None:
    assert T1 == DEFAULT_TPP_RULES
    assert RuleSet.from_json(DEFAULT_RULES.to_json()).tpp_rules() == DEFAULT_TPP_RULES


@pytest.mark.parametrize(
    ("minutes", "percent"),
    [(1, "0.5"), (30, "0.5"), (31, "1"), (60, "1"), (61, "1.25"), (90, "1.25"), (91, "1.5"), (600, "1.5")],
)
def test_table_t1_ladder_boundaries(minutes: int, percent: str) -> None:
    """Table T1: 1–30 min 0.5%, 31–60 min 1%, 61–90 min 1.25%, ≥ 91 min 1.5%."""
    assert day_deduction(WorkDay(DayMark.LATE_OR_EARLY, minutes), T1) == Decimal(percent) / 100


def test_table_t1_no_record_apel_and_alpa() -> None:
    """Table T1: no record 1.5%, missed apel 2%, absent without reason 3%; excused days nothing."""
    assert day_deduction(WorkDay(DayMark.NO_RECORD), T1) == Decimal("0.015")
    assert day_deduction(WorkDay(DayMark.ON_TIME, missed_apel=True), T1) == Decimal("0.02")
    assert day_deduction(WorkDay(DayMark.ABSENT_WITHOUT_REASON), T1) == Decimal("0.03")
    assert day_deduction(WorkDay(DayMark.EXCUSED), T1) == 0


def test_table_t1_attendance_statuses_map_to_day_marks() -> None:
    days = work_days(["hadir", "hadir", "alpa", "cuti", "sakit", "dinas_luar"], [0, 45, 0, 0, 0, 0])
    assert [d.mark for d in days] == [
        DayMark.ON_TIME,
        DayMark.LATE_OR_EARLY,
        DayMark.ABSENT_WITHOUT_REASON,
        DayMark.EXCUSED,
        DayMark.EXCUSED,
        DayMark.EXCUSED,
    ]
    assert sum(day_deduction(d, T1) for d in days) == Decimal("0.04")  # 1% (45 min) + 3% (alpa)


def test_table_t1_cap_at_100_percent() -> None:
    """Table T1: deductions total capped at 100%: 40 alpa days (120%) leave the disiplin part at zero."""
    r = tpp(Decimal(5_000_000), Predikat.BAIK, [WorkDay(DayMark.ABSENT_WITHOUT_REASON)] * 40, rules=T1)
    assert r.deductions == 1
    assert r.amount == Decimal(3_000_000)  # 60% kinerja × 100%, disiplin 0


def test_table_t1_rounds_down_to_whole_rupiah() -> None:
    """Table T1: Rupiah as Decimal rounded down: 3,333,333 × (0.6 × 0.8 + 0.4 × (1 − 0.005)) = 2,926,666.33…"""
    r = tpp(Decimal(3_333_333), Predikat.BUTUH_PERBAIKAN, [WorkDay(DayMark.LATE_OR_EARLY, 30)], rules=T1)
    exact = Decimal(3_333_333) * (Decimal("0.6") * Decimal("0.8") + Decimal("0.4") * Decimal("0.995"))
    assert exact == Decimal("2926666.3740")
    assert r.amount == Decimal(2_926_666)
    assert r.amount.as_tuple().exponent == 0


def test_table_t1_minutes_quota_when_the_regency_applies_it() -> None:
    """Table T1: optionally × min(1, verified minutes / 6,750)."""
    rules = RuleSet(apply_minutes_quota=True).validated().tpp_rules()
    half = tpp(Decimal(4_000_000), Predikat.BAIK, [], verified_minutes=3375, rules=rules)
    assert half.amount == Decimal(4_000_000) * Decimal("0.6") * Decimal("0.5") + Decimal(1_600_000)
    over = tpp(Decimal(4_000_000), Predikat.BAIK, [], verified_minutes=9000, rules=rules)
    assert over.amount == Decimal(4_000_000)


def test_table_t1_a_regency_ladder_is_used_as_saved() -> None:
    """A regency's own ladder (config): 1–15 min 0.25%, 16–45 min 0.75%, beyond 2%."""
    own = (
        RuleSet(lateness_ladder=((15, Decimal("0.25")), (45, Decimal("0.75"))), over_ladder_or_no_record=Decimal(2))
        .validated()
        .tpp_rules()
    )
    assert day_deduction(WorkDay(DayMark.LATE_OR_EARLY, 15), own) == Decimal("0.0025")
    assert day_deduction(WorkDay(DayMark.LATE_OR_EARLY, 16), own) == Decimal("0.0075")
    assert day_deduction(WorkDay(DayMark.LATE_OR_EARLY, 46), own) == Decimal("0.02")
