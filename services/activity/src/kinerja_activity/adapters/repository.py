"""asyncpg SQL of the activity service; every function runs inside the caller's tenant transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import Any
from uuid import UUID

import asyncpg

from kinerja_activity.domain.activity import ActivityRules
from kinerja_activity.domain.attendance import OfficeHours

LIVE_CHANNEL = "kinerja_activity_live"

ACTIVITY_COLUMNS = (
    "activity_id, regency_id, asn_id, activity_date, start_time, end_time, minutes, description, quantity,"
    " output, indicator_id, status, revision, client_hash, reported_at, updated_at, decided_by, decided_at,"
    " reject_reason"
)
_STAGE_COLUMNS = (
    "activity_id",
    "regency_id",
    "asn_id",
    "activity_date",
    "start_time",
    "end_time",
    "minutes",
    "description",
    "quantity",
    "output",
    "indicator_id",
    "client_hash",
    "reported_at",
)


async def lock_asn(conn: asyncpg.Connection, asn_id: UUID) -> None:
    """Serialise one ASN's writes for this transaction, so two devices syncing at once cannot overlap ranges."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 7))", str(asn_id))


async def notify_live(conn: asyncpg.Connection, regency_id: UUID) -> None:
    """Wake the live team views of this regency once the transaction commits (NOTIFY is transactional)."""
    await conn.execute("SELECT pg_notify($1, $2)", LIVE_CHANNEL, str(regency_id))


async def rules(conn: asyncpg.Connection, regency_id: UUID) -> tuple[ActivityRules, OfficeHours]:
    row = await conn.fetchrow("SELECT * FROM activity_config WHERE regency_id = $1", regency_id)
    if row is None:
        return ActivityRules(), OfficeHours()
    return (
        ActivityRules(row["monthly_quota_minutes"], row["report_grace_days"], row["overdue_working_days"]),
        OfficeHours(row["office_start"], row["office_end"], row["friday_end"]),
    )


async def holidays(conn: asyncpg.Connection, regency_id: UUID, start: date, end: date) -> set[date]:
    rows = await conn.fetch(
        "SELECT day FROM holiday WHERE regency_id = $1 AND day BETWEEN $2 AND $3", regency_id, start, end
    )
    return {r["day"] for r in rows}


async def approved_indicators(conn: asyncpg.Connection, asn_id: UUID, years: Sequence[int]) -> dict[int, set[UUID]]:
    rows = await conn.fetch(
        "SELECT indicator_id, year FROM approved_indicator WHERE asn_id = $1 AND year = ANY($2::int[])",
        asn_id,
        list(years),
    )
    out: dict[int, set[UUID]] = {y: set() for y in years}
    for r in rows:
        out[r["year"]].add(r["indicator_id"])
    return out


async def indicators_of(conn: asyncpg.Connection, asn_id: UUID, year: int) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT indicator_id, name, unit FROM approved_indicator WHERE asn_id = $1 AND year = $2 ORDER BY name",
            asn_id,
            year,
        )
    )


async def existing_by_id(conn: asyncpg.Connection, ids: Sequence[UUID]) -> dict[UUID, asyncpg.Record]:
    rows = await conn.fetch(
        f"SELECT {ACTIVITY_COLUMNS} FROM activity WHERE activity_id = ANY($1::uuid[])",  # noqa: S608 - constant
        list(ids),
    )
    return {r["activity_id"]: r for r in rows}


async def day_ranges(
    conn: asyncpg.Connection, asn_id: UUID, days: Sequence[date]
) -> list[tuple[UUID, date, time, time]]:
    """The ASN's activity ranges on these days that still occupy time (rejected ones wait to be revised,
    withdrawn ones are gone)."""
    rows = await conn.fetch(
        "SELECT activity_id, activity_date, start_time, end_time FROM activity"
        " WHERE asn_id = $1 AND activity_date = ANY($2::date[]) AND status IN ('menunggu', 'diverifikasi')",
        asn_id,
        list(days),
    )
    return [(r["activity_id"], r["activity_date"], r["start_time"], r["end_time"]) for r in rows]


async def insert_activities(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> set[UUID]:
    """Insert new activities set-based (COPY into staging, then one INSERT … ON CONFLICT); returns ids inserted."""
    if len(rows) == 1:
        inserted = await conn.fetch(
            "INSERT INTO activity (activity_id, regency_id, asn_id, activity_date, start_time, end_time, minutes,"
            " description, quantity, output, indicator_id, client_hash, reported_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)"
            " ON CONFLICT (activity_id) DO NOTHING RETURNING activity_id",
            *rows[0],
        )
        return {r["activity_id"] for r in inserted}
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS _activity_stage (activity_id uuid, regency_id uuid, asn_id uuid,"
        " activity_date date, start_time time, end_time time, minutes int, description text, quantity numeric,"
        " output text, indicator_id uuid, client_hash text, reported_at timestamptz) ON COMMIT DELETE ROWS"
    )
    await conn.copy_records_to_table("_activity_stage", records=rows, columns=_STAGE_COLUMNS)
    inserted = await conn.fetch(
        "INSERT INTO activity (activity_id, regency_id, asn_id, activity_date, start_time, end_time, minutes,"
        " description, quantity, output, indicator_id, client_hash, reported_at, updated_at)"
        " SELECT activity_id, regency_id, asn_id, activity_date, start_time, end_time, minutes, description,"
        " quantity, output, indicator_id, client_hash, reported_at, reported_at FROM _activity_stage"
        " ON CONFLICT (activity_id) DO NOTHING RETURNING activity_id"
    )
    await conn.execute("TRUNCATE _activity_stage")
    return {r["activity_id"] for r in inserted}


async def superior_of(conn: asyncpg.Connection, asn_id: UUID, on: date) -> UUID | None:
    """The acting superior valid on `on` if any (Plt/Plh stands in), else the direct superior."""
    acting = await conn.fetchval(
        "SELECT acting_superior_id FROM org_acting_superior WHERE asn_id = $1 AND $2 BETWEEN valid_from AND valid_until"
        " ORDER BY valid_from DESC LIMIT 1",
        asn_id,
        on,
    )
    if acting is not None:
        result: UUID = acting
        return result
    sup: UUID | None = await conn.fetchval("SELECT superior_id FROM org_asn WHERE asn_id = $1", asn_id)
    return sup


async def subordinates_allowed(
    conn: asyncpg.Connection, verifier_id: UUID, pairs: Sequence[tuple[UUID, date]], today: date
) -> set[tuple[UUID, date]]:
    """Which (asn, activity date) pairs the verifier may decide: direct superior, or acting superior valid on
    the activity's date or today."""
    if not pairs:
        return set()
    rows = await conn.fetch(
        """SELECT p.asn_id, p.d FROM unnest($2::uuid[], $3::date[]) AS p(asn_id, d)
           WHERE EXISTS (SELECT 1 FROM org_asn o WHERE o.asn_id = p.asn_id AND o.superior_id = $1)
              OR EXISTS (SELECT 1 FROM org_acting_superior s WHERE s.asn_id = p.asn_id
                         AND s.acting_superior_id = $1
                         AND (p.d BETWEEN s.valid_from AND s.valid_until
                              OR $4 BETWEEN s.valid_from AND s.valid_until))""",
        verifier_id,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        today,
    )
    return {(r["asn_id"], r["d"]) for r in rows}


TEAM_SQL = """
WITH team AS (
    SELECT asn_id FROM org_asn WHERE superior_id = $1 AND active
    UNION
    SELECT asn_id FROM org_acting_superior WHERE acting_superior_id = $1 AND $2 BETWEEN valid_from AND valid_until
)
SELECT o.asn_id, o.name, o.position_title,
       ad.status AS attendance, ad.check_in, ad.check_out, ad.late_minutes, ad.early_leave_minutes,
       coalesce(t.n, 0) AS activities_today, coalesce(t.m, 0) AS minutes_today,
       last.description AS last_description, last.start_time AS last_start, last.end_time AS last_end,
       last.reported_at AS last_reported_at,
       coalesce(p.n, 0) AS pending, coalesce(vm.m, 0) AS verified_minutes_month
FROM team JOIN org_asn o USING (asn_id)
LEFT JOIN attendance_day ad ON ad.asn_id = o.asn_id AND ad.work_date = $2
LEFT JOIN LATERAL (SELECT count(*) AS n, sum(minutes) AS m FROM activity a
                   WHERE a.asn_id = o.asn_id AND a.activity_date = $2 AND a.status <> 'ditarik') t ON true
LEFT JOIN LATERAL (SELECT description, start_time, end_time, reported_at FROM activity a
                   WHERE a.asn_id = o.asn_id AND a.activity_date = $2 AND a.status <> 'ditarik'
                   ORDER BY reported_at DESC LIMIT 1) last ON true
LEFT JOIN LATERAL (SELECT count(*) AS n FROM activity a
                   WHERE a.asn_id = o.asn_id AND a.status = 'menunggu') p ON true
LEFT JOIN LATERAL (SELECT sum(minutes) AS m FROM activity a
                   WHERE a.asn_id = o.asn_id AND a.status = 'diverifikasi'
                     AND a.activity_date BETWEEN date_trunc('month', $2::date)::date AND $2) vm ON true
ORDER BY o.name
"""

PENDING_SQL = """
WITH team AS (
    SELECT asn_id FROM org_asn WHERE superior_id = $1
    UNION
    SELECT asn_id FROM org_acting_superior WHERE acting_superior_id = $1 AND $2 BETWEEN valid_from AND valid_until
)
SELECT a.activity_id, a.asn_id, o.name AS asn_name, a.activity_date, a.start_time, a.end_time, a.minutes,
       a.description, a.quantity, a.output, a.indicator_id, i.name AS indicator_name, a.reported_at,
       a.revision, (SELECT count(*) FROM evidence e WHERE e.activity_id = a.activity_id) AS evidence_count
FROM activity a JOIN team USING (asn_id) JOIN org_asn o ON o.asn_id = a.asn_id
LEFT JOIN approved_indicator i ON i.indicator_id = a.indicator_id
WHERE a.status = 'menunggu'
ORDER BY a.reported_at
LIMIT $3
"""
