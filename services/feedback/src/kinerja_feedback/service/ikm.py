"""IKM reports per unit (Table Q1): the period's result, a trend over earlier periods, raw rows for export."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from kinerja_feedback.adapters import postgres as db
from kinerja_feedback.domain.ikm import IkmResult, TrendPoint, compute_from_sums, trend
from kinerja_feedback.domain.periods import parse_period, period_of, previous_periods
from kinerja_feedback.service.common import Clock, Directory, UnitInfo
from kinerja_shared.db import tenant_transaction


@dataclass(frozen=True, slots=True)
class UnitReport:
    unit: UnitInfo
    period: str
    current: IkmResult
    history: tuple[IkmResult, ...]  # oldest first, ending with `current`
    trend: tuple[TrendPoint, ...]
    population: int | None


async def unit_report(
    pool: asyncpg.Pool, directory: Directory, unit_id: UUID, period: str | None, clock: Clock, *, back: int = 6
) -> UnitReport:
    """Public: anyone may see a unit's IKM (transparency); responses are anonymous aggregates here."""
    unit = await directory.require_unit(unit_id)
    cfg = await directory.config(unit.regency_id)
    wanted = parse_period(period) if period else period_of(clock(), cfg.survey_period)
    periods = previous_periods(wanted, back)
    async with tenant_transaction(pool, [unit.regency_id]) as conn:
        sums = await db.survey_sums(conn, unit_id, periods)
        population = await db.population(conn, unit_id)
    history = tuple(compute_from_sums(p, *sums.get(p, (0, [0] * 9)), population=population) for p in periods)
    return UnitReport(unit, wanted, history[-1], history, tuple(trend(history)), population)


async def unit_rows(pool: asyncpg.Pool, directory: Directory, unit_id: UUID, period: str) -> list[asyncpg.Record]:
    unit = await directory.require_unit(unit_id)
    async with tenant_transaction(pool, [unit.regency_id]) as conn:
        return await db.survey_rows(conn, unit_id, parse_period(period))
