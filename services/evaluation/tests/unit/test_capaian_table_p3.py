"""DOMAIN.md Table P3 — capaian per indicator, cap, zero targets and the proposed hasil rating."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from kinerja_evaluation.domain.capaian import (
    CapaianRules,
    Direction,
    Rating,
    WeightedCapaian,
    capaian,
    proposed_rating,
    rhk_capaian,
)

HIGHER, LOWER = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER


@pytest.mark.parametrize(
    ("target", "realisasi", "expected"),
    [
        (D(400), D(380), D("95.00")),  # patients served: realisasi / target × 100
        (D(400), D(400), D("100.00")),
        (D(75), D("78.5"), D("104.67")),  # class exam average, rounded half up to 2 places
        (D(3), D(1), D("33.33")),
        (D(400), D(0), D("0.00")),
    ],
)
def test_table_p3_higher_is_better_is_realisasi_over_target(target: D, realisasi: D, expected: D) -> None:
    assert capaian(target, realisasi, HIGHER) == expected


@pytest.mark.parametrize(
    ("target", "realisasi", "expected"),
    [
        (D(20), D(15), D("120.00")),  # (2×20 − 15)/20 = 125 → capped at 120
        (D(20), D(18), D("110.00")),  # traffic accidents: (2 × target − realisasi) / target × 100
        (D(20), D(20), D("100.00")),
        (D(5), D(6), D("80.00")),  # permit processing days
        (D(10), D(19), D("10.00")),
    ],
)
def test_table_p3_lower_is_better_uses_the_negative_indicator_formula(target: D, realisasi: D, expected: D) -> None:
    assert capaian(target, realisasi, LOWER) == expected


def test_table_p3_lower_is_better_floors_at_zero() -> None:
    assert capaian(D(10), D(20), LOWER) == D("0.00")  # exactly twice the target
    assert capaian(D(10), D(35), LOWER) == D("0.00")  # (20 − 35)/10 would be negative


def test_table_p3_cap_is_120_by_default_in_both_directions() -> None:
    assert capaian(D(100), D(150), HIGHER) == D("120.00")
    assert capaian(D(100), D(120), HIGHER) == D("120.00")
    assert capaian(D(100), D(119), HIGHER) == D("119.00")
    assert capaian(D(10), D(0), LOWER) == D("120.00")  # zero accidents against a target of 10: 200 → 120


def test_table_p3_cap_is_config() -> None:
    rules = CapaianRules(cap=D(150))
    assert capaian(D(100), D(140), HIGHER, rules) == D("140.00")
    assert capaian(D(100), D(200), HIGHER, rules) == D("150.00")
    with pytest.raises(ValueError, match="cap"):
        CapaianRules(cap=D(90))


def test_table_p3_zero_target_lower_is_better() -> None:
    assert capaian(D(0), D(0), LOWER) == D("100.00")  # no accidents wanted, none happened
    assert capaian(D(0), D(1), LOWER) == D("0.00")  # any accident misses a zero target
    assert capaian(D(0), D("0.5"), LOWER) == D("0.00")


def test_table_p3_zero_target_higher_is_better_counts_as_met() -> None:
    # not in Table P3; Kinerja's rule: any realisasi meets a zero target, and it never divides by zero
    assert capaian(D(0), D(0), HIGHER) == D("100.00")
    assert capaian(D(0), D(7), HIGHER) == D("100.00")


def test_negative_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        capaian(D(-1), D(1), HIGHER)
    with pytest.raises(ValueError):
        capaian(D(1), D(-1), LOWER)


def test_table_p3_rhk_capaian_is_the_weighted_mean_of_its_indicators() -> None:
    items = [WeightedCapaian(D(120), D(60)), WeightedCapaian(D(80), D(40))]
    assert rhk_capaian(items) == D("104.00")  # (120×60 + 80×40) / 100
    assert rhk_capaian([WeightedCapaian(D(90), D(1)), WeightedCapaian(D(100), D(2))]) == D("96.67")
    assert rhk_capaian([]) is None


@pytest.mark.parametrize(
    ("value", "rating"),
    [
        (D("120"), Rating.DI_ATAS),
        (D("110.00"), Rating.DI_ATAS),  # ≥ 110 Di Atas
        (D("109.99"), Rating.SESUAI),  # 90–<110 Sesuai
        (D("90.00"), Rating.SESUAI),
        (D("89.99"), Rating.DI_BAWAH),  # < 90 Di Bawah
        (D("0"), Rating.DI_BAWAH),
    ],
)
def test_table_p3_proposed_hasil_rating_thresholds(value: D, rating: Rating) -> None:
    assert proposed_rating(value) is rating


def test_table_p3_thresholds_are_config() -> None:
    rules = CapaianRules(above_from=D(105), below_under=D(95))
    assert proposed_rating(D(105), rules) is Rating.DI_ATAS
    assert proposed_rating(D("94.99"), rules) is Rating.DI_BAWAH
    with pytest.raises(ValueError):
        CapaianRules(above_from=D(80), below_under=D(90))
