"""Bulk SKP drafts for a regency (e.g. carried over from last year, or one template per jabatan): all or nothing,
every bad plan reported. Plans that are the same object are one template: validated and staged once, then
expanded per ASN in SQL (COPY into staging tables, set-based INSERT … SELECT, ids from gen_random_uuid())."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

import asyncpg

from kinerja_evaluation.domain.errors import InvalidInput
from kinerja_evaluation.domain.skp import IndicatorSpec, check_indicator, check_year_dates
from kinerja_evaluation.service.access import require_admin
from kinerja_evaluation.service.models import SkpIn
from kinerja_evaluation.service.org import now_jakarta
from kinerja_shared.auth import Principal
from kinerja_shared.db import tenant_transaction


@dataclass
class BulkReport:
    created: int = 0
    rhk: int = 0
    indicators: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (plan index, field, reason)


def check_plan(plan: SkpIn) -> tuple[date, date]:
    start, end = plan.period_start or date(plan.year, 1, 1), plan.period_end or date(plan.year, 12, 31)
    check_year_dates(plan.year, start, end, "period")
    for i, r in enumerate(plan.rhk):
        if r.parent_rhk_id is not None:
            raise InvalidInput("Tautan RHK atasan diisi lewat SKP masing-masing.", field=f"rhk.{i}.parent_rhk_id")
        for j, ind in enumerate(r.indicators):
            check_indicator(
                IndicatorSpec(ind.name, ind.target, ind.unit, ind.aspect, ind.direction.value, ind.weight),
                f"rhk.{i}.indicators.{j}",
            )
    return start, end


async def bulk_create_skps(
    pool: asyncpg.Pool, principal: Principal, plans: Sequence[tuple[UUID, SkpIn]], *, now: datetime | None = None
) -> BulkReport:
    """Create draft SKPs for many ASN of the admin's regency at once; nothing is created if any plan is bad
    (unknown or inactive ASN, an SKP already there for the year, bad indicators, dates outside the year)."""
    regency_id = require_admin(principal)
    now = now or now_jakarta()
    report = BulkReport()
    templates: dict[int, tuple[int, date, date] | InvalidInput] = {}  # id(plan) → (template no, start, end)
    tpl_rhk: list[tuple[int, int, str, str]] = []
    tpl_ind: list[tuple[int, int, int, str, object, str, str, str, object]] = []
    skp_rows: list[tuple[int, UUID, int, int, date, date]] = []
    for n, (asn_id, plan) in enumerate(plans):
        known = templates.get(id(plan))
        if known is None:
            try:
                start, end = check_plan(plan)
                known = (len(templates), start, end)
                for i, r in enumerate(plan.rhk):
                    tpl_rhk.append((known[0], i, r.kind.value, r.description))
                    for j, ind in enumerate(r.indicators):
                        tpl_ind.append((known[0], i, j, ind.name, ind.target, ind.unit, ind.aspect.value,
                                        ind.direction.value, ind.weight))  # fmt: skip
            except InvalidInput as e:
                known = e
            templates[id(plan)] = known
        if isinstance(known, InvalidInput):
            report.errors.append((n, known.field, known.message_id))
            continue
        skp_rows.append((n, asn_id, known[0], plan.year, known[1], known[2]))
    if report.errors:
        return report
    async with tenant_transaction(pool, [regency_id]) as conn:
        await conn.execute(
            """CREATE TEMP TABLE _skp_stage (n int, asn_id uuid, tpl int, year int, period_start date,
                 period_end date, skp_id uuid NOT NULL DEFAULT gen_random_uuid()) ON COMMIT DROP;
               CREATE TEMP TABLE _tpl_rhk (tpl int, position int, kind text, description text) ON COMMIT DROP;
               CREATE TEMP TABLE _tpl_ind (tpl int, rhk_position int, position int, name text, target numeric,
                 unit text, aspect text, direction text, weight numeric) ON COMMIT DROP;"""
        )
        await conn.copy_records_to_table(
            "_skp_stage", records=skp_rows, columns=("n", "asn_id", "tpl", "year", "period_start", "period_end")
        )
        await conn.execute("ANALYZE _skp_stage")
        bad = await conn.fetch(
            """SELECT s.n, CASE WHEN a.asn_id IS NULL OR NOT a.active THEN 'asn' ELSE 'year' END AS f
               FROM _skp_stage s LEFT JOIN asn a ON a.asn_id = s.asn_id AND a.regency_id = $1
               WHERE a.asn_id IS NULL OR NOT a.active
                  OR EXISTS (SELECT 1 FROM skp k WHERE k.asn_id = s.asn_id AND k.year = s.year)
                  OR (s.asn_id, s.year) IN (SELECT asn_id, year FROM _skp_stage GROUP BY 1, 2 HAVING count(*) > 1)
               ORDER BY s.n""",
            regency_id,
        )
        if bad:
            reasons = {"asn": "pegawai tidak ditemukan atau tidak aktif", "year": "SKP tahun ini sudah ada"}
            report.errors = [(r["n"], r["f"], reasons[r["f"]]) for r in bad]
            return report
        await conn.copy_records_to_table("_tpl_rhk", records=tpl_rhk)
        await conn.copy_records_to_table("_tpl_ind", records=tpl_ind)
        await conn.execute(
            """INSERT INTO skp (skp_id, regency_id, asn_id, year, version, status, period_start, period_end,
                 created_at, updated_at)
               SELECT skp_id, $1, asn_id, year, 1, 'draft', period_start, period_end, $2, $2 FROM _skp_stage""",
            regency_id,
            now,
        )
        # RHK ids are made once in a staging table, so indicators find theirs by a hash join on small templates
        report.rhk = int(
            (
                await conn.execute(
                    """CREATE TEMP TABLE _rhk_new ON COMMIT DROP AS
                       SELECT gen_random_uuid() AS rhk_id, s.skp_id, s.tpl, t.position, t.kind, t.description
                       FROM _skp_stage s JOIN _tpl_rhk t ON t.tpl = s.tpl"""
                )
            ).split()[-1]
        )
        await conn.execute("ANALYZE _rhk_new; ANALYZE _tpl_ind")
        await conn.execute(
            """INSERT INTO rhk (rhk_id, skp_id, regency_id, position, kind, description)
               SELECT rhk_id, skp_id, $1, position, kind, description FROM _rhk_new""",
            regency_id,
        )
        report.indicators = int(
            (
                await conn.execute(
                    """INSERT INTO indicator (indicator_id, rhk_id, skp_id, regency_id, position, name, target, unit,
                         aspect, direction, weight)
                       SELECT gen_random_uuid(), r.rhk_id, r.skp_id, $1, t.position, t.name, t.target, t.unit,
                         t.aspect, t.direction, t.weight
                       FROM _rhk_new r JOIN _tpl_ind t ON t.tpl = r.tpl AND t.rhk_position = r.position""",
                    regency_id,
                )
            ).split()[-1]
        )
        await conn.execute(
            """INSERT INTO skp_history (skp_id, regency_id, at, actor_name, action, comment)
               SELECT skp_id, $1, $2, $3, 'created', 'dibuat massal oleh BKPSDM' FROM _skp_stage""",
            regency_id,
            now,
            principal.name,
        )
    report.created = len(skp_rows)
    return report
