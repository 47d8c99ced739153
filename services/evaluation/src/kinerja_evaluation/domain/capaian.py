"""Capaian (achievement) per indicator and the proposed hasil kerja rating: DOMAIN.md Table P3."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

HUNDRED: Final = Decimal(100)
TWO_PLACES: Final = Decimal("0.01")


class Direction(StrEnum):
    """Whether a higher or a lower realisasi is better (values match the event contract)."""

    HIGHER_IS_BETTER = "higher"
    LOWER_IS_BETTER = "lower"


class Rating(StrEnum):
    """Rating of hasil kerja (and perilaku): the rows/columns of Table P1."""

    DI_ATAS = "di_atas_ekspektasi"
    SESUAI = "sesuai_ekspektasi"
    DI_BAWAH = "di_bawah_ekspektasi"


RATING_LABEL: Final = {
    Rating.DI_ATAS: "Di Atas Ekspektasi",
    Rating.SESUAI: "Sesuai Ekspektasi",
    Rating.DI_BAWAH: "Di Bawah Ekspektasi",
}


@dataclass(frozen=True, slots=True)
class CapaianRules:
    """The regency's **config** values of Table P3 (defaults: cap 120, ≥ 110 Di Atas, < 90 Di Bawah)."""

    cap: Decimal = Decimal(120)
    above_from: Decimal = Decimal(110)
    below_under: Decimal = Decimal(90)

    def __post_init__(self) -> None:
        if self.cap < HUNDRED:
            raise ValueError("the capaian cap must be at least 100")
        if not Decimal(0) < self.below_under <= self.above_from:
            raise ValueError("thresholds must satisfy 0 < below_under <= above_from")


DEFAULT_RULES: Final = CapaianRules()


def capaian(target: Decimal, realisasi: Decimal, direction: Direction, rules: CapaianRules = DEFAULT_RULES) -> Decimal:
    """Capaian in percent, two places, per Table P3.

    Higher is better: realisasi / target × 100. Lower is better: (2 × target − realisasi) / target × 100, floor 0.
    Both capped (config, default 120). Target 0 on lower-is-better: 100 if realisasi is 0, else 0. Target 0 on
    higher-is-better is not in the table; any realisasi ≥ 0 meets a zero target, so it counts as 100.
    """
    if target < 0 or realisasi < 0:
        raise ValueError("target and realisasi must not be negative")
    if target == 0:
        if direction is Direction.LOWER_IS_BETTER:
            value = HUNDRED if realisasi == 0 else Decimal(0)
        else:
            value = HUNDRED
    elif direction is Direction.HIGHER_IS_BETTER:
        value = realisasi / target * HUNDRED
    else:
        value = max(Decimal(0), (2 * target - realisasi) / target * HUNDRED)
    return min(value, rules.cap).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class WeightedCapaian:
    capaian: Decimal
    weight: Decimal


def rhk_capaian(items: Sequence[WeightedCapaian]) -> Decimal | None:
    """An RHK's capaian: the weighted mean of its indicators' capaian (Table P3); None without any."""
    total = sum((i.weight for i in items), Decimal(0))
    if not items or total <= 0:
        return None
    mean = sum((i.capaian * i.weight for i in items), Decimal(0)) / total
    return mean.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def proposed_rating(value: Decimal, rules: CapaianRules = DEFAULT_RULES) -> Rating:
    """Proposed hasil rating from an RHK's capaian (Table P3): ≥ 110 Di Atas, 90–<110 Sesuai, < 90 Di Bawah."""
    if value >= rules.above_from:
        return Rating.DI_ATAS
    if value >= rules.below_under:
        return Rating.SESUAI
    return Rating.DI_BAWAH
