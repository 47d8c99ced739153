"""Table Q1 (SKM/IKM, PermenPANRB 14/2017) reproduced cell by cell."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from kinerja_feedback.domain.errors import InvalidInput
from kinerja_feedback.domain.ikm import (
    KREJCIE_MORGAN,
    WEIGHT,
    Mutu,
    Unsur,
    compute,
    ikm_exact,
    minimum_sample,
    mutu,
    nrr,
    to_decimal,
    trend,
    validate_answers,
)


def _rows_with_total(n: int, total: int) -> list[list[int]]:
    """n responses of nine answers (1..4) whose answers add up to `total`."""
    assert 9 * n <= total <= 36 * n
    rows = [[1] * 9 for _ in range(n)]
    extra = total - 9 * n
    for row in rows:
        for i in range(9):
            add = min(3, extra)
            row[i] += add
            extra -= add
    assert extra == 0
    return rows


def _answers_giving(ikm: str) -> list[list[int]]:
    """The smallest survey whose published IKM is exactly `ikm` (so boundaries are reached from real answers)."""
    target = Decimal(ikm)
    for n in range(1, 400):
        for total in range(9 * n, 36 * n + 1):
            if to_decimal(Fraction(25 * total, 9 * n)) == target:
                return _rows_with_total(n, total)
    raise AssertionError(f"no survey gives {ikm}")


@pytest.mark.parametrize(
    ("ikm", "expected", "kinerja"),
    [
        ("100.00", Mutu.A, "Sangat Baik"),
        ("88.31", Mutu.A, "Sangat Baik"),
        ("88.30", Mutu.B, "Baik"),
        ("76.61", Mutu.B, "Baik"),
        ("76.60", Mutu.C, "Kurang Baik"),
        ("65.00", Mutu.C, "Kurang Baik"),
        ("64.99", Mutu.D, "Tidak Baik"),
        ("25.00", Mutu.D, "Tidak Baik"),
    ],
)
def test_table_q1_mutu_bands_and_their_boundaries(ikm: str, expected: Mutu, kinerja: str) -> None:
    assert mutu(Decimal(ikm)) is expected
    assert expected.kinerja == kinerja


@pytest.mark.parametrize(
    ("ikm", "expected"),
    [("88.31", Mutu.A), ("88.30", Mutu.B), ("76.61", Mutu.B), ("76.60", Mutu.C), ("65.00", Mutu.C), ("64.99", Mutu.D)],
)
def test_table_q1_boundaries_reached_from_real_answers(ikm: str, expected: Mutu) -> None:
    result = compute("2026-Q4", _answers_giving(ikm), population=100)
    assert result.ikm == Decimal(ikm)
    assert result.mutu is expected


def test_table_q1_ikm_outside_25_to_100_is_refused() -> None:
    for bad in ("24.99", "100.01"):
        with pytest.raises(InvalidInput):
            mutu(Decimal(bad))


def test_table_q1_nrr_is_the_mean_per_unsur_and_ikm_weights_each_exactly_one_ninth() -> None:
    rows = [[4, 3, 2, 1, 4, 3, 2, 1, 4], [2, 3, 4, 1, 4, 1, 2, 3, 4]]
    per = nrr(rows)
    assert per[Unsur.PERSYARATAN] == Fraction(3) and per[Unsur.BIAYA] == Fraction(1)
    assert per[Unsur.PERILAKU] == Fraction(2) and per[Unsur.SARANA] == Fraction(4)
    # Σ NRR = 3+3+3+1+4+2+2+2+4 = 24 → 24/9 × 25 = 66.666… → 66.67, mutu C
    assert ikm_exact(per) == Fraction(24 * 25, 9)
    result = compute("2026-Q4", rows, population=None)
    assert result.ikm == Decimal("66.67") and result.mutu is Mutu.C
    assert result.nrr[Unsur.PERSYARATAN] == Decimal("3.00")
    assert result.nrr_weighted[Unsur.PERSYARATAN] == Decimal("0.333")
    assert result.weakest == (Unsur.BIAYA,)


def test_table_q1_exact_one_ninth_versus_rounded_0_111_changes_the_mutu() -> None:
    # ΣNRR = 31.8: exactly 1/9 gives 88.33 (A); the worksheet shortcut 0.111 gives 88.25 (B)
    rows = [[4, 4, 4, 4, 4, 3, 3, 3, 3]] * 8 + [[4, 4, 4, 4, 3, 3, 3, 3, 3]] * 2
    per = nrr(rows)
    assert sum(per.values()) == Fraction(318, 10)
    exact = to_decimal(ikm_exact(per, WEIGHT))
    rounded = to_decimal(ikm_exact(per, Fraction("0.111")))
    assert (exact, mutu(exact)) == (Decimal("88.33"), Mutu.A)
    assert (rounded, mutu(rounded)) == (Decimal("88.25"), Mutu.B)
    assert compute("2026-Q4", rows, population=100).ikm == exact


@pytest.mark.parametrize(("population", "minimum"), KREJCIE_MORGAN)
def test_table_q1_krejcie_morgan_minimum_respondents(population: int, minimum: int) -> None:
    assert minimum_sample(population) == minimum


def test_table_q1_sample_between_rows_uses_the_larger_row_and_above_100000_stays_384() -> None:
    assert minimum_sample(300) == 217
    assert minimum_sample(1_001) == 357
    assert minimum_sample(2_000_000) == 384
    assert minimum_sample(None) == 384  # population not set: the strictest minimum
    assert minimum_sample(50) == 50  # cannot ask more people than are served


def test_table_q1_below_the_minimum_says_sampel_belum_memadai() -> None:
    few = compute("2026-Q4", [[4] * 9] * 79, population=100)
    enough = compute("2026-Q4", [[4] * 9] * 80, population=100)
    assert not few.sample_sufficient and few.sample_note == "sampel belum memadai"
    assert enough.sample_sufficient and enough.sample_note == ""


def test_answers_must_be_nine_each_1_to_4() -> None:
    assert validate_answers([1, 2, 3, 4, 1, 2, 3, 4, 1]) == (1, 2, 3, 4, 1, 2, 3, 4, 1)
    with pytest.raises(InvalidInput) as missing:
        validate_answers([4] * 8)
    assert missing.value.field == "answers"
    with pytest.raises(InvalidInput) as out_of_range:
        validate_answers([4, 4, 5, 4, 4, 4, 4, 4, 4])
    assert out_of_range.value.field == "answers.2"
    with pytest.raises(InvalidInput):
        validate_answers([0, 4, 4, 4, 4, 4, 4, 4, 4])


def test_weakest_unsur_lists_ties_and_trend_shows_change_between_measured_periods() -> None:
    tie = compute("2026-Q1", [[4, 2, 4, 4, 4, 4, 4, 4, 2]], population=None)
    assert tie.weakest == (Unsur.PROSEDUR, Unsur.SARANA)
    q1 = compute("2026-Q1", [[3] * 9], population=None)  # 75.00
    q2 = compute("2026-Q2", [], population=None)
    q3 = compute("2026-Q3", [[4] * 9], population=None)  # 100.00
    points = trend([q1, q2, q3])
    assert [p.ikm for p in points] == [Decimal("75.00"), None, Decimal("100.00")]
    assert [p.change for p in points] == [None, None, Decimal("25.00")]
