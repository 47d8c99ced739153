"""SKP rules: indicator checks (422 cases), the approval workflow guards, periods of the regency's config."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from kinerja_evaluation.domain.errors import Conflict, InvalidInput, NotAllowed
from kinerja_evaluation.domain.skp import (
    Aspect,
    IndicatorSpec,
    Periodicity,
    SkpStatus,
    check_can_decide,
    check_can_submit,
    check_indicator,
    check_period,
    check_year_dates,
    period_bounds,
    periods_of,
)


def spec(**over: object) -> IndicatorSpec:
    base: dict[str, object] = {
        "name": "Jumlah pasien terlayani per bulan",
        "target": D(400),
        "unit": "pasien",
        "aspect": Aspect.KUANTITAS,
        "direction": "higher",
        "weight": D(50),
    }
    return IndicatorSpec(**(base | over))  # type: ignore[arg-type]


def test_good_indicator_passes() -> None:
    check_indicator(spec(), "rhk.0.indicators.0")
    check_indicator(spec(target=D(0), direction="lower", unit="kejadian"), "x")


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"target": D(-1)}, "x.target"),
        ({"target": D("NaN")}, "x.target"),
        ({"unit": "ekor"}, "x.unit"),
        ({"weight": D(0)}, "x.weight"),
        ({"weight": D(101)}, "x.weight"),
        ({"name": " "}, "x.name"),
    ],
)
def test_bad_indicator_names_the_field(over: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as e:
        check_indicator(spec(**over), "x")
    assert e.value.field == field


def test_dates_outside_the_year_are_refused() -> None:
    check_year_dates(2026, date(2026, 1, 1), date(2026, 12, 31), "period")
    with pytest.raises(InvalidInput) as e:
        check_year_dates(2026, date(2025, 12, 1), date(2026, 12, 31), "period")
    assert e.value.field == "period_start"
    with pytest.raises(InvalidInput) as e:
        check_year_dates(2026, date(2026, 7, 1), date(2027, 1, 31), "period")
    assert e.value.field == "period_end"


def test_submit_needs_rhk_indicators_and_a_superior() -> None:
    check_can_submit(SkpStatus.DRAFT, 1, [2], True)
    check_can_submit(SkpStatus.REVISION_REQUESTED, 2, [1, 1], True)
    with pytest.raises(InvalidInput):
        check_can_submit(SkpStatus.DRAFT, 0, [], True)
    with pytest.raises(InvalidInput):
        check_can_submit(SkpStatus.DRAFT, 2, [1, 0], True)
    with pytest.raises(Conflict):
        check_can_submit(SkpStatus.DRAFT, 1, [1], False)
    with pytest.raises(Conflict):
        check_can_submit(SkpStatus.APPROVED, 1, [1], True)


def test_only_the_assessor_decides_and_never_on_their_own_skp() -> None:
    check_can_decide(SkpStatus.SUBMITTED, "asn", "boss", frozenset({"boss"}))
    with pytest.raises(NotAllowed, match="sendiri"):
        check_can_decide(SkpStatus.SUBMITTED, "asn", "asn", frozenset({"asn"}))
    with pytest.raises(NotAllowed):
        check_can_decide(SkpStatus.SUBMITTED, "asn", "peer", frozenset({"boss"}))
    with pytest.raises(Conflict):
        check_can_decide(SkpStatus.DRAFT, "asn", "boss", frozenset({"boss"}))


def test_periods_follow_the_regency_config() -> None:
    assert periods_of(2026, Periodicity.QUARTERLY) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2026-Y"]
    assert len(periods_of(2026, Periodicity.MONTHLY)) == 13
    assert period_bounds("2026-Q3") == (date(2026, 7, 1), date(2026, 9, 30))
    assert period_bounds("2026-M02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_bounds("2026-M12") == (date(2026, 12, 1), date(2026, 12, 31))
    today = date(2026, 11, 29)
    check_period("2026-Q3", 2026, Periodicity.QUARTERLY, today)
    for bad, why in (
        ("2025-Q4", "di luar tahun"),
        ("2026-M07", "triwulanan"),
        ("2026-Q5", "Periode harus"),
    ):
        with pytest.raises(InvalidInput, match=why):
            check_period(bad, 2026, Periodicity.QUARTERLY, today)
    with pytest.raises(InvalidInput, match="belum dimulai"):
        check_period("2026-M12", 2026, Periodicity.MONTHLY, today)
