"""360 feedback on the BerAKHLAK values (Table B1): anonymous ratings, shown only as an aggregate of ≥ N raters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final
from uuid import UUID

from kinerja_feedback.domain.errors import Conflict, InvalidInput


class Value(StrEnum):
    """The seven BerAKHLAK values, Table B1 order (same strings as the event contract)."""

    BERORIENTASI_PELAYANAN = "berorientasi_pelayanan"
    AKUNTABEL = "akuntabel"
    KOMPETEN = "kompeten"
    HARMONIS = "harmonis"
    LOYAL = "loyal"
    ADAPTIF = "adaptif"
    KOLABORATIF = "kolaboratif"

    @property
    def label(self) -> str:
        return VALUE_LABELS[self][0]

    @property
    def guidance(self) -> str:
        return VALUE_LABELS[self][1]


VALUE_LABELS: Final[dict[Value, tuple[str, str]]] = {
    Value.BERORIENTASI_PELAYANAN: (
        "Berorientasi Pelayanan",
        "Memahami dan memenuhi kebutuhan masyarakat; ramah, cekatan, solutif, dan dapat diandalkan.",
    ),
    Value.AKUNTABEL: ("Akuntabel", "Jujur, bertanggung jawab, cermat, disiplin, dan berintegritas tinggi."),
    Value.KOMPETEN: ("Kompeten", "Terus belajar, membantu orang lain belajar, dan bekerja dengan kualitas terbaik."),
    Value.HARMONIS: ("Harmonis", "Menghargai setiap orang, suka menolong, dan membangun lingkungan kerja kondusif."),
    Value.LOYAL: ("Loyal", "Setia pada Pancasila, UUD 1945, NKRI; menjaga nama baik rekan dan instansi."),
    Value.ADAPTIF: ("Adaptif", "Cepat menyesuaikan diri, terus berinovasi, kreatif, dan proaktif."),
    Value.KOLABORATIF: ("Kolaboratif", "Memberi kesempatan berkontribusi, terbuka bekerja sama untuk nilai tambah."),
}


class Rating(StrEnum):
    DI_ATAS = "di_atas"
    SESUAI = "sesuai"
    DI_BAWAH = "di_bawah"

    @property
    def label(self) -> str:
        return {"di_atas": "Di Atas Ekspektasi", "sesuai": "Sesuai Ekspektasi", "di_bawah": "Di Bawah Ekspektasi"}[
            self.value
        ]

    @property
    def score(self) -> int:
        """Table S1's behaviour points: Di Atas 100, Sesuai 80, Di Bawah 50."""
        return {"di_atas": 100, "sesuai": 80, "di_bawah": 50}[self.value]


class Relation(StrEnum):
    PEER = "rekan"
    SUBORDINATE = "bawahan"
    OTHER = "lainnya"


DEFAULT_MIN_RATERS: Final = 3  # Table B1, config per regency
COMMENT_MAX: Final = 1000


def check_rater(ratee: UUID, rater: UUID) -> None:
    """Nobody rates themselves (Table B1)."""
    if ratee == rater:
        raise InvalidInput("Pegawai tidak dapat menilai dirinya sendiri.", field="raters", reason="self-rating")


def validate_ratings(ratings: Mapping[str, str]) -> dict[Value, Rating]:
    """All seven values rated with one of the three levels, nothing else."""
    out: dict[Value, Rating] = {}
    for v in Value:
        given = ratings.get(v.value)
        if given is None:
            raise InvalidInput(f"Nilai {v.label} wajib dinilai.", field=f"ratings.{v.value}", reason="missing value")
        try:
            out[v] = Rating(given)
        except ValueError:
            raise InvalidInput(
                f"Penilaian {v.label} harus Di Atas, Sesuai, atau Di Bawah Ekspektasi.",
                field=f"ratings.{v.value}",
                reason="rating must be di_atas, sesuai or di_bawah",
            ) from None
    unknown = set(ratings) - {v.value for v in Value}
    if unknown:
        raise InvalidInput("Ada nilai yang tidak dikenal.", field="ratings", reason=f"unknown: {sorted(unknown)}")
    return out


@dataclass(frozen=True, slots=True)
class ValueTally:
    value: Value
    di_atas: int
    sesuai: int
    di_bawah: int

    @property
    def total(self) -> int:
        return self.di_atas + self.sesuai + self.di_bawah

    @property
    def score(self) -> Decimal:
        """Mean of Table S1 points, two places."""
        points = self.di_atas * 100 + self.sesuai * 80 + self.di_bawah * 50
        return (Decimal(points) / Decimal(self.total)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Summary:
    raters: int
    values: tuple[ValueTally, ...]


def summarize(responses: Sequence[Mapping[Value, Rating]], *, min_raters: int) -> Summary | None:
    """The aggregate, or None while fewer than `min_raters` answered (so no one can be singled out)."""
    if min_raters < 1:
        raise ValueError("min_raters must be ≥ 1")
    if len(responses) < min_raters:
        return None
    tallies = []
    for v in Value:
        counts = dict.fromkeys(Rating, 0)
        for resp in responses:
            counts[resp[v]] += 1
        tallies.append(ValueTally(v, counts[Rating.DI_ATAS], counts[Rating.SESUAI], counts[Rating.DI_BAWAH]))
    return Summary(len(responses), tuple(tallies))


def ensure_open(status: str) -> None:
    if status != "terbuka":
        raise Conflict("Undangan ini sudah dijawab atau ditutup.")
