"""Follow-up triggers: DOMAIN.md Table R1 (thresholds are regency **config**)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Final

from kinerja_evaluation.domain.capaian import Direction
from kinerja_evaluation.domain.predikat import Predikat

HUNDRED: Final = Decimal(100)


class Trigger(StrEnum):
    VERIFICATION_PENDING = "verification_pending"
    TARGET_AT_RISK = "target_at_risk"
    MENTORING_NEEDED = "mentoring_needed"
    AWARD_CANDIDATE = "award_candidate"
    SANCTION_REVIEW = "sanction_review"
    EVALUATION_FINALIZED = "evaluation_finalized"


@dataclass(frozen=True, slots=True)
class TriggerRules:
    """Table R1 defaults."""

    verification_pending_working_days: int = 2
    at_risk_below: Decimal = Decimal(90)  # projected capaian at period end, percent
    mentoring_at_or_below: Predikat = Predikat.BUTUH_PERBAIKAN
    award_score_jump: Decimal = Decimal(10)
    sanction_at_or_below: Predikat = Predikat.KURANG
    sanction_periods_running: int = 2


DEFAULT_TRIGGER_RULES: Final = TriggerRules()


@dataclass(frozen=True, slots=True)
class PeriodResult:
    predikat: Predikat
    score: Decimal
    integrity_finding: bool = False


def projected_capaian(
    target: Decimal, realisasi_to_date: Decimal, elapsed: Decimal, direction: Direction
) -> Decimal | None:
    """Capaian the indicator is heading for at period end, extrapolating linearly from `elapsed` (0–1] of it.

    Higher is better: realisasi / elapsed against the target. Lower is better (e.g. accidents): the count so far
    projected over the period, then Table P3's negative formula. None before any time has elapsed.
    """
    if not Decimal(0) < elapsed <= 1:
        return None
    projected = realisasi_to_date / elapsed
    if target == 0:
        if direction is Direction.LOWER_IS_BETTER:
            return HUNDRED if projected == 0 else Decimal(0)
        return HUNDRED
    if direction is Direction.HIGHER_IS_BETTER:
        value = projected / target * HUNDRED
    else:
        value = max(Decimal(0), (2 * target - projected) / target * HUNDRED)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def target_at_risk(projected: Decimal | None, rules: TriggerRules = DEFAULT_TRIGGER_RULES) -> bool:
    """Table R1 target_at_risk: projected capaian at period end below 90% (checked from mid-period)."""
    return projected is not None and projected < rules.at_risk_below


def period_triggers(
    current: PeriodResult, previous: PeriodResult | None, rules: TriggerRules = DEFAULT_TRIGGER_RULES
) -> list[Trigger]:
    """Triggers a finished periodic result raises (Table R1), besides evaluation_finalized which always fires."""
    out = [Trigger.EVALUATION_FINALIZED]
    if current.predikat.at_most(rules.mentoring_at_or_below):
        out.append(Trigger.MENTORING_NEEDED)
    jumped = previous is not None and current.score - previous.score >= rules.award_score_jump
    if current.predikat is Predikat.SANGAT_BAIK or (jumped and current.predikat.at_least(Predikat.BAIK)):
        out.append(Trigger.AWARD_CANDIDATE)
    # two periods running: this one and the previous (the default; longer runs need the history, see service)
    bad_now = current.predikat.at_most(rules.sanction_at_or_below)
    bad_before = previous is not None and previous.predikat.at_most(rules.sanction_at_or_below)
    if current.integrity_finding or (bad_now and bad_before):
        out.append(Trigger.SANCTION_REVIEW)
    return out
