"""Hypothesis properties of Table P3 (capaian) and Table P1 (predikat), over bounded random inputs."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kinerja_evaluation.domain.capaian import (
    Direction,
    Rating,
    WeightedCapaian,
    capaian,
    proposed_rating,
    rhk_capaian,
)
from kinerja_evaluation.domain.predikat import predikat

amounts = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
ratings = st.sampled_from(list(Rating))
ORDER = [Rating.DI_BAWAH, Rating.SESUAI, Rating.DI_ATAS]  # worse → better


@settings(max_examples=300, deadline=None)
@given(amounts, amounts, amounts, st.sampled_from(list(Direction)))
def test_p3_capaian_is_bounded_and_monotone_in_realisasi(
    target: Decimal, r1: Decimal, r2: Decimal, d: Direction
) -> None:
    low, high = min(r1, r2), max(r1, r2)
    a, b = capaian(target, low, d), capaian(target, high, d)
    assert Decimal(0) <= a <= Decimal(120) and Decimal(0) <= b <= Decimal(120)
    assert a == a.quantize(Decimal("0.01"))
    if d is Direction.HIGHER_IS_BETTER:
        assert a <= b  # more done is never worse
    else:
        assert a >= b  # for lower-is-better, more is never better


@settings(max_examples=200, deadline=None)
@given(amounts.filter(lambda t: t > 0), st.sampled_from(list(Direction)))
def test_p3_meeting_the_target_exactly_is_100(target: Decimal, d: Direction) -> None:
    assert capaian(target, target, d) == Decimal(100)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.decimals(min_value=0, max_value=120, places=2), st.integers(1, 100)), min_size=1, max_size=8)
)
def test_p3_rhk_capaian_lies_between_its_indicators(items: list[tuple[Decimal, int]]) -> None:
    value = rhk_capaian([WeightedCapaian(c, Decimal(w)) for c, w in items])
    assert value is not None
    assert min(c for c, _ in items) <= value <= max(c for c, _ in items)


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=0, max_value=120, places=2), st.decimals(min_value=0, max_value=120, places=2))
def test_p3_proposed_rating_is_monotone(a: Decimal, b: Decimal) -> None:
    low, high = min(a, b), max(a, b)
    assert ORDER.index(proposed_rating(low)) <= ORDER.index(proposed_rating(high))


@given(ratings, ratings, ratings)
def test_p1_predikat_never_improves_when_a_rating_drops(hasil: Rating, perilaku: Rating, other: Rating) -> None:
    # a better hasil (same perilaku) or a better perilaku (same hasil) never gives a worse predikat
    if ORDER.index(other) >= ORDER.index(hasil):
        assert predikat(other, perilaku).at_least(predikat(hasil, perilaku))
    if ORDER.index(other) >= ORDER.index(perilaku):
        assert predikat(hasil, other).at_least(predikat(hasil, perilaku))
