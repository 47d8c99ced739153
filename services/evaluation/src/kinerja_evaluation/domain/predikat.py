"""Predikat kinerja pegawai: DOMAIN.md Table P1 (PermenPANRB 6/2022), the matrix as data."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from kinerja_evaluation.domain.capaian import Rating


class Predikat(StrEnum):
    """The five official predikat, best first."""

    SANGAT_BAIK = "sangat_baik"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang"  # Kurang / Misconduct
    SANGAT_KURANG = "sangat_kurang"

    @property
    def label(self) -> str:
        return PREDIKAT_LABEL[self]

    @property
    def rank(self) -> int:
        """0 is best; used to compare ("Butuh Perbaikan or worse")."""
        return list(Predikat).index(self)

    def at_least(self, other: Predikat) -> bool:
        return self.rank <= other.rank

    def at_most(self, other: Predikat) -> bool:
        return self.rank >= other.rank


PREDIKAT_LABEL: Final = {
    Predikat.SANGAT_BAIK: "Sangat Baik",
    Predikat.BAIK: "Baik",
    Predikat.BUTUH_PERBAIKAN: "Butuh Perbaikan",
    Predikat.KURANG: "Kurang/Misconduct",
    Predikat.SANGAT_KURANG: "Sangat Kurang",
}

_PERILAKU: Final = (Rating.DI_ATAS, Rating.SESUAI, Rating.DI_BAWAH)  # columns
_P1: Final = {  # one row per hasil kerja rating
    Rating.DI_ATAS: (Predikat.SANGAT_BAIK, Predikat.BAIK, Predikat.KURANG),
    Rating.SESUAI: (Predikat.BAIK, Predikat.BAIK, Predikat.KURANG),
    Rating.DI_BAWAH: (Predikat.BUTUH_PERBAIKAN, Predikat.BUTUH_PERBAIKAN, Predikat.SANGAT_KURANG),
}


def predikat(hasil: Rating, perilaku: Rating) -> Predikat:
    """Official predikat from the hasil kerja and perilaku ratings, Table P1."""
    return _P1[hasil][_PERILAKU.index(perilaku)]
