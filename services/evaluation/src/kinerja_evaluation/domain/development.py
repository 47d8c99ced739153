"""Competency development: DOMAIN.md Table D1 (every ASN has the right to ≥ 20 JP a year, **config**).

The equal-access report shows, per regency, the share of ASN reaching the right by unit, grade, gender and
urban/rural location, so gaps in access are visible; recommendations come from gaps (BerAKHLAK values rated
Di Bawah, failing indicators).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

HUNDRED: Final = Decimal(100)
HASIL_KERJA: Final = "hasil_kerja"  # topic of courses for failing indicators
DIMENSIONS: Final = ("unit", "grade", "gender", "location")
DIMENSION_LABEL: Final = {
    "unit": "Unit kerja",
    "grade": "Golongan",
    "gender": "Jenis kelamin",
    "location": "Lokasi (perkotaan/perdesaan)",
}


@dataclass(frozen=True, slots=True)
class AsnJp:
    """One ASN's completed JP in the year and the groups the report splits by."""

    unit: str
    grade: str
    gender: str
    location: str
    jp: int


@dataclass(frozen=True, slots=True)
class GroupShare:
    group: str
    total: int
    reached: int
    share: Decimal  # percent, two places
    mean_jp: Decimal

    @property
    def gap(self) -> bool:
        return self.total > 0 and self.reached < self.total


def reached(jp: int, right: int) -> bool:
    """Table D1: the right is met at `right` JP or more."""
    return jp >= right


def _share(part: int, whole: int) -> Decimal:
    return (Decimal(part) / whole * HUNDRED).quantize(Decimal("0.01"), ROUND_HALF_UP) if whole else Decimal(0)


def equal_access(rows: Iterable[AsnJp], right: int) -> dict[str, list[GroupShare]]:
    """Share of ASN reaching `right` JP, per group of each dimension (groups sorted, lowest share first)."""
    acc: dict[str, dict[str, list[int]]] = {d: {} for d in DIMENSIONS}
    for r in rows:
        for d in DIMENSIONS:
            acc[d].setdefault(getattr(r, d), []).append(r.jp)
    out: dict[str, list[GroupShare]] = {}
    for d, groups in acc.items():
        shares = [
            GroupShare(
                g,
                len(jps),
                sum(1 for j in jps if reached(j, right)),
                _share(sum(1 for j in jps if reached(j, right)), len(jps)),
                (Decimal(sum(jps)) / len(jps)).quantize(Decimal("0.1"), ROUND_HALF_UP),
            )
            for g, jps in groups.items()
        ]
        out[d] = sorted(shares, key=lambda s: (s.share, s.group))
    return out


def overall(rows: Sequence[AsnJp], right: int) -> GroupShare:
    hit = sum(1 for r in rows if reached(r.jp, right))
    mean = (
        (Decimal(sum(r.jp for r in rows)) / len(rows)).quantize(Decimal("0.1"), ROUND_HALF_UP) if rows else Decimal(0)
    )
    return GroupShare("semua", len(rows), hit, _share(hit, len(rows)), mean)


@dataclass(frozen=True, slots=True)
class Course:
    course_id: str
    title: str
    jp: int
    topics: frozenset[str]


@dataclass(frozen=True, slots=True)
class Recommendation:
    course: Course
    because: tuple[str, ...]  # the gaps it addresses


def recommendations(
    weak_values: Iterable[str],
    failing_indicators: bool,
    catalogue: Sequence[Course],
    *,
    taken: Iterable[str] = (),
    value_labels: Mapping[str, str] | None = None,
) -> list[Recommendation]:
    """Courses addressing the ASN's gaps, most gaps covered first, then fewer JP; courses taken are left out."""
    labels = value_labels or {}
    gaps = {v: f"Perilaku {labels.get(v, v)} di bawah ekspektasi" for v in weak_values}
    if failing_indicators:
        gaps[HASIL_KERJA] = "Indikator kinerja belum tercapai"
    done = set(taken)
    out = []
    for c in catalogue:
        if c.course_id in done:
            continue
        because = tuple(gaps[t] for t in sorted(c.topics) if t in gaps)
        if because:
            out.append(Recommendation(c, because))
    return sorted(out, key=lambda r: (-len(r.because), r.course.jp, r.course.title))
