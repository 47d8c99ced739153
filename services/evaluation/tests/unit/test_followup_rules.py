"""Regency rule sets: validation of every **config** value (weights sum to 100, a consistent ladder, thresholds in
order, curve quotas, deadlines), storage round trip, Table P2 with a regency's own percentages."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from kinerja_evaluation.domain.annual import PeriodicRating, decision_deadline, objection_deadline, propose_annual
from kinerja_evaluation.domain.capaian import Rating
from kinerja_evaluation.domain.curve import DEFAULT_CURVE, OrgRating, check_curve
from kinerja_evaluation.domain.development import AsnJp, Course, equal_access, overall, recommendations
from kinerja_evaluation.domain.predikat import Predikat
from kinerja_evaluation.domain.rules import DEFAULT_RULES, RuleSet, RulesInvalid
from kinerja_shared.web import JAKARTA


def fields(rules: RuleSet) -> dict[str, str]:
    with pytest.raises(RulesInvalid) as e:
        rules.validated()
    return {x.field: x.reason for x in e.value.errors}


def test_defaults_are_valid_and_round_trip() -> None:
    assert DEFAULT_RULES.validated() is DEFAULT_RULES
    assert RuleSet.from_json(DEFAULT_RULES.to_json()) == DEFAULT_RULES
    assert DEFAULT_RULES.curve_bounds() == dict(DEFAULT_CURVE)


def test_weights_must_sum_to_100() -> None:
    w = dict(DEFAULT_RULES.weights) | {"hasil": Decimal(55)}
    assert "jumlah bobot harus 100" in fields(RuleSet(weights=w))["weights"]
    assert "negatif" in fields(RuleSet(weights=w | {"hasil": Decimal(-5), "perilaku": Decimal(85)}))["weights"]


@pytest.mark.parametrize(
    ("ladder", "over", "reason"),
    [
        (((30, "0.5"), (30, "1")), "1.5", "naik"),  # minutes do not rise
        (((60, "0.5"), (30, "1")), "1.5", "naik"),
        (((30, "1"), (60, "0.5")), "1.5", "tidak boleh turun"),  # deduction falls as lateness grows
        (((30, "0.5"), (60, "2")), "1.5", "anak tangga terakhir"),  # beyond the ladder cheaper than its top
        ((), "1.5", "kosong"),
    ],
)
def test_an_inconsistent_ladder_is_refused(ladder: tuple[tuple[int, str], ...], over: str, reason: str) -> None:
    rules = RuleSet(lateness_ladder=tuple((m, Decimal(d)) for m, d in ladder), over_ladder_or_no_record=Decimal(over))
    problems = fields(rules)
    assert any(reason in r for r in problems.values()), problems


def test_thresholds_shares_factors_and_deadlines_are_checked() -> None:
    problems = fields(
        RuleSet(
            rating_below_under=Decimal(120),
            kinerja_share=Decimal(70),
            objection_days=0,
            periodicity="weekly",
            kinerja_factor=dict(DEFAULT_RULES.kinerja_factor) | {Predikat.KURANG: Decimal(90)},
            tpp_base=dict(DEFAULT_RULES.tpp_base) | {3: Decimal(1)},
            curve=dict(DEFAULT_RULES.curve) | {OrgRating.KURANG: (Decimal(80), Decimal(30), Decimal(10))},
        )
    )
    assert set(problems) == {
        "rating_below_under",
        "kinerja_share",
        "objection_days",
        "periodicity",
        "kinerja_factor",
        "tpp_base",
        "curve.kurang",
    }


def test_from_json_reports_non_numbers_with_their_field() -> None:
    with pytest.raises(RulesInvalid) as e:
        RuleSet.from_json(DEFAULT_RULES.to_json() | {"weights": {"hasil": "lima puluh"}, "jp_right": "x"})
    assert {x.field for x in e.value.errors} == {"weights.hasil", "jp_right"}


def test_table_p2_with_the_regency_percentages() -> None:
    """Table P2 (config): a regency allowing Sangat Baik ≤ 50% in an Istimewa unit flags 60%."""
    own = RuleSet(curve=dict(DEFAULT_RULES.curve) | {OrgRating.ISTIMEWA: (Decimal(50),)}).validated()
    unit = [Predikat.SANGAT_BAIK] * 6 + [Predikat.BAIK] * 4
    assert check_curve(OrgRating.ISTIMEWA, unit) == []
    assert [v.actual_percent for v in check_curve(OrgRating.ISTIMEWA, unit, own.curve_bounds())] == [Decimal(60)]


def test_annual_proposal_most_frequent_rating_latest_breaks_ties() -> None:
    s, a, b = Rating.SESUAI, Rating.DI_ATAS, Rating.DI_BAWAH
    p = propose_annual(
        [
            PeriodicRating("2026-Q1", s, s, Decimal(80)),
            PeriodicRating("2026-Q2", a, s, Decimal(85)),
            PeriodicRating("2026-Q3", a, a, Decimal(90)),
            PeriodicRating("2026-Q4", s, a, Decimal(89)),
        ]
    )
    assert p is not None
    # hasil: Sesuai 2, Di Atas 2 → tie, the latest (Q4 Sesuai); perilaku: Sesuai 2, Di Atas 2 → Q4 Di Atas
    assert (p.hasil, p.perilaku, p.predikat) == (s, a, Predikat.BAIK)
    assert p.mean_score == Decimal("86.00")
    assert any("seri" in line for line in p.explanation)
    worse = propose_annual(
        [PeriodicRating("2026-Q1", b, s), PeriodicRating("2026-Q2", b, b), PeriodicRating("2026-Q3", s, b)]
    )
    assert worse is not None and worse.predikat is Predikat.SANGAT_KURANG
    assert propose_annual([]) is None


def test_keberatan_deadlines_are_calendar_days_to_the_end_of_day_in_jakarta() -> None:
    """DOMAIN.md cycle: object within 14 days, decided within 7 (config)."""
    final = datetime(2027, 1, 10, 16, 0, tzinfo=JAKARTA)
    until = objection_deadline(final, 14)
    assert (until.date().isoformat(), until.hour, until.minute) == ("2027-01-24", 23, 59)
    assert decision_deadline(datetime(2027, 1, 24, 23, 0, tzinfo=JAKARTA), 7).date().isoformat() == "2027-01-31"


def test_table_d1_equal_access_shares_and_recommendations() -> None:
    """Table D1: the right is 20 JP; shares per unit, grade, gender and location."""
    rows = [
        AsnJp("Dinkes", "III/a", "P", "perdesaan", 8),
        AsnJp("Dinkes", "III/a", "L", "perkotaan", 20),
        AsnJp("Dishub", "IV/a", "L", "perkotaan", 24),
        AsnJp("Dishub", "III/a", "P", "perdesaan", 19),
    ]
    report = equal_access(rows, 20)
    assert [(g.group, g.reached, g.total, g.share) for g in report["location"]] == [
        ("perdesaan", 0, 2, Decimal(0)),
        ("perkotaan", 2, 2, Decimal(100)),
    ]
    assert {g.group: g.share for g in report["grade"]} == {"III/a": Decimal("33.33"), "IV/a": Decimal(100)}
    assert overall(rows, 20).share == Decimal(50)
    cat = [
        Course("c1", "Pelayanan Prima", 16, frozenset({"berorientasi_pelayanan"})),
        Course("c2", "Manajemen Kinerja", 24, frozenset({"hasil_kerja", "akuntabel"})),
        Course("c3", "Bahasa Inggris", 10, frozenset({"kompeten"})),
    ]
    recs = recommendations(["akuntabel", "berorientasi_pelayanan"], True, cat)
    assert [r.course.course_id for r in recs] == ["c2", "c1"]  # two gaps first
    assert recommendations(["akuntabel"], False, cat, taken=["c2"]) == []
