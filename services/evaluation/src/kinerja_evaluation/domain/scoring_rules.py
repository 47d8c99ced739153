"""Pure rules of the scoring engine: periods, unit IKM (Table Q1), the hasil kerja capaian of a period (P3, S1),
attendance for kehadiran (S1), impossible facts, and deterministic notification ids (R1)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Final

from kinerja_evaluation.domain.capaian import WeightedCapaian, rhk_capaian
from kinerja_evaluation.domain.skp import PERIOD_PATTERN, Periodicity, current_period, period_bounds

TWO: Final = Decimal("0.01")
HUNDRED: Final = Decimal(100)
SURVEY_ITEMS: Final = 9
# fixed namespaces: the same trigger for the same ASN and period always has the same ids, on any machine
NOTIFICATION_NS: Final = uuid.UUID("6b696e65-726a-4100-8000-6e6f74696679")
OUTBOX_NS: Final = uuid.UUID("6b696e65-726a-4100-8000-6f7574626f78")

_ROMAN: Final = ("I", "II", "III", "IV")
_MONTHS: Final = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


class ImpossibleFact(ValueError):
    """A schema-valid fact that cannot be true (an SKM answer of 7, 2,000 minutes late): dead-lettered, not scored."""


# ---------------------------------------------------------------- periods
def period_of(day: date, periodicity: Periodicity) -> str:
    """The reporting period a day belongs to under the regency's periodicity (default quarterly)."""
    return current_period(day, periodicity)


def is_annual(period: str) -> bool:
    return period.endswith("-Y")


def period_year(period: str) -> int:
    return int(period[:4])


def previous_period(period: str) -> str:
    """The period before: 2026-Q1 → 2025-Q4, 2026-M01 → 2025-M12, 2026-Y → 2025-Y."""
    m = PERIOD_PATTERN.match(period)
    if m is None:
        raise ValueError(f"not a period: {period!r}")
    year, part = int(m.group(1)), m.group(2)
    if part == "Y":
        return f"{year - 1}-Y"
    if part.startswith("Q"):
        q = int(part[1])
        return f"{year}-Q{q - 1}" if q > 1 else f"{year - 1}-Q4"
    month = int(part[1:])
    return f"{year}-M{month - 1:02d}" if month > 1 else f"{year - 1}-M12"


def period_label(period: str) -> str:
    """2026-M01 → Januari 2026, 2026-Q3 → Triwulan III 2026, 2026-Y → Tahun 2026."""
    m = PERIOD_PATTERN.match(period)
    if m is None:
        return period
    year, part = m.group(1), m.group(2)
    if part == "Y":
        return f"Tahun {year}"
    if part.startswith("Q"):
        return f"Triwulan {_ROMAN[int(part[1]) - 1]} {year}"
    return f"{_MONTHS[int(part[1:]) - 1]} {year}"


def elapsed(period: str, today: date) -> Decimal:
    """Share of the period's days passed by the end of `today`, 0–1 (Table R1's "mid-period" is 0.5)."""
    start, end = period_bounds(period)
    total = (end - start).days + 1
    done = min(max((today - start).days + 1, 0), total)
    return (Decimal(done) / Decimal(total)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- Table Q1
def ikm(responses: int, sums: Sequence[int]) -> Decimal | None:
    """Unit IKM (Table Q1): NRR_i = mean answer of unsur i; IKM = Σ NRR_i × 1/9 × 25, exactly 1/9; two places."""
    if responses <= 0:
        return None
    if len(sums) != SURVEY_ITEMS:
        raise ValueError("IKM needs the nine unsur")
    value = sum((Fraction(s, responses) * Fraction(1, SURVEY_ITEMS) for s in sums), Fraction(0)) * 25
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(TWO, rounding=ROUND_HALF_UP)


def ikm_mutu(value: Decimal) -> tuple[str, str]:
    """Table Q1's mutu and kinerja unit of a converted IKM."""
    if value >= Decimal("88.31"):
        return "A", "Sangat Baik"
    if value >= Decimal("76.61"):
        return "B", "Baik"
    if value >= Decimal("65.00"):
        return "C", "Kurang Baik"
    return "D", "Tidak Baik"


def check_survey(answers: Sequence[int]) -> None:
    if len(answers) != SURVEY_ITEMS or any(not 1 <= a <= 4 for a in answers):
        raise ImpossibleFact("SKM answers must be nine values from 1 to 4 (Table Q1)")


# ---------------------------------------------------------------- hasil kerja (P3 → S1)
@dataclass(frozen=True, slots=True)
class IndicatorState:
    """One SKP indicator in a period: its weight, RHK, and capaian (confirmed, or provisional from activities)."""

    rhk_id: uuid.UUID
    weight: Decimal
    capaian: Decimal


def hasil_capaian(indicators: Sequence[IndicatorState]) -> Decimal | None:
    """The period's hasil kerja capaian: each RHK's weighted mean (Table P3), then RHKs weighted by their weight."""
    by_rhk: dict[uuid.UUID, list[WeightedCapaian]] = {}
    for i in indicators:
        by_rhk.setdefault(i.rhk_id, []).append(WeightedCapaian(i.capaian, i.weight))
    total_weight = Decimal(0)
    total = Decimal(0)
    for items in by_rhk.values():
        value = rhk_capaian(items)
        if value is None:
            continue
        w = sum((x.weight for x in items), Decimal(0))
        total += value * w
        total_weight += w
    if total_weight <= 0:
        return None
    return (total / total_weight).quantize(TWO, rounding=ROUND_HALF_UP)


def rhk_capaians(indicators: Sequence[IndicatorState]) -> dict[uuid.UUID, Decimal]:
    by_rhk: dict[uuid.UUID, list[WeightedCapaian]] = {}
    for i in indicators:
        by_rhk.setdefault(i.rhk_id, []).append(WeightedCapaian(i.capaian, i.weight))
    out: dict[uuid.UUID, Decimal] = {}
    for rhk, items in by_rhk.items():
        value = rhk_capaian(items)
        if value is not None:
            out[rhk] = value
    return out


def peer_points(value_scores: Mapping[str, Decimal]) -> Decimal | None:
    """Perilaku points from the 360 summary before the superior rates: mean of the values' S1-scale scores."""
    if not value_scores:
        return None
    mean = sum(value_scores.values(), Decimal(0)) / len(value_scores)
    return mean.quantize(TWO, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- kehadiran (S1)
EXCUSED: Final = frozenset({"cuti", "dinas_luar", "sakit"})
MAX_DAY_MINUTES: Final = 24 * 60


def working_day(status: str) -> bool:
    """Excused days (cuti, dinas luar, sakit) are not held against kehadiran: they leave the denominator."""
    return status not in EXCUSED


def on_time(status: str, late_minutes: int, early_leave_minutes: int) -> bool:
    return status == "hadir" and late_minutes == 0 and early_leave_minutes == 0


def check_attendance(status: str, late_minutes: int, early_leave_minutes: int) -> None:
    if late_minutes + early_leave_minutes > MAX_DAY_MINUTES:
        raise ImpossibleFact("late and early-leave minutes exceed a day")
    if status != "hadir" and (late_minutes or early_leave_minutes):
        raise ImpossibleFact(f"late or early-leave minutes on a day marked {status}")


# ---------------------------------------------------------------- Table R1 ids
def notification_id(kind: str, asn_id: uuid.UUID, period: str, subject: str | None = None) -> uuid.UUID:
    """Deterministic: kind + ASN + period (+ subject) → one id, so a re-run or replay never requests twice."""
    return uuid.uuid5(NOTIFICATION_NS, f"{kind}:{asn_id}:{period}:{subject or ''}")


def outbox_event_id(notification: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(OUTBOX_NS, str(notification))
