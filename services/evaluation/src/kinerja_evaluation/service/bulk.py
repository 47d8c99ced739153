"""Bulk SKP drafts for a regency (e.g. carried over from last year, or one template per jabatan): COPY into
staging tables and set-based inserts, all or nothing, every bad plan reported."""

from __future__ import annotations

import uuid
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


async def bulk_create_skps(
    pool: asyncpg.Pool, principal: Principal, plans: Sequence[tuple[UUID, SkpIn]], *, now: datetime | None = None
) -> BulkReport:
    """Create draft SKPs for many ASN of the admin's regency at once; nothing is created if any plan is bad
    (unknown or inactive ASN, an SKP already there for the year, bad indicators, dates outside the year)."""
    regency_id = require_admin(principal)
    now = now or now_jakarta()
    report = BulkReport()
    skp_rows, rhk_rows, ind_rows, hist_rows = [], [], [], []
    for n, (asn_id, plan) in enumerate(plans):
        start, end = plan.period_start or date(plan.year, 1, 1), plan.period_end or date(plan.year, 12, 31)
        try:
            check_year_dates(plan.year, start, end, "period")
            for i, r in enumerate(plan.rhk):
                if r.parent_rhk_id is not None:
                    raise InvalidInput("Tautan RHK atasan diisi lewat SKP masing-masing.", field=f"rhk.{i}")
                for j, ind in enumerate(r.indicators):
                    check_indicator(
                        IndicatorSpec(ind.name, ind.target, ind.unit, ind.aspect, ind.direction.value, ind.weight),
                        f"rhk.{i}.indicators.{j}",
                    )
        except InvalidInput as e:
            report.errors.append((n, e.field, e.message_id))
            continue
        skp_id = uuid.uuid4()
        skp_rows.append((n, skp_id, asn_id, plan.year, start, end))
        hist_rows.append((skp_id,))
        for i, r in enumerate(plan.rhk):
            rhk_id = uuid.uuid4()
            rhk_rows.append((rhk_id, skp_id, i, r.kind.value, r.description))
            for j, ind in enumerate(r.indicators):
                ind_rows.append((rhk_id, skp_id, j, ind.name, ind.target, ind.unit, ind.aspect.value,
                                 ind.direction.value, ind.weight))  # fmt: skip
    if report.errors:
        return report
    async with tenant_transaction(pool, [regency_id]) as conn:
        await conn.execute(
            """CREATE TEMP TABLE _skp_stage (n int, skp_id uuid, asn_id uuid, year int, period_start date,
                 period_end date) ON COMMIT DROP;
               CREATE TEMP TABLE _rhk_stage (rhk_id uuid, skp_id uuid, position int, kind text, description text)
                 ON COMMIT DROP;
               CREATE TEMP TABLE _ind_stage (rhk_id uuid, skp_id uuid, position int, name text,
                 target numeric, unit text, aspect text, direction text, weight numeric) ON COMMIT DROP;"""
        )
        await conn.copy_records_to_table("_skp_stage", records=skp_rows)
        bad = await conn.fetch(
            """SELECT s.n, CASE WHEN a.asn_id IS NULL THEN 'asn' WHEN NOT a.active THEN 'asn' ELSE 'year' END AS f
               FROM _skp_stage s LEFT JOIN asn a ON a.asn_id = s.asn_id AND a.regency_id = $1
               WHERE a.asn_id IS NULL OR NOT a.active
                  OR EXISTS (SELECT 1 FROM skp k WHERE k.asn_id = s.asn_id AND k.year = s.year)
                  OR s.asn_id IN (SELECT asn_id FROM _skp_stage GROUP BY asn_id, year HAVING count(*) > 1)
               ORDER BY s.n""",
            regency_id,
        )
        if bad:
            reasons = {"asn": "pegawai tidak ditemukan atau tidak aktif", "year": "SKP tahun ini sudah ada"}
            report.errors = [(r["n"], r["f"], reasons[r["f"]]) for r in bad]
            return report
        await conn.copy_records_to_table("_rhk_stage", records=rhk_rows)
        await conn.copy_records_to_table("_ind_stage", records=ind_rows)
        await conn.execute(
            """INSERT INTO skp (skp_id, regency_id, asn_id, year, version, status, period_start, period_end,
                 created_at, updated_at)
               SELECT skp_id, $1, asn_id, year, 1, 'draft', period_start, period_end, $2, $2 FROM _skp_stage""",
            regency_id,
            now,
        )
        await conn.execute(
            """INSERT INTO rhk (rhk_id, skp_id, regency_id, position, kind, description)
               SELECT rhk_id, skp_id, $1, position, kind, description FROM _rhk_stage""",
            regency_id,
        )
        await conn.execute(
            """INSERT INTO indicator (indicator_id, rhk_id, skp_id, regency_id, position, name, target, unit, aspect,
                 direction, weight)
               SELECT gen_random_uuid(), rhk_id, skp_id, $1, position, name, target, unit, aspect, direction, weight
               FROM _ind_stage ORDER BY rhk_id, position""",
            regency_id,
        )
        await conn.execute(
            """INSERT INTO skp_history (skp_id, regency_id, at, actor_name, action, comment)
               SELECT skp_id, $1, $2, $3, 'created', 'dibuat massal oleh BKPSDM' FROM _skp_stage""",
            regency_id,
            now,
            principal.name,
        )
    report.created, report.rhk, report.indicators = len(skp_rows), len(rhk_rows), len(ind_rows)
    return report
