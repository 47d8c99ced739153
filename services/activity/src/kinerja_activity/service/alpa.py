"""Worker use case: at the end of each working day, ASN with no attendance record of any kind become `alpa`.

Table T1 deducts 3% for a day "absent without reason" and evaluation counts `alpa` days from
AttendanceRecorded; without this job a silent day would only ever be "no record". Idempotent and safe with
several workers: one transaction per regency under an advisory lock, rows inserted ON CONFLICT DO NOTHING
(a day that has any record is never touched) and deterministic event ids (uuid5 of ASN + date).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from uuid import UUID

import asyncpg

from kinerja_activity.adapters import repository as repo
from kinerja_activity.domain.attendance import AttendanceStatus
from kinerja_activity.domain.calendar import absent_without_record, days_to_close
from kinerja_activity.service.attendance import DAY_COLUMNS, day_event
from kinerja_shared.db import ALL_REGENCIES, tenant_transaction
from kinerja_shared.messaging import outbox
from kinerja_shared.web import JAKARTA

_ALPA_NS = uuid.UUID("6f1d3c52-6a51-4d0c-9b0e-2f7c1a8a4e11")
SOURCE = "sistem"


def alpa_event_id(asn_id: UUID, day: date) -> UUID:
    """The same ASN and day always give the same CloudEvents id, so a re-run cannot publish twice."""
    return uuid.uuid5(_ALPA_NS, f"alpa:{asn_id}:{day.isoformat()}")


async def regencies_in_scope(pool: asyncpg.Pool) -> list[tuple[UUID, date]]:
    async with tenant_transaction(pool, ALL_REGENCIES) as conn:
        rows = await conn.fetch(
            "SELECT regency_id, alpa_start FROM activity_config WHERE alpa_start IS NOT NULL ORDER BY regency_id"
        )
    return [(r["regency_id"], r["alpa_start"]) for r in rows]


async def mark_absent_regency(
    pool: asyncpg.Pool, regency_id: UUID, start: date, *, now: datetime, lookback_days: int = 7
) -> int:
    """Mark `alpa` for one regency's ended working days (since `start`, at most `lookback_days` back)."""
    today = now.astimezone(JAKARTA).date()
    async with tenant_transaction(pool, [regency_id]) as conn:
        # a second worker waits here, then finds every day already recorded
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 11))", f"alpa:{regency_id}")
        off = await repo.holidays(conn, regency_id, min(start, today), today)
        days = days_to_close(today, start=start, lookback_days=lookback_days, holidays=off)
        if not days:
            return 0
        active = [
            r["asn_id"]
            for r in await conn.fetch("SELECT asn_id FROM org_asn WHERE regency_id = $1 AND active", regency_id)
        ]
        if not active:
            return 0
        recorded: dict[date, set[UUID]] = {d: set() for d in days}
        for r in await conn.fetch(
            "SELECT asn_id, work_date FROM attendance_day WHERE regency_id = $1 AND work_date = ANY($2::date[])",
            regency_id,
            days,
        ):
            recorded[r["work_date"]].add(r["asn_id"])
        pairs = [(a, d) for d in days for a in sorted(absent_without_record(active, recorded[d]))]
        if not pairs:
            return 0
        rows = await conn.fetch(
            f"""INSERT INTO attendance_day (asn_id, work_date, regency_id, status, source, updated_at,
                    late_minutes, early_leave_minutes)
                SELECT a, d, $1, $2, $3, $4, 0, 0 FROM unnest($5::uuid[], $6::date[]) AS x(a, d)
                ON CONFLICT (asn_id, work_date) DO NOTHING
                RETURNING {DAY_COLUMNS}""",  # noqa: S608 - constant columns
            regency_id,
            AttendanceStatus.ABSENT.value,
            SOURCE,
            now,
            [p[0] for p in pairs],
            [p[1] for p in pairs],
        )
        if rows:
            ordered = sorted(rows, key=lambda r: (r["work_date"], str(r["asn_id"])))
            await outbox.add_many(
                conn,
                [day_event(r, now) for r in ordered],
                event_ids=[alpa_event_id(r["asn_id"], r["work_date"]) for r in ordered],
            )
            await repo.notify_live(conn, regency_id)
        return len(rows)


async def mark_absent(pool: asyncpg.Pool, *, now: datetime, lookback_days: int = 7) -> int:
    """Every regency that records attendance in Kinerja (activity_config.alpa_start set); returns rows marked."""
    total = 0
    for regency_id, start in await regencies_in_scope(pool):
        total += await mark_absent_regency(pool, regency_id, start, now=now, lookback_days=lookback_days)
    return total
