"""The annual evaluation proposed from the year's periodic results, and the keberatan deadlines (DOMAIN.md cycle).

The proposal is advice for the pejabat penilai, who gives the annual rating; the explanation says how it came about.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final
from zoneinfo import ZoneInfo

from kinerja_evaluation.domain.capaian import RATING_LABEL, Rating
from kinerja_evaluation.domain.predikat import Predikat, predikat

JAKARTA: Final = ZoneInfo("Asia/Jakarta")


@dataclass(frozen=True, slots=True)
class PeriodicRating:
    period: str  # sorts chronologically within a year (2026-Q1 < 2026-Q2, 2026-M01 < 2026-M12)
    hasil: Rating
    perilaku: Rating
    score: Decimal | None = None


@dataclass(frozen=True, slots=True)
class AnnualProposal:
    hasil: Rating
    perilaku: Rating
    predikat: Predikat
    mean_score: Decimal | None
    explanation: tuple[str, ...]


def _most_frequent(ratings: Sequence[tuple[str, Rating]]) -> tuple[Rating, str]:
    """The rating given most often; a tie goes to the one given latest (the most recent performance)."""
    counts = Counter(r for _, r in ratings)
    top = max(counts.values())
    tied = {r for r, c in counts.items() if c == top}
    latest = max((p, r) for p, r in ratings if r in tied)
    how = f"{RATING_LABEL[latest[1]]} ({top} dari {len(ratings)} periode"
    return latest[1], how + (", seri: periode terakhir menentukan)" if len(tied) > 1 else ")")


def propose_annual(periods: Sequence[PeriodicRating]) -> AnnualProposal | None:
    """The annual hasil and perilaku ratings the periodic evaluations point to, and their Table P1 predikat."""
    if not periods:
        return None
    ordered = sorted(periods, key=lambda p: p.period)
    hasil, hasil_how = _most_frequent([(p.period, p.hasil) for p in ordered])
    perilaku, perilaku_how = _most_frequent([(p.period, p.perilaku) for p in ordered])
    scores = [p.score for p in ordered if p.score is not None]
    mean = (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.01"), ROUND_HALF_UP) if scores else None
    result = predikat(hasil, perilaku)
    lines = []
    for p in ordered:
        line = f"{p.period}: hasil {RATING_LABEL[p.hasil]}, perilaku {RATING_LABEL[p.perilaku]}"
        lines.append(line + (f", skor {p.score}" if p.score is not None else ""))
    lines.append(f"Hasil kerja tahunan diusulkan: {hasil_how}")
    lines.append(f"Perilaku kerja tahunan diusulkan: {perilaku_how}")
    lines.append(f"Predikat menurut Tabel P1: {result.label}")
    if mean is not None:
        lines.append(f"Rata-rata skor periodik: {mean}")
    return AnnualProposal(hasil, perilaku, result, mean, tuple(lines))


def end_of_day_after(start: datetime, days: int) -> datetime:
    """The last moment of the `days`-th calendar day after `start` (Asia/Jakarta): a 14-day window opened on
    1 March closes at the end of 15 March."""
    if start.tzinfo is None:
        raise ValueError("deadline start must be timezone-aware")
    day = start.astimezone(JAKARTA).date() + timedelta(days=days)
    return datetime.combine(day, time.max, tzinfo=JAKARTA)


def objection_deadline(finalised_at: datetime, objection_days: int) -> datetime:
    return end_of_day_after(finalised_at, objection_days)


def decision_deadline(filed_at: datetime, decision_days: int) -> datetime:
    return end_of_day_after(filed_at, decision_days)
