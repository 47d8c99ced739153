"""Table B1 (BerAKHLAK 360): seven values, three levels, no self-rating, aggregate only from 3 raters (config)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from kinerja_feedback.domain.errors import InvalidInput
from kinerja_feedback.domain.peer import Rating, Value, check_rater, summarize, validate_ratings


def _all(level: Rating) -> dict[Value, Rating]:
    return dict.fromkeys(Value, level)


def test_table_b1_has_the_seven_berakhlak_values() -> None:
    assert [v.label for v in Value] == [
        "Berorientasi Pelayanan",
        "Akuntabel",
        "Kompeten",
        "Harmonis",
        "Loyal",
        "Adaptif",
        "Kolaboratif",
    ]


def test_table_b1_aggregate_hidden_below_three_raters_and_shown_from_three() -> None:
    two = [_all(Rating.DI_ATAS), _all(Rating.SESUAI)]
    assert summarize(two, min_raters=3) is None
    three = summarize([*two, _all(Rating.DI_BAWAH)], min_raters=3)
    assert three is not None and three.raters == 3
    tally = three.values[0]
    assert (tally.di_atas, tally.sesuai, tally.di_bawah) == (1, 1, 1)
    assert tally.score == Decimal("76.67")  # (100 + 80 + 50) / 3, Table S1 points
    assert summarize(two, min_raters=2) is not None  # the threshold is per-regency config


def test_table_b1_nobody_rates_themselves() -> None:
    me = uuid.uuid4()
    with pytest.raises(InvalidInput):
        check_rater(me, me)
    check_rater(me, uuid.uuid4())


def test_ratings_need_all_seven_values_with_known_levels() -> None:
    full = {v.value: "sesuai" for v in Value}
    assert validate_ratings(full) == _all(Rating.SESUAI)
    with pytest.raises(InvalidInput) as missing:
        validate_ratings({k: v for k, v in full.items() if k != "loyal"})
    assert missing.value.field == "ratings.loyal"
    with pytest.raises(InvalidInput):
        validate_ratings(full | {"adaptif": "luar_biasa"})
    with pytest.raises(InvalidInput):
        validate_ratings(full | {"lainnya": "sesuai"})
