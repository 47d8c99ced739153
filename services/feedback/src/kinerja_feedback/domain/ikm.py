"""SKM / IKM per PermenPANRB 14/2017 (DOMAIN.md Table Q1): NRR per unsur, weight exactly 1/9, ×25, mutu A–D.

Arithmetic is exact (Fraction) until the end; the published IKM is rounded half up to two places, which is
where the table's boundaries (88.30/88.31, 76.60/76.61, 65.00/64.99) live.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum, StrEnum
from fractions import Fraction
from typing import Final

from kinerja_feedback.domain.errors import InvalidInput


class Unsur(IntEnum):
    """The nine elements, in the regulation's order (U1..U9)."""

    PERSYARATAN = 1
    PROSEDUR = 2
    WAKTU = 3
    BIAYA = 4
    PRODUK = 5
    KOMPETENSI = 6
    PERILAKU = 7
    PENGADUAN = 8
    SARANA = 9

    @property
    def code(self) -> str:
        return f"U{self.value}"

    @property
    def label(self) -> str:
        return UNSUR_LABELS[self]


UNSUR_LABELS: Final[dict[Unsur, str]] = {
    Unsur.PERSYARATAN: "Persyaratan",
    Unsur.PROSEDUR: "Sistem, mekanisme, dan prosedur",
    Unsur.WAKTU: "Waktu penyelesaian",
    Unsur.BIAYA: "Biaya/tarif",
    Unsur.PRODUK: "Produk spesifikasi jenis pelayanan",
    Unsur.KOMPETENSI: "Kompetensi pelaksana",
    Unsur.PERILAKU: "Perilaku pelaksana",
    Unsur.PENGADUAN: "Penanganan pengaduan, saran, dan masukan",
    Unsur.SARANA: "Sarana dan prasarana",
}

# the four answers, worst first (Table Q1)
SCALE: Final[dict[int, str]] = {1: "Tidak baik", 2: "Kurang baik", 3: "Baik", 4: "Sangat baik"}

WEIGHT: Final = Fraction(1, 9)  # exactly 1/9; the rounded 0.111 understates every IKM (see tests)
CONVERSION: Final = 25
_CENT: Final = Decimal("0.01")


class Mutu(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"

    @property
    def kinerja(self) -> str:
        return _KINERJA[self]


_KINERJA: Final = {Mutu.A: "Sangat Baik", Mutu.B: "Baik", Mutu.C: "Kurang Baik", Mutu.D: "Tidak Baik"}

# lower bound of each band on the converted, two-place IKM (Table Q1), best first
_BANDS: Final[tuple[tuple[Decimal, Mutu], ...]] = (
    (Decimal("88.31"), Mutu.A),
    (Decimal("76.61"), Mutu.B),
    (Decimal("65.00"), Mutu.C),
    (Decimal("25.00"), Mutu.D),
)

# Krejcie–Morgan minimum respondents by population served (Table Q1); between rows the next larger one applies
KREJCIE_MORGAN: Final[tuple[tuple[int, int], ...]] = (
    (100, 80),
    (500, 217),
    (1_000, 278),
    (5_000, 357),
    (10_000, 370),
    (100_000, 384),
)


def validate_answers(answers: Sequence[int]) -> tuple[int, ...]:
    """The nine answers U1..U9, each 1..4, or InvalidInput naming the first bad one."""
    if len(answers) != len(Unsur):
        missing = len(answers) < len(Unsur)
        raise InvalidInput(
            "Semua 9 unsur wajib dijawab." if missing else "Jawaban hanya untuk 9 unsur.",
            field="answers",
            reason=f"expected 9 answers, got {len(answers)}",
        )
    for u, a in zip(Unsur, answers, strict=True):
        if isinstance(a, bool) or not isinstance(a, int) or not 1 <= a <= 4:
            raise InvalidInput(
                f"Jawaban {u.code} ({u.label}) harus 1–4.",
                field=f"answers.{u.value - 1}",
                reason="each answer must be an integer 1..4",
            )
    return tuple(answers)


def nrr(answers: Iterable[Sequence[int]]) -> dict[Unsur, Fraction]:
    """NRR per unsur: the exact mean of the answers to it; empty when there are no responses."""
    sums = [0] * len(Unsur)
    n = 0
    for row in answers:
        for i, a in enumerate(row):
            sums[i] += a
        n += 1
    if n == 0:
        return {}
    return {u: Fraction(sums[u.value - 1], n) for u in Unsur}


def ikm_exact(nrr_per_unsur: dict[Unsur, Fraction], weight: Fraction = WEIGHT) -> Fraction:
    """IKM = Σ(NRR_i × weight) × 25, exactly (Table Q1)."""
    return sum((v * weight for v in nrr_per_unsur.values()), Fraction(0)) * CONVERSION


def to_decimal(value: Fraction, places: Decimal = _CENT) -> Decimal:
    """A Fraction as a Decimal rounded half up (how the IKM is published)."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(places, rounding=ROUND_HALF_UP)


def mutu(ikm: Decimal) -> Mutu:
    """Mutu pelayanan for a published (two-place) IKM, Table Q1."""
    if not Decimal(25) <= ikm <= Decimal(100):
        raise InvalidInput("IKM harus di antara 25 dan 100.", field="ikm", reason="IKM out of 25..100")
    for lower, band in _BANDS:
        if ikm >= lower:
            return band
    raise AssertionError("unreachable: IKM ≥ 25 is always in band D")


def minimum_sample(population: int | None) -> int:
    """Krejcie–Morgan minimum respondents for the population served; unknown population needs the most."""
    if population is None:
        return KREJCIE_MORGAN[-1][1]
    if population < 1:
        raise InvalidInput("Populasi harus lebih dari 0.", field="population", reason="population must be ≥ 1")
    for pop, minimum in KREJCIE_MORGAN:
        if population <= pop:
            return min(minimum, population)  # a unit serving 50 people cannot survey 80 of them
    return KREJCIE_MORGAN[-1][1]


@dataclass(frozen=True, slots=True)
class IkmResult:
    """One unit's IKM for one period with everything the results page and export show."""

    period: str
    respondents: int
    nrr: dict[Unsur, Decimal]  # per unsur, 2 places (display)
    nrr_weighted: dict[Unsur, Decimal]  # NRR × 1/9, 3 places (the regulation's worksheet column)
    ikm: Decimal | None  # None without responses
    mutu: Mutu | None
    minimum_sample: int
    weakest: tuple[Unsur, ...]  # the lowest NRR (ties all shown)

    @property
    def sample_sufficient(self) -> bool:
        return self.respondents >= self.minimum_sample

    @property
    def sample_note(self) -> str:
        return "" if self.sample_sufficient else "sampel belum memadai"


def compute(period: str, answers: Sequence[Sequence[int]], *, population: int | None) -> IkmResult:
    """IKM of one unit and period from its responses (Table Q1)."""
    sums = [sum(row[u.value - 1] for row in answers) for u in Unsur]
    return compute_from_sums(period, len(answers), sums, population=population)


def compute_from_sums(period: str, respondents: int, sums: Sequence[int], *, population: int | None) -> IkmResult:
    """As `compute`, from per-unsur answer sums (what the database aggregates), still exact."""
    if respondents == 0:
        return IkmResult(period, 0, {}, {}, None, None, minimum_sample(population), ())
    if len(sums) != len(Unsur):
        raise InvalidInput("Jumlah unsur tidak sembilan.", field="sums", reason="expected 9 sums")
    exact = {u: Fraction(sums[u.value - 1], respondents) for u in Unsur}
    value = to_decimal(ikm_exact(exact))
    low = min(exact.values())
    return IkmResult(
        period=period,
        respondents=respondents,
        nrr={u: to_decimal(v) for u, v in exact.items()},
        nrr_weighted={u: to_decimal(v * WEIGHT, Decimal("0.001")) for u, v in exact.items()},
        ikm=value,
        mutu=mutu(value),
        minimum_sample=minimum_sample(population),
        weakest=tuple(u for u, v in exact.items() if v == low),
    )


@dataclass(frozen=True, slots=True)
class TrendPoint:
    period: str
    ikm: Decimal | None
    change: Decimal | None  # versus the previous period with an IKM


def trend(results: Sequence[IkmResult]) -> list[TrendPoint]:
    """IKM over periods (given oldest first) with the change from the previous measured period."""
    out: list[TrendPoint] = []
    previous: Decimal | None = None
    for r in results:
        change = None if r.ikm is None or previous is None else r.ikm - previous
        out.append(TrendPoint(r.period, r.ikm, change))
        if r.ikm is not None:
            previous = r.ikm
    return out
