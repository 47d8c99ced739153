"""Use cases of attendance: check-in/out from the phone, fingerprint CSV import, leave marks, apel.

Every change of a day's record sends AttendanceRecorded (the day's whole state: consumers upsert by ASN and
date) with lateness and early-leave minutes for Table T1.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import asyncpg

from kinerja_activity.adapters import repository as repo
from kinerja_activity.domain.attendance import (
    AttendanceStatus,
    DayAttendance,
    OfficeHours,
    check_leave,
    days_from_scans,
)
from kinerja_activity.domain.calendar import working_days
from kinerja_activity.domain.errors import InvalidInput, NotAllowed, NotFound, StateConflict, Violation
from kinerja_activity.service.activities import Caller
from kinerja_shared.contracts.activity import AttendanceRecorded, LeaveRecorded
from kinerja_shared.contracts.activity import AttendanceStatus as WireStatus
from kinerja_shared.contracts.base import Event
from kinerja_shared.db import tenant_transaction
from kinerja_shared.messaging import outbox
from kinerja_shared.web import JAKARTA

DAY_COLUMNS = (
    "asn_id, work_date, regency_id, status, check_in, check_out, apel_attended, late_minutes, early_leave_minutes"
)


def day_event(row: asyncpg.Record, now: datetime) -> AttendanceRecorded:
    return AttendanceRecorded(
        regency_id=row["regency_id"],
        occurred_at=now,
        asn_id=row["asn_id"],
        work_date=row["work_date"],
        status=WireStatus(row["status"]),
        check_in=row["check_in"],
        check_out=row["check_out"],
        late_minutes=row["late_minutes"],
        early_leave_minutes=row["early_leave_minutes"],
        apel_attended=row["apel_attended"],
    )


def _minutes(status: str, check_in: datetime | None, check_out: datetime | None, hours: OfficeHours) -> tuple[int, int]:
    day = DayAttendance(
        (check_in or check_out or datetime.now(JAKARTA)).astimezone(JAKARTA).date(),
        AttendanceStatus(status),
        check_in,
        check_out,
    )
    return day.late(hours), day.early_leave(hours)


async def _upsert_present(
    conn: asyncpg.Connection,
    regency_id: UUID,
    asn_id: UUID,
    work_date: date,
    check_in: datetime | None,
    check_out: datetime | None,
    hours: OfficeHours,
    source: str,
    now: datetime,
    location_in: tuple[Decimal, Decimal] | None = None,
    location_out: tuple[Decimal, Decimal] | None = None,
) -> asyncpg.Record | None:
    """Merge scans into a present day: earliest in, latest out. Excused days (leave) are left as they are."""
    cur = await conn.fetchrow(
        "SELECT status, check_in, check_out FROM attendance_day WHERE asn_id = $1 AND work_date = $2 FOR UPDATE",
        asn_id,
        work_date,
    )
    if cur is not None and cur["status"] == AttendanceStatus.ABSENT.value:
        cur = None  # a scan imported after the day-end job proves presence: alpa becomes hadir
    elif cur is not None and cur["status"] != AttendanceStatus.PRESENT.value:
        return None
    new_in = min((t for t in (cur["check_in"] if cur else None, check_in) if t is not None), default=None)
    new_out = max((t for t in (cur["check_out"] if cur else None, check_out) if t is not None), default=None)
    if new_in is not None and new_out is not None and new_out <= new_in:
        new_out = None  # a single scan is an arrival
    if cur is not None and (cur["check_in"], cur["check_out"]) == (new_in, new_out):
        return None  # nothing changed: a re-imported file sends no events
    late, early = _minutes("hadir", new_in, new_out, hours)
    return await conn.fetchrow(
        f"""INSERT INTO attendance_day AS d (asn_id, work_date, regency_id, status, check_in, check_out,
                check_in_lat, check_in_lon, check_out_lat, check_out_lon, late_minutes, early_leave_minutes,
                source, updated_at)
            VALUES ($1, $2, $3, 'hadir', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (asn_id, work_date) DO UPDATE SET status = 'hadir', check_in = excluded.check_in,
                check_out = excluded.check_out,
                check_in_lat = coalesce(excluded.check_in_lat, d.check_in_lat),
                check_in_lon = coalesce(excluded.check_in_lon, d.check_in_lon),
                check_out_lat = coalesce(excluded.check_out_lat, d.check_out_lat),
                check_out_lon = coalesce(excluded.check_out_lon, d.check_out_lon),
                late_minutes = excluded.late_minutes, early_leave_minutes = excluded.early_leave_minutes,
                source = excluded.source, updated_at = excluded.updated_at
            RETURNING {DAY_COLUMNS}""",  # noqa: S608 - constant columns
        asn_id,
        work_date,
        regency_id,
        new_in,
        new_out,
        location_in[0] if location_in else None,
        location_in[1] if location_in else None,
        location_out[0] if location_out else None,
        location_out[1] if location_out else None,
        late,
        early,
        source,
        now,
    )


async def check_in_out(
    pool: asyncpg.Pool,
    caller: Caller,
    *,
    check_out: bool,
    now: datetime,
    location: tuple[Decimal, Decimal] | None = None,
) -> asyncpg.Record:
    """Record the ASN's arrival or departure now (server time, Asia/Jakarta), with an optional location."""
    work_date = now.astimezone(JAKARTA).date()
    async with tenant_transaction(pool, [caller.regency_id]) as conn:
        _, hours = await repo.rules(conn, caller.regency_id)
        cur = await conn.fetchrow(
            f"SELECT {DAY_COLUMNS} FROM attendance_day WHERE asn_id = $1 AND work_date = $2",  # noqa: S608
            caller.asn_id,
            work_date,
        )
        if cur is not None and cur["status"] != AttendanceStatus.PRESENT.value:
            raise StateConflict(f"Hari ini tercatat {cur['status'].replace('_', ' ')}.", "excused_day")
        if check_out and (cur is None or cur["check_in"] is None):
            raise StateConflict("Belum absen masuk hari ini.", "not_checked_in")
        if not check_out and cur is not None and cur["check_in"] is not None:
            return cur  # a second tap on "masuk" keeps the first arrival
        row = await _upsert_present(
            conn,
            caller.regency_id,
            caller.asn_id,
            work_date,
            None if check_out else now,
            now if check_out else None,
            hours,
            "aplikasi",
            now,
            None if check_out else location,
            location if check_out else None,
        )
        if row is None:
            assert cur is not None
            return cur
        await outbox.add(conn, day_event(row, now))
        await repo.notify_live(conn, caller.regency_id)
        return row


@dataclass(frozen=True, slots=True)
class ImportResult:
    rows: int
    days_changed: int
    errors: list[tuple[int, Violation]]


@dataclass(frozen=True, slots=True)
class ScanLine:
    line: int
    key: str  # ASN UUID or machine PIN, as written
    at: datetime


def parse_fingerprint_csv(text: str) -> tuple[str, list[ScanLine], list[tuple[int, Violation]]]:
    """Scan log as exported by fingerprint machines: header `pin,waktu` (the machine's PIN, mapped to an ASN by
    BKPSDM) or `asn_id,waktu` (or `id_pegawai`), one scan per row, waktu `YYYY-MM-DD HH:MM[:SS]` local time
    (WIB) or ISO 8601 with offset; `;` separators are accepted too. Returns the id column, scans, bad lines."""
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
    id_col = next((c for c in ("pin", "asn_id", "id_pegawai") if c in fields), None)
    if id_col is None or "waktu" not in fields:
        raise InvalidInput([Violation("file", "Kolom wajib: pin (atau asn_id) dan waktu.", "csv_header")])
    scans: list[ScanLine] = []
    errors: list[tuple[int, Violation]] = []
    for n, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        key = row.get(id_col, "")
        if id_col != "pin":
            try:
                key = str(UUID(key))
            except ValueError:
                errors.append((n, Violation(id_col, "Bukan UUID pegawai yang sah.", "uuid_parsing")))
                continue
        elif not key:
            errors.append((n, Violation("pin", "PIN kosong.", "missing")))
            continue
        try:
            t = datetime.fromisoformat(row.get("waktu", "").replace("/", "-"))
        except ValueError:
            errors.append((n, Violation("waktu", "Format waktu: TTTT-BB-HH JJ:MM[:DD].", "datetime_parsing")))
            continue
        scans.append(ScanLine(n, key, t.replace(tzinfo=JAKARTA) if t.tzinfo is None else t))
    return id_col, scans, errors


async def import_fingerprint(pool: asyncpg.Pool, regency_id: UUID, text: str, *, now: datetime) -> ImportResult:
    """BKPSDM imports a machine export; unmapped PINs, unknown ASN and bad rows are reported by line, the rest
    applied."""
    id_col, lines, errors = parse_fingerprint_csv(text)
    data_lines = len(lines) + len(errors)
    changed = 0
    async with tenant_transaction(pool, [regency_id]) as conn:
        _, hours = await repo.rules(conn, regency_id)
        keys = sorted({s.key for s in lines})
        if id_col == "pin":
            rows = await conn.fetch(
                "SELECT pin, asn_id FROM fingerprint_pin WHERE regency_id = $1 AND pin = ANY($2::text[])",
                regency_id,
                keys,
            )
            resolved = {r["pin"]: r["asn_id"] for r in rows}
            missing = Violation("pin", "PIN {} belum dipetakan ke pegawai.", "unmapped_pin")
        else:
            rows = await conn.fetch(
                "SELECT asn_id FROM org_asn WHERE asn_id = ANY($1::uuid[])", [UUID(k) for k in keys]
            )
            resolved = {str(r["asn_id"]): r["asn_id"] for r in rows}
            missing = Violation(id_col, "Pegawai {} tidak dikenal di daerah ini.", "unknown_asn")
        scans: dict[UUID, list[datetime]] = defaultdict(list)
        for s in lines:
            asn = resolved.get(s.key)
            if asn is None:
                errors.append((s.line, Violation(missing.field, missing.reason.format(s.key), missing.code)))
            else:
                scans[asn].append(s.at)
        events: list[Event] = []
        for asn_id, times in scans.items():
            for day in days_from_scans(times):
                row = await _upsert_present(
                    conn, regency_id, asn_id, day.work_date, day.first, day.last, hours, "mesin_sidik_jari", now
                )
                if row is not None:
                    changed += 1
                    events.append(day_event(row, now))
        if events:
            await outbox.add_many(conn, events)
            await repo.notify_live(conn, regency_id)
    errors.sort(key=lambda e: e[0])
    return ImportResult(data_lines, changed, errors)


async def _may_manage(conn: asyncpg.Connection, actor: Caller | None, asn_id: UUID, on: date) -> None:
    """BKPSDM (actor None) manages anyone visible; a superior only their subordinates."""
    if not await conn.fetchval("SELECT 1 FROM org_asn WHERE asn_id = $1", asn_id):
        raise NotFound("pegawai tidak ditemukan")
    if actor is not None and not await repo.subordinates_allowed(conn, actor.asn_id, [(asn_id, on)], on):
        raise NotAllowed("Hanya atasan langsung atau BKPSDM yang dapat mencatat ini.")


async def record_leave(
    pool: asyncpg.Pool,
    regency_id: UUID,
    asn_id: UUID,
    status: AttendanceStatus,
    start: date,
    end: date,
    *,
    note: str = "",
    actor: Caller | None,
    recorded_by: UUID | None,
    now: datetime,
) -> UUID:
    """Mark cuti / dinas luar / sakit over a date range; each working day's record becomes that status."""
    check_leave(start, end, status)
    leave_id = uuid4()
    async with tenant_transaction(pool, [regency_id]) as conn:
        await _may_manage(conn, actor, asn_id, start)
        off = await repo.holidays(conn, regency_id, start, end)
        days = list(working_days(start, end, off))
        await conn.execute(
            "INSERT INTO leave_mark (leave_id, regency_id, asn_id, status, start_date, end_date, note, recorded_by,"
            " recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            leave_id,
            regency_id,
            asn_id,
            status.value,
            start,
            end,
            note,
            recorded_by,
            now,
        )
        rows = await conn.fetch(
            f"""INSERT INTO attendance_day AS d (asn_id, work_date, regency_id, status, source, leave_id, updated_at,
                    late_minutes, early_leave_minutes)
                SELECT $1, day, $2, $3, 'penandaan', $4, $5, 0, 0 FROM unnest($6::date[]) AS day
                ON CONFLICT (asn_id, work_date) DO UPDATE SET status = excluded.status, source = excluded.source,
                    leave_id = excluded.leave_id, updated_at = excluded.updated_at, late_minutes = 0,
                    early_leave_minutes = 0
                RETURNING {DAY_COLUMNS}""",  # noqa: S608 - constant columns
            asn_id,
            regency_id,
            status.value,
            leave_id,
            now,
            days,
        )
        events: list[Event] = [
            LeaveRecorded(
                regency_id=regency_id,
                occurred_at=now,
                leave_id=leave_id,
                asn_id=asn_id,
                status=WireStatus(status.value),
                start_date=start,
                end_date=end,
                working_days=len(days),
                recorded_by=recorded_by,
            ),
            *(day_event(r, now) for r in sorted(rows, key=lambda r: r["work_date"])),
        ]
        await outbox.add_many(conn, events)
        await repo.notify_live(conn, regency_id)
    return leave_id


async def record_apel(
    pool: asyncpg.Pool,
    regency_id: UUID,
    work_date: date,
    attended: Sequence[UUID],
    missed: Sequence[UUID],
    *,
    actor: Caller | None,
    now: datetime,
) -> int:
    """Record who attended the morning assembly (apel); T1 deducts for a missed one on a present day."""
    both = set(attended) & set(missed)
    if both:
        raise InvalidInput([Violation("missed", "Pegawai yang sama tercatat hadir dan tidak hadir.", "conflict")])
    if work_date > now.astimezone(JAKARTA).date():
        raise InvalidInput([Violation("work_date", "Tanggal apel tidak boleh di masa depan.", "future_date")])
    async with tenant_transaction(pool, [regency_id]) as conn:
        for asn_id in [*attended, *missed]:
            await _may_manage(conn, actor, asn_id, work_date)
        rows = await conn.fetch(
            f"""INSERT INTO attendance_day AS d
                    (asn_id, work_date, regency_id, status, apel_attended, source, updated_at)
                SELECT a, $1, $2, 'hadir', att, 'penandaan', $3 FROM unnest($4::uuid[], $5::bool[]) AS x(a, att)
                ON CONFLICT (asn_id, work_date) DO UPDATE SET apel_attended = excluded.apel_attended,
                    updated_at = excluded.updated_at
                WHERE d.status = 'hadir' AND d.apel_attended IS DISTINCT FROM excluded.apel_attended
                RETURNING {DAY_COLUMNS}""",  # noqa: S608 - constant columns
            work_date,
            regency_id,
            now,
            [*attended, *missed],
            [True] * len(attended) + [False] * len(missed),
        )
        if rows:
            await outbox.add_many(conn, [day_event(r, now) for r in rows])
            await repo.notify_live(conn, regency_id)
    return len(rows)


async def month_attendance(pool: asyncpg.Pool, caller: Caller, month: date) -> list[asyncpg.Record]:
    first = month.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    async with tenant_transaction(pool, [caller.regency_id]) as conn:
        return list(
            await conn.fetch(
                f"SELECT {DAY_COLUMNS} FROM attendance_day WHERE asn_id = $1 AND work_date >= $2"  # noqa: S608
                " AND work_date < $3 ORDER BY work_date",
                caller.asn_id,
                first,
                nxt,
            )
        )
