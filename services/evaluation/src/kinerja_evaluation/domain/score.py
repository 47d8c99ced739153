"""Kinerja's numeric 0–100 performance score: DOMAIN.md Table S1 (weights are regency **config**).

The official rating is the predikat (Table P1); this score ranks, trends and feeds TPP. Every score keeps its
inputs and each component's applied weight, so the ASN's page can explain every number.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

HUNDRED: Final = Decimal(100)
_TWO: Final = Decimal("0.01")


class Component(StrEnum):
    HASIL = "hasil_kerja"
    PERILAKU = "perilaku"
    KEHADIRAN = "kehadiran"
    KEPUASAN = "kepuasan_masyarakat"
    INOVASI = "inovasi"


COMPONENT_LABEL: Final = {
    Component.HASIL: "Hasil kerja / penyelesaian tugas",
    Component.PERILAKU: "Perilaku (BerAKHLAK)",
    Component.KEHADIRAN: "Kehadiran",
    Component.KEPUASAN: "Kepuasan masyarakat (IKM unit)",
    Component.INOVASI: "Inovasi",
}


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """Table S1 default weights (50/25/10/10/5); a regency may set its own, summing to 100."""

    hasil: Decimal = Decimal(50)
    perilaku: Decimal = Decimal(25)
    kehadiran: Decimal = Decimal(10)
    kepuasan: Decimal = Decimal(10)
    inovasi: Decimal = Decimal(5)

    def __post_init__(self) -> None:
        values = self.as_dict().values()
        if any(v < 0 for v in values) or sum(values, Decimal(0)) != HUNDRED:
            raise ValueError("score weights must be non-negative and sum to 100")

    def as_dict(self) -> dict[Component, Decimal]:
        return {
            Component.HASIL: self.hasil,
            Component.PERILAKU: self.perilaku,
            Component.KEHADIRAN: self.kehadiran,
            Component.KEPUASAN: self.kepuasan,
            Component.INOVASI: self.inovasi,
        }


DEFAULT_WEIGHTS: Final = ScoreWeights()


@dataclass(frozen=True, slots=True)
class ScoreInputs:
    """What the period's facts say; None = the component does not apply (its weight is redistributed)."""

    hasil_capaian: Decimal | None  # weighted capaian of the RHK indicators, percent (Table P3, capped)
    perilaku_points: Decimal | None  # mean of BerAKHLAK points (Di Atas 100 / Sesuai 80 / Di Bawah 50)
    days_on_time: int | None = None
    working_days: int | None = None
    unit_ikm: Decimal | None = None  # only for public-facing units (Table Q1, 25–100)
    innovations: int | None = None  # verified innovations registered in the period


@dataclass(frozen=True, slots=True)
class ComponentScore:
    component: Component
    points: Decimal  # 0–100
    configured_weight: Decimal
    applied_weight: Decimal  # after redistribution
    contribution: Decimal  # points × applied weight / 100


@dataclass(frozen=True, slots=True)
class Score:
    total: Decimal
    components: tuple[ComponentScore, ...]

    def explain(self) -> dict[str, Decimal]:
        """Flat inputs for events and pages: points and applied weight per component."""
        out: dict[str, Decimal] = {}
        for c in self.components:
            out[f"{c.component.value}.points"] = c.points
            out[f"{c.component.value}.weight"] = c.applied_weight
        return out


def innovation_points(count: int) -> Decimal:
    """Table S1: 0 innovations → 0, 1 → 70, ≥ 2 → 100."""
    if count < 0:
        raise ValueError("innovation count must not be negative")
    return Decimal(0) if count == 0 else Decimal(70) if count == 1 else HUNDRED


def _points(inputs: ScoreInputs) -> dict[Component, Decimal | None]:
    attendance: Decimal | None = None
    if inputs.working_days:
        if inputs.days_on_time is None or not 0 <= inputs.days_on_time <= inputs.working_days:
            raise ValueError("days on time must be between 0 and the working days")
        attendance = Decimal(inputs.days_on_time) / Decimal(inputs.working_days) * HUNDRED
    return {
        # a capaian above 100 (up to the P3 cap) is full marks here: the score is 0–100
        Component.HASIL: None if inputs.hasil_capaian is None else min(inputs.hasil_capaian, HUNDRED),
        Component.PERILAKU: inputs.perilaku_points,
        Component.KEHADIRAN: attendance,
        Component.KEPUASAN: inputs.unit_ikm,
        Component.INOVASI: None if inputs.innovations is None else innovation_points(inputs.innovations),
    }


def score(inputs: ScoreInputs, weights: ScoreWeights = DEFAULT_WEIGHTS) -> Score:
    """The 0–100 score per Table S1; weights of components that do not apply are redistributed proportionally."""
    points = _points(inputs)
    configured = weights.as_dict()
    applicable = {c: w for c, w in configured.items() if points[c] is not None and w > 0}
    base = sum(applicable.values(), Decimal(0))
    if base == 0:
        raise ValueError("no score component applies")
    components = []
    total = Decimal(0)
    for c, w in configured.items():
        p = points[c]
        applied = (w / base * HUNDRED) if c in applicable else Decimal(0)
        value = Decimal(0) if p is None else max(Decimal(0), min(p, HUNDRED))
        contribution = value * applied / HUNDRED
        total += contribution
        components.append(
            ComponentScore(
                component=c,
                points=value.quantize(_TWO, rounding=ROUND_HALF_UP),
                configured_weight=w,
                applied_weight=applied.quantize(_TWO, rounding=ROUND_HALF_UP),
                contribution=contribution.quantize(_TWO, rounding=ROUND_HALF_UP),
            )
        )
    return Score(total=total.quantize(_TWO, rounding=ROUND_HALF_UP), components=tuple(components))
