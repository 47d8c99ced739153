"""Tables P1, P2, B1, S1, T1 and R1 of DOMAIN.md, reproduced cell by cell."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kinerja_evaluation.domain.behaviour import (
    BerAkhlak,
    IncompleteRatings,
    perilaku_points,
    proposed_perilaku,
    summarise_360,
)
from kinerja_evaluation.domain.capaian import Direction, Rating
from kinerja_evaluation.domain.curve import OrgRating, check_curve, distribution
from kinerja_evaluation.domain.predikat import Predikat, predikat
from kinerja_evaluation.domain.score import Component, ScoreInputs, ScoreWeights, innovation_points, score
from kinerja_evaluation.domain.tpp import DayMark, TppRules, WorkDay, day_deduction, tpp
from kinerja_evaluation.domain.triggers import (
    PeriodResult,
    Trigger,
    period_triggers,
    projected_capaian,
    target_at_risk,
)

A, S, B = Rating.DI_ATAS, Rating.SESUAI, Rating.DI_BAWAH
P = Predikat


# ---------------------------------------------------------------- Table P1
@pytest.mark.parametrize(
    ("hasil", "perilaku", "expected"),
    [
        (A, A, P.SANGAT_BAIK),
        (A, S, P.BAIK),
        (A, B, P.KURANG),
        (S, A, P.BAIK),
        (S, S, P.BAIK),
        (S, B, P.KURANG),
        (B, A, P.BUTUH_PERBAIKAN),
        (B, S, P.BUTUH_PERBAIKAN),
        (B, B, P.SANGAT_KURANG),
    ],
)
def test_table_p1_every_cell(hasil: Rating, perilaku: Rating, expected: Predikat) -> None:
    assert predikat(hasil, perilaku) is expected


def test_table_p1_predikat_order_best_first() -> None:
    assert [p.label for p in Predikat] == [
        "Sangat Baik",
        "Baik",
        "Butuh Perbaikan",
        "Kurang/Misconduct",
        "Sangat Kurang",
    ]
    assert P.BUTUH_PERBAIKAN.at_most(P.BUTUH_PERBAIKAN) and P.SANGAT_KURANG.at_most(P.BUTUH_PERBAIKAN)
    assert not P.BAIK.at_most(P.BUTUH_PERBAIKAN)


# ---------------------------------------------------------------- Table B1 and S1 behaviour points
def _all(r: Rating) -> dict[BerAkhlak, Rating]:
    return dict.fromkeys(BerAkhlak, r)


def test_table_b1_has_the_seven_values() -> None:
    assert [v.value for v in BerAkhlak] == [
        "berorientasi_pelayanan",
        "akuntabel",
        "kompeten",
        "harmonis",
        "loyal",
        "adaptif",
        "kolaboratif",
    ]


def test_table_s1_behaviour_points_100_80_50() -> None:
    assert perilaku_points(_all(A)) == Decimal(100)
    assert perilaku_points(_all(S)) == Decimal(80)
    assert perilaku_points(_all(B)) == Decimal(50)
    mixed = _all(S) | {BerAkhlak.ADAPTIF: A, BerAkhlak.LOYAL: B}
    assert perilaku_points(mixed) == Decimal("78.57")  # (100 + 50 + 5 × 80) / 7


def test_proposed_perilaku_rule_and_completeness() -> None:
    assert proposed_perilaku(_all(S)) is S
    four_above = _all(S) | dict.fromkeys(list(BerAkhlak)[:4], A)
    assert proposed_perilaku(four_above) is A
    assert proposed_perilaku(four_above | {BerAkhlak.LOYAL: B}) is S
    assert proposed_perilaku(_all(S) | {BerAkhlak.LOYAL: B, BerAkhlak.HARMONIS: B}) is B
    with pytest.raises(IncompleteRatings, match="Kolaboratif"):
        proposed_perilaku(dict.fromkeys(list(BerAkhlak)[:6], S))


def test_table_b1_360_shown_only_from_three_raters() -> None:
    two = [_all(A), _all(S)]
    assert summarise_360(two) == {}
    three = [*two, _all(B)]
    summary = summarise_360(three)
    assert summary[BerAkhlak.AKUNTABEL].raters == 3
    assert summary[BerAkhlak.AKUNTABEL].mean_level == Decimal("2.00")
    assert summary[BerAkhlak.AKUNTABEL].tendency is S
    assert summarise_360(three, min_raters=4) == {}


# ---------------------------------------------------------------- Table S1
def test_table_s1_default_weights_all_components() -> None:
    s = score(
        ScoreInputs(
            hasil_capaian=Decimal(95),
            perilaku_points=Decimal(80),
            days_on_time=18,
            working_days=20,
            unit_ikm=Decimal("82.50"),
            innovations=1,
        )
    )
    # 95×0.50 + 80×0.25 + 90×0.10 + 82.5×0.10 + 70×0.05
    assert s.total == Decimal("88.25")
    assert {c.component: c.applied_weight for c in s.components}[Component.HASIL] == Decimal(50)


def test_table_s1_redistributes_weights_that_do_not_apply() -> None:
    # not a public-facing unit: kepuasan's 10 spread over the other 90 proportionally
    s = score(
        ScoreInputs(
            hasil_capaian=Decimal(100), perilaku_points=Decimal(80), days_on_time=20, working_days=20, innovations=0
        )
    )
    weights = {c.component: c.applied_weight for c in s.components}
    assert weights[Component.KEPUASAN] == Decimal(0)
    assert weights[Component.HASIL] == Decimal("55.56")
    assert sum(weights.values()) == Decimal("100.01")  # rounded per component for display; total uses exact
    assert s.total == Decimal("88.89")  # (50×100 + 25×80 + 10×100 + 5×0) / 90


def test_table_s1_capaian_above_100_is_full_marks_and_innovation_ladder() -> None:
    s = score(ScoreInputs(hasil_capaian=Decimal(120), perilaku_points=None))
    assert s.total == Decimal(100)
    assert [innovation_points(n) for n in (0, 1, 2, 5)] == [Decimal(0), Decimal(70), Decimal(100), Decimal(100)]


def test_table_s1_weights_are_config_and_validated() -> None:
    w = ScoreWeights(
        hasil=Decimal(60), perilaku=Decimal(20), kehadiran=Decimal(10), kepuasan=Decimal(5), inovasi=Decimal(5)
    )
    assert score(ScoreInputs(hasil_capaian=Decimal(50), perilaku_points=Decimal(100)), w).total == Decimal("62.50")
    with pytest.raises(ValueError, match="sum to 100"):
        ScoreWeights(hasil=Decimal(60))


def test_score_explains_itself() -> None:
    s = score(ScoreInputs(hasil_capaian=Decimal(90), perilaku_points=Decimal(80)))
    assert s.explain()["hasil_kerja.points"] == Decimal(90)
    assert s.explain()["hasil_kerja.weight"] == Decimal("66.67")


# ---------------------------------------------------------------- Table P2
def test_table_p2_istimewa_allows_up_to_70_percent_sangat_baik() -> None:
    unit = [P.SANGAT_BAIK] * 7 + [P.BAIK] * 3
    assert check_curve(OrgRating.ISTIMEWA, unit) == []
    unit = [P.SANGAT_BAIK] * 8 + [P.BAIK] * 2
    [v] = check_curve(OrgRating.ISTIMEWA, unit)
    assert v.actual_percent == Decimal(80) and "Sangat Baik ≤ 70%" in v.message()


def test_table_p2_baik_caps_baik_at_70() -> None:
    assert check_curve(OrgRating.BAIK, [P.BAIK] * 7 + [P.SANGAT_BAIK] * 3) == []
    assert len(check_curve(OrgRating.BAIK, [P.BAIK] * 8 + [P.SANGAT_BAIK] * 2)) == 1


def test_table_p2_butuh_perbaikan_kurang_sangat_kurang() -> None:
    bp_ok = [P.BUTUH_PERBAIKAN] * 6 + [P.SANGAT_BAIK] + [P.BAIK] * 3
    assert check_curve(OrgRating.BUTUH_PERBAIKAN, bp_ok) == []
    bp_bad = [P.BUTUH_PERBAIKAN] * 5 + [P.SANGAT_BAIK] * 2 + [P.BAIK] * 3
    assert len(check_curve(OrgRating.BUTUH_PERBAIKAN, bp_bad)) == 2  # BP < 60% and SB > 10%
    kurang = [P.KURANG] * 6 + [P.BUTUH_PERBAIKAN] + [P.BAIK] * 3
    assert check_curve(OrgRating.KURANG, kurang) == []
    assert len(check_curve(OrgRating.KURANG, [P.KURANG] * 7 + [P.BAIK] * 3)) == 1  # no BP ≥ 10%
    sk = [P.SANGAT_KURANG] * 6 + [P.KURANG, P.BUTUH_PERBAIKAN] + [P.BAIK] * 2
    assert check_curve(OrgRating.SANGAT_KURANG, sk) == []
    assert len(check_curve(OrgRating.SANGAT_KURANG, [*sk[:-1], P.SANGAT_BAIK])) == 1  # no Sangat Baik at all


def test_distribution_shares() -> None:
    d = distribution([P.BAIK, P.BAIK, P.SANGAT_BAIK])
    assert d[P.BAIK] == Decimal("66.67") and d[P.SANGAT_BAIK] == Decimal("33.33")


# ---------------------------------------------------------------- Table T1
@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(0, "0"), (1, "0.005"), (30, "0.005"), (31, "0.01"), (60, "0.01"), (61, "0.0125"), (90, "0.0125"), (91, "0.015")],
)
def test_table_t1_lateness_ladder(minutes: int, expected: str) -> None:
    mark = DayMark.LATE_OR_EARLY if minutes else DayMark.ON_TIME
    assert day_deduction(WorkDay(mark, minutes)) == Decimal(expected)


def test_table_t1_other_deductions() -> None:
    assert day_deduction(WorkDay(DayMark.NO_RECORD)) == Decimal("0.015")
    assert day_deduction(WorkDay(DayMark.ABSENT_WITHOUT_REASON)) == Decimal("0.03")
    assert day_deduction(WorkDay(DayMark.ON_TIME, missed_apel=True)) == Decimal("0.02")
    assert day_deduction(WorkDay(DayMark.LATE_OR_EARLY, 45, missed_apel=True)) == Decimal("0.03")
    assert day_deduction(WorkDay(DayMark.EXCUSED)) == Decimal(0)


@pytest.mark.parametrize(
    ("pred", "factor"),
    [(P.SANGAT_BAIK, "1"), (P.BAIK, "1"), (P.BUTUH_PERBAIKAN, "0.8"), (P.KURANG, "0.6"), (P.SANGAT_KURANG, "0.4")],
)
def test_table_t1_kinerja_factor_per_predikat(pred: Predikat, factor: str) -> None:
    result = tpp(Decimal(5_000_000), pred, [WorkDay(DayMark.ON_TIME)] * 20)
    assert result.kinerja_factor == Decimal(factor)
    assert result.amount == Decimal(5_000_000) * (Decimal("0.6") * Decimal(factor) + Decimal("0.4"))


def test_table_t1_formula_rounds_down_to_whole_rupiah() -> None:
    days = [WorkDay(DayMark.LATE_OR_EARLY, 10)] * 3 + [WorkDay(DayMark.ON_TIME)] * 17  # 1.5% deductions
    result = tpp(Decimal("4_333_333"), P.BUTUH_PERBAIKAN, days)
    # 4,333,333 × (0.6 × 0.8 + 0.4 × 0.985) = 3,787,333.04 → rounded down
    assert result.amount == Decimal(3_787_333)
    assert result.deductions == Decimal("0.015")
    assert result.lines[-1].value == result.amount


def test_table_t1_deductions_capped_at_100_percent_and_minutes_quota() -> None:
    absent = [WorkDay(DayMark.ABSENT_WITHOUT_REASON)] * 40
    assert tpp(Decimal(1_000_000), P.BAIK, absent).amount == Decimal(600_000)
    rules = TppRules(apply_minutes_quota=True)
    half = tpp(Decimal(1_000_000), P.BAIK, [], verified_minutes=3375, rules=rules)
    assert half.amount == Decimal(700_000)  # 0.6 × 0.5 + 0.4
    with pytest.raises(ValueError, match="sum to 100%"):
        TppRules(kinerja_share=Decimal("0.7"))


# ---------------------------------------------------------------- Table R1
def test_table_r1_mentoring_award_sanction() -> None:
    assert period_triggers(PeriodResult(P.BAIK, Decimal(80)), None) == [Trigger.EVALUATION_FINALIZED]
    assert Trigger.MENTORING_NEEDED in period_triggers(PeriodResult(P.BUTUH_PERBAIKAN, Decimal(60)), None)
    assert Trigger.MENTORING_NEEDED in period_triggers(PeriodResult(P.SANGAT_KURANG, Decimal(30)), None)
    assert Trigger.AWARD_CANDIDATE in period_triggers(PeriodResult(P.SANGAT_BAIK, Decimal(95)), None)
    jump = period_triggers(PeriodResult(P.BAIK, Decimal(85)), PeriodResult(P.BAIK, Decimal(75)))
    assert Trigger.AWARD_CANDIDATE in jump
    small = period_triggers(PeriodResult(P.BAIK, Decimal(84.99)), PeriodResult(P.BAIK, Decimal(75)))
    assert Trigger.AWARD_CANDIDATE not in small
    not_good_enough = period_triggers(PeriodResult(P.BUTUH_PERBAIKAN, Decimal(70)), PeriodResult(P.KURANG, Decimal(50)))
    assert Trigger.AWARD_CANDIDATE not in not_good_enough
    once = period_triggers(PeriodResult(P.KURANG, Decimal(50)), PeriodResult(P.BAIK, Decimal(80)))
    assert Trigger.SANCTION_REVIEW not in once
    twice = period_triggers(PeriodResult(P.KURANG, Decimal(50)), PeriodResult(P.SANGAT_KURANG, Decimal(30)))
    assert Trigger.SANCTION_REVIEW in twice
    integrity = period_triggers(PeriodResult(P.BAIK, Decimal(80), integrity_finding=True), None)
    assert Trigger.SANCTION_REVIEW in integrity


def test_table_r1_target_at_risk_projection_both_directions() -> None:
    # half-way, 200 of 500 patients: heading for 400/500 = 80% < 90% → at risk
    p = projected_capaian(Decimal(500), Decimal(200), Decimal("0.5"), Direction.HIGHER_IS_BETTER)
    assert p == Decimal(80) and target_at_risk(p)
    p = projected_capaian(Decimal(500), Decimal(230), Decimal("0.5"), Direction.HIGHER_IS_BETTER)
    assert p == Decimal(92) and not target_at_risk(p)
    # accidents, lower is better: 6 by mid-year against a target of 10 → 12 projected → (20 − 12)/10 = 80%
    p = projected_capaian(Decimal(10), Decimal(6), Decimal("0.5"), Direction.LOWER_IS_BETTER)
    assert p == Decimal(80) and target_at_risk(p)
    assert projected_capaian(Decimal(10), Decimal(6), Decimal(0), Direction.LOWER_IS_BETTER) is None
