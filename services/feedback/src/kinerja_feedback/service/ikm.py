"""IKM reports per unit (Table Q1): the period's result, a trend over earlier periods, raw rows for export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
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


@dataclass(frozen=True, slots=True)
class RegencyIkm:
    """One regency of the province in a period: pooled IKM of its units' answers, and its complaints."""

    regency_id: UUID
    name: str
    code: str
    units_surveyed: int
    result: IkmResult
    complaints: int
    complaints_open: int
    complaints_overdue: int


async def province_overview(pool: asyncpg.Pool, province_id: UUID, period: str, today: date) -> list[RegencyIkm]:
    """Province read-only roles compare their regencies: IKM over all answers of a regency's units in the period
    (Table Q1 on the pooled answers) and complaint counts; regencies come from the org read model."""
    regencies = await pool.fetch(
        "SELECT regency_id, name, code FROM org_regency WHERE province_id = $1 ORDER BY code", province_id
    )
    ids = [r["regency_id"] for r in regencies]
    if not ids:
        return []
    async with tenant_transaction(pool, ids) as conn:
        sums = {
            r["regency_id"]: r
            for r in await conn.fetch(
                """SELECT regency_id, count(*) AS n, count(DISTINCT unit_id) AS units,
                          ARRAY[sum(answers[1]), sum(answers[2]), sum(answers[3]), sum(answers[4]), sum(answers[5]),
                                sum(answers[6]), sum(answers[7]), sum(answers[8]), sum(answers[9])]::bigint[] AS sums
                   FROM survey_response WHERE regency_id = ANY($1::uuid[]) AND period = $2 GROUP BY regency_id""",
                ids,
                period,
            )
        }
        complaints = {
            r["regency_id"]: r
            for r in await conn.fetch(
                """SELECT regency_id, count(*) AS total,
                          count(*) FILTER (WHERE status IN ('diajukan', 'diproses')) AS open,
                          count(*) FILTER (WHERE status IN ('diajukan', 'diproses') AND resolution_due < $2) AS overdue
                   FROM complaint WHERE regency_id = ANY($1::uuid[]) GROUP BY regency_id""",
                ids,
                today,
            )
        }
    out = []
    for r in regencies:
        s, c = sums.get(r["regency_id"]), complaints.get(r["regency_id"])
        result = (
            compute_from_sums(period, s["n"], list(s["sums"]), population=None)
            if s
            else compute_from_sums(period, 0, [0] * 9, population=None)
        )
        out.append(
            RegencyIkm(
                r["regency_id"],
                r["name"],
                r["code"],
                s["units"] if s else 0,
                result,
                c["total"] if c else 0,
                c["open"] if c else 0,
                c["overdue"] if c else 0,
            )  # fmt: skip
        )
    return out
