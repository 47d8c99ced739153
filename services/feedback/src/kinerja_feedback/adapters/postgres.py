"""Plain-SQL reads and writes of the feedback service (asyncpg); callers own the transaction and tenant scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from kinerja_feedback.domain.complaints import Complaint, Status
from kinerja_feedback.domain.config import ContactMode, RegencyConfig
from kinerja_feedback.domain.periods import PeriodKind


async def unit_row(conn: asyncpg.Connection, unit_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT u.unit_id, u.regency_id, u.name, u.kind, u.public_facing, coalesce(r.name, '') AS regency_name
           FROM org_unit u LEFT JOIN org_regency r USING (regency_id) WHERE u.unit_id = $1""",
        unit_id,
    )


async def regency_config(conn: asyncpg.Connection, regency_id: UUID) -> RegencyConfig:
    row = await conn.fetchrow("SELECT * FROM regency_config WHERE regency_id = $1", regency_id)
    if row is None:
        return RegencyConfig()
    return RegencyConfig(
        survey_period=PeriodKind(row["survey_period"]),
        once_per_device=row["once_per_device"],
        contact_mode=ContactMode(row["contact_mode"]),
        response_days=row["response_days"],
        resolution_days=row["resolution_days"],
        peer_min_raters=row["peer_min_raters"],
    )


async def save_regency_config(conn: asyncpg.Connection, regency_id: UUID, c: RegencyConfig) -> None:
    await conn.execute(
        """INSERT INTO regency_config (regency_id, survey_period, once_per_device, contact_mode, response_days,
                                       resolution_days, peer_min_raters, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, now())
           ON CONFLICT (regency_id) DO UPDATE SET survey_period = excluded.survey_period,
             once_per_device = excluded.once_per_device, contact_mode = excluded.contact_mode,
             response_days = excluded.response_days, resolution_days = excluded.resolution_days,
             peer_min_raters = excluded.peer_min_raters, updated_at = now()""",
        regency_id,
        c.survey_period.value,
        c.once_per_device,
        c.contact_mode.value,
        c.response_days,
        c.resolution_days,
        c.peer_min_raters,
    )


async def holidays(conn: asyncpg.Connection, regency_id: UUID) -> set[date]:
    rows = await conn.fetch("SELECT day FROM holiday WHERE regency_id = $1", regency_id)
    return {r["day"] for r in rows}


# --- survey -----------------------------------------------------------------------------------------------------


async def insert_guards(
    conn: asyncpg.Connection,
    rows: Sequence[tuple[UUID, str, str, bytes, UUID, UUID]],
) -> dict[UUID, set[str]]:
    """Claim (unit, period, kind, hash) keys; returns, per response, the kinds whose keys were new."""
    if not rows:
        return {}
    cols = list(zip(*rows, strict=True))
    got = await conn.fetch(
        """INSERT INTO survey_guard (unit_id, period, kind, hash, regency_id, response_id)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::uuid[], $6::uuid[])
           ON CONFLICT DO NOTHING RETURNING response_id, kind""",
        *cols,
    )
    out: dict[UUID, set[str]] = {}
    for r in got:
        out.setdefault(r["response_id"], set()).add(r["kind"])
    return out


async def release_guards(conn: asyncpg.Connection, response_ids: Sequence[UUID]) -> None:
    if response_ids:
        await conn.execute("DELETE FROM survey_guard WHERE response_id = ANY($1::uuid[])", list(response_ids))


async def insert_responses(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Rows of (response_id, regency_id, unit_id, period, answers, age_band, gender, education, service, text, at).

    unnest, not COPY: PostgreSQL refuses COPY FROM into a table with row-level security. Answers travel as
    array literals because unnest would flatten a two-dimensional array.
    """
    if not rows:
        return
    cols = list(zip(*rows, strict=True))
    cols[4] = tuple("{" + ",".join(str(a) for a in answers) + "}" for answers in cols[4])
    await conn.execute(
        """INSERT INTO survey_response (response_id, regency_id, unit_id, period, answers, age_band, gender,
                                        education, service_used, suggestion, submitted_at)
           SELECT r, g, u, p, a::smallint[], ab, ge, ed, sv, sg, t
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::text[], $9::text[], $10::text[], $11::timestamptz[])
                AS x(r, g, u, p, a, ab, ge, ed, sv, sg, t)""",
        *cols,
    )


async def survey_sums(
    conn: asyncpg.Connection, unit_id: UUID, periods: Sequence[str]
) -> dict[str, tuple[int, list[int]]]:
    """Per period: respondents and the sum of answers to each unsur (exact inputs to Table Q1)."""
    rows = await conn.fetch(
        """SELECT period, count(*) AS n,
                  array[sum(answers[1]), sum(answers[2]), sum(answers[3]), sum(answers[4]), sum(answers[5]),
                        sum(answers[6]), sum(answers[7]), sum(answers[8]), sum(answers[9])]::bigint[] AS sums
           FROM survey_response WHERE unit_id = $1 AND period = ANY($2::text[]) GROUP BY period""",
        unit_id,
        list(periods),
    )
    return {r["period"]: (r["n"], [int(x) for x in r["sums"]]) for r in rows}


async def survey_rows(conn: asyncpg.Connection, unit_id: UUID, period: str) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            """SELECT response_id, answers, age_band, gender, education, service_used, suggestion, submitted_at
               FROM survey_response WHERE unit_id = $1 AND period = $2 ORDER BY submitted_at""",
            unit_id,
            period,
        )
    )


async def population(conn: asyncpg.Connection, unit_id: UUID) -> int | None:
    value: int | None = await conn.fetchval("SELECT population FROM unit_survey_setting WHERE unit_id = $1", unit_id)
    return value


async def set_population(conn: asyncpg.Connection, unit_id: UUID, regency_id: UUID, value: int | None) -> None:
    await conn.execute(
        """INSERT INTO unit_survey_setting (unit_id, regency_id, population) VALUES ($1, $2, $3)
           ON CONFLICT (unit_id) DO UPDATE SET population = excluded.population""",
        unit_id,
        regency_id,
        value,
    )


# --- complaints ---------------------------------------------------------------------------------------------------


def complaint_from(row: asyncpg.Record) -> Complaint:
    return Complaint(
        complaint_id=row["complaint_id"],
        unit_id=row["unit_id"],
        filed_on=row["filed_on"],
        response_due=row["response_due"],
        resolution_due=row["resolution_due"],
        status=Status(row["status"]),
        assigned_asn_id=row["assigned_asn_id"],
        first_response_at=row["first_response_at"],
        resolved_at=row["resolved_at"],
        reopen_count=row["reopen_count"],
    )


async def save_complaint(conn: asyncpg.Connection, c: Complaint) -> None:
    await conn.execute(
        """UPDATE complaint SET status = $2, assigned_asn_id = $3, first_response_at = $4, resolved_at = $5,
                  reopen_count = $6, updated_at = now() WHERE complaint_id = $1""",
        c.complaint_id,
        c.status.value,
        c.assigned_asn_id,
        c.first_response_at,
        c.resolved_at,
        c.reopen_count,
    )


async def add_entry(
    conn: asyncpg.Connection, complaint_id: UUID, regency_id: UUID, at: Any, kind: str, author: UUID | None, body: str
) -> None:
    await conn.execute(
        """INSERT INTO complaint_entry (complaint_id, regency_id, at, kind, author_asn_id, body)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        complaint_id,
        regency_id,
        at,
        kind,
        author,
        body,
    )


async def is_unit_asn(conn: asyncpg.Connection, asn_id: UUID, unit_id: UUID) -> bool:
    """The ASN works in the unit or heads it (what lets them answer for it)."""
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM org_asn WHERE asn_id = $1 AND unit_id = $2 AND active)
                   OR EXISTS (SELECT 1 FROM org_unit WHERE unit_id = $2 AND head_asn_id = $1)""",
            asn_id,
            unit_id,
        )
    )
