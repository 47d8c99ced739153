"""Distribution curve of a unit's predikat by its organisation rating: DOMAIN.md Table P2 (**config**).

Defaults as reported for SE MenPANRB 3/2023. The system flags violations before finalisation and never changes
anyone's predikat to fit the curve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final, Literal

from kinerja_evaluation.domain.predikat import PREDIKAT_LABEL, Predikat

HUNDRED: Final = Decimal(100)


class OrgRating(StrEnum):
    ISTIMEWA = "istimewa"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang"
    SANGAT_KURANG = "sangat_kurang"


@dataclass(frozen=True, slots=True)
class Bound:
    """The share of `predikat` (together) must be `op` `percent` of the unit's employees."""

    predikat: frozenset[Predikat]
    op: Literal["<=", ">="]
    percent: Decimal

    def describe(self) -> str:
        names = "/".join(PREDIKAT_LABEL[p] for p in Predikat if p in self.predikat)
        return f"{names} {'≤' if self.op == '<=' else '≥'} {self.percent}%"


def _b(op: Literal["<=", ">="], percent: int, *predikat: Predikat) -> Bound:
    return Bound(frozenset(predikat), op, Decimal(percent))


P = Predikat
DEFAULT_CURVE: Final[Mapping[OrgRating, tuple[Bound, ...]]] = {
    OrgRating.ISTIMEWA: (_b("<=", 70, P.SANGAT_BAIK),),
    OrgRating.BAIK: (_b("<=", 70, P.BAIK),),
    OrgRating.BUTUH_PERBAIKAN: (_b(">=", 60, P.BUTUH_PERBAIKAN), _b("<=", 10, P.SANGAT_BAIK)),
    OrgRating.KURANG: (_b(">=", 60, P.KURANG), _b(">=", 10, P.BUTUH_PERBAIKAN), _b("<=", 10, P.SANGAT_BAIK)),
    OrgRating.SANGAT_KURANG: (
        _b(">=", 60, P.SANGAT_KURANG),
        _b(">=", 10, P.KURANG, P.BUTUH_PERBAIKAN),
        _b("<=", 0, P.SANGAT_BAIK),
    ),
}


@dataclass(frozen=True, slots=True)
class Violation:
    bound: Bound
    actual_percent: Decimal

    def message(self) -> str:
        return f"Distribusi melanggar kurva: {self.bound.describe()}, aktual {self.actual_percent}%"


def distribution(predikat: Sequence[Predikat]) -> dict[Predikat, Decimal]:
    """Share of each predikat in percent (two places); all zero for an empty unit."""
    n = len(predikat)
    return {
        p: (Decimal(sum(1 for x in predikat if x is p)) / n * HUNDRED).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if n
        else Decimal(0)
        for p in Predikat
    }


def check_curve(
    rating: OrgRating, predikat: Sequence[Predikat], curve: Mapping[OrgRating, tuple[Bound, ...]] = DEFAULT_CURVE
) -> list[Violation]:
    """Which of the curve's bounds (Table P2) the unit's actual distribution breaks; empty when it fits."""
    if not predikat:
        return []
    n = Decimal(len(predikat))
    out = []
    for bound in curve[rating]:
        share = Decimal(sum(1 for p in predikat if p in bound.predikat)) / n * HUNDRED
        ok = share <= bound.percent if bound.op == "<=" else share >= bound.percent
        if not ok:
            out.append(Violation(bound, share.quantize(Decimal("0.01"), ROUND_HALF_UP)))
    return out
