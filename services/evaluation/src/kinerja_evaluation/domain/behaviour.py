"""BerAKHLAK behaviour (DOMAIN.md Table B1, SE MenPANRB 20/2021) and how 360 feedback is summarised."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

from kinerja_evaluation.domain.capaian import Rating


class BerAkhlak(StrEnum):
    """The seven core values, in the acronym's order."""

    BERORIENTASI_PELAYANAN = "berorientasi_pelayanan"
    AKUNTABEL = "akuntabel"
    KOMPETEN = "kompeten"
    HARMONIS = "harmonis"
    LOYAL = "loyal"
    ADAPTIF = "adaptif"
    KOLABORATIF = "kolaboratif"


VALUE_LABEL: Final = {
    BerAkhlak.BERORIENTASI_PELAYANAN: "Berorientasi Pelayanan",
    BerAkhlak.AKUNTABEL: "Akuntabel",
    BerAkhlak.KOMPETEN: "Kompeten",
    BerAkhlak.HARMONIS: "Harmonis",
    BerAkhlak.LOYAL: "Loyal",
    BerAkhlak.ADAPTIF: "Adaptif",
    BerAkhlak.KOLABORATIF: "Kolaboratif",
}

# Table B1's "seeds' aspect" column: which value carries which aspect the seeds name
SEED_ASPECT: Final = {
    BerAkhlak.BERORIENTASI_PELAYANAN: "kualitas pelayanan",
    BerAkhlak.AKUNTABEL: "integritas",
    BerAkhlak.KOMPETEN: "profesionalisme",
    BerAkhlak.ADAPTIF: "inovasi",
    BerAkhlak.KOLABORATIF: "kontribusi",
}

# Table S1: a behaviour rating as points of the 0–100 score
RATING_POINTS: Final = {Rating.DI_ATAS: Decimal(100), Rating.SESUAI: Decimal(80), Rating.DI_BAWAH: Decimal(50)}
_LEVEL: Final = {Rating.DI_ATAS: 3, Rating.SESUAI: 2, Rating.DI_BAWAH: 1}


class IncompleteRatings(ValueError):
    """Every one of the seven values must be rated."""


def check_complete(ratings: Mapping[BerAkhlak, Rating]) -> None:
    missing = [v for v in BerAkhlak if v not in ratings]
    if missing:
        raise IncompleteRatings(", ".join(VALUE_LABEL[v] for v in missing))


def proposed_perilaku(ratings: Mapping[BerAkhlak, Rating]) -> Rating:
    """A proposal for the overall perilaku rating from the seven values; the pejabat penilai decides.

    Rule (Kinerja's, documented): Di Bawah if two or more values are Di Bawah; Di Atas if at least four values are
    Di Atas and none is Di Bawah; otherwise Sesuai. One weak value is a coaching point, not a verdict.
    """
    check_complete(ratings)
    below = sum(1 for r in ratings.values() if r is Rating.DI_BAWAH)
    above = sum(1 for r in ratings.values() if r is Rating.DI_ATAS)
    if below >= 2:
        return Rating.DI_BAWAH
    if above >= 4 and below == 0:
        return Rating.DI_ATAS
    return Rating.SESUAI


def perilaku_points(ratings: Mapping[BerAkhlak, Rating]) -> Decimal:
    """Mean of the seven values' points (Table S1: Di Atas 100, Sesuai 80, Di Bawah 50), two places."""
    check_complete(ratings)
    total = sum((RATING_POINTS[r] for r in ratings.values()), Decimal(0))
    return (total / len(ratings)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class PeerSummary:
    """360 feedback for one value: how many raters and the mean level (1 Di Bawah … 3 Di Atas)."""

    raters: int
    mean_level: Decimal

    @property
    def tendency(self) -> Rating:
        if self.mean_level >= Decimal("2.5"):
            return Rating.DI_ATAS
        if self.mean_level >= Decimal("1.5"):
            return Rating.SESUAI
        return Rating.DI_BAWAH


def summarise_360(
    responses: Sequence[Mapping[BerAkhlak, Rating]], *, min_raters: int = 3
) -> dict[BerAkhlak, PeerSummary]:
    """Per value, the anonymous aggregate of peer/subordinate ratings; empty below `min_raters` (**config**, 3)."""
    if len(responses) < min_raters:
        return {}
    out: dict[BerAkhlak, PeerSummary] = {}
    for value in BerAkhlak:
        levels = [_LEVEL[r[value]] for r in responses if value in r]
        if len(levels) >= min_raters:
            mean = (Decimal(sum(levels)) / len(levels)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            out[value] = PeerSummary(raters=len(levels), mean_level=mean)
    return out
