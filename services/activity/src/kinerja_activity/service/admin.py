"""BKPSDM's use cases for its regency: activity settings, the holiday calendar, fingerprint PIN → ASN mapping.

Each change is one tenant transaction with an audit row (docs/security.md "Audit log"); settings feed the
domain rules (quota, grace days, office hours, overdue limit) and the day-end alpa job (alpa_start).
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

import asyncpg

from kinerja_activity.domain.errors import InvalidInput, NotFound, Violation
from kinerja_shared import audit
from kinerja_shared.auth import Principal
from kinerja_shared.db import tenant_transaction


@dataclass(frozen=True, slots=True)
class RegencySettings:
    """activity_config of one regency (defaults when it has no row: DOMAIN.md Tables T1 and R1)."""

    monthly_quota_minutes: int = 6750
    report_grace_days: int = 5
    overdue_working_days: int = 2
    office_start: time = time(7, 30)
    office_end: time = time(16, 0)
    friday_end: time = time(16, 30)
    alpa_start: date | None = None


def check_settings(s: RegencySettings) -> None:
    """Office hours must make a working day; the rest is range-checked at the edge (pydantic)."""
    problems = []
    if s.office_end <= s.office_start:
        problems.append(Violation("office_end", "Jam pulang harus setelah jam masuk.", "end_before_start"))
    if s.friday_end <= s.office_start:
        problems.append(Violation("friday_end", "Jam pulang Jumat harus setelah jam masuk.", "end_before_start"))
    if problems:
        raise InvalidInput(problems)


async def get_settings(pool: asyncpg.Pool, regency_id: UUID) -> RegencySettings:
    async with tenant_transaction(pool, [regency_id]) as conn:
        row = await conn.fetchrow(
            "SELECT monthly_quota_minutes, report_grace_days, overdue_working_days, office_start, office_end,"
            " friday_end, alpa_start FROM activity_config WHERE regency_id = $1",
            regency_id,
        )
    return RegencySettings(**dict(row)) if row is not None else RegencySettings()


async def save_settings(
    pool: asyncpg.Pool, principal: Principal, regency_id: UUID, new: RegencySettings, *, now: datetime
) -> RegencySettings:
    check_settings(new)
    async with tenant_transaction(pool, [regency_id]) as conn:
        await conn.execute(
            """INSERT INTO activity_config AS c (regency_id, monthly_quota_minutes, report_grace_days,
                   overdue_working_days, office_start, office_end, friday_end, alpa_start, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT (regency_id) DO UPDATE SET monthly_quota_minutes = excluded.monthly_quota_minutes,
                   report_grace_days = excluded.report_grace_days,
                   overdue_working_days = excluded.overdue_working_days, office_start = excluded.office_start,
                   office_end = excluded.office_end, friday_end = excluded.friday_end,
                   alpa_start = excluded.alpa_start, updated_at = excluded.updated_at""",
            regency_id,
            new.monthly_quota_minutes,
            new.report_grace_days,
            new.overdue_working_days,
            new.office_start,
            new.office_end,
            new.friday_end,
            new.alpa_start,
            now,
        )
        await audit.record(
            conn,
            actor=principal,
            action="activity_settings.change",
            subject_type="regency",
            subject_id=regency_id,
            regency_id=regency_id,
            detail=_plain(asdict(new)),
            at=now,
        )
    return new


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, (date, time)) else v) for k, v in d.items()}


async def list_holidays(pool: asyncpg.Pool, regency_id: UUID, year: int) -> list[asyncpg.Record]:
    async with tenant_transaction(pool, [regency_id]) as conn:
        return list(
            await conn.fetch(
                "SELECT day, name FROM holiday WHERE regency_id = $1 AND day BETWEEN $2 AND $3 ORDER BY day",
                regency_id,
                date(year, 1, 1),
                date(year, 12, 31),
            )
        )


async def add_holiday(
    pool: asyncpg.Pool, principal: Principal, regency_id: UUID, day: date, name: str, *, now: datetime
) -> None:
    """Add (or rename) a holiday; weekends are off anyway, so they are refused as a likely mistake."""
    if day.weekday() >= 5:
        raise InvalidInput([Violation("day", "Sabtu dan Minggu sudah bukan hari kerja.", "weekend")])
    async with tenant_transaction(pool, [regency_id]) as conn:
        await conn.execute(
            "INSERT INTO holiday (regency_id, day, name) VALUES ($1, $2, $3)"
            " ON CONFLICT (regency_id, day) DO UPDATE SET name = excluded.name",
            regency_id,
            day,
            name,
        )
        await audit.record(
            conn,
            actor=principal,
            action="holiday.add",
            subject_type="regency",
            subject_id=regency_id,
            regency_id=regency_id,
            detail={"day": day.isoformat()},
            at=now,
        )


async def remove_holiday(
    pool: asyncpg.Pool, principal: Principal, regency_id: UUID, day: date, *, now: datetime
) -> None:
    async with tenant_transaction(pool, [regency_id]) as conn:
        gone = await conn.fetchval(
            "DELETE FROM holiday WHERE regency_id = $1 AND day = $2 RETURNING day", regency_id, day
        )
        if gone is None:
            raise NotFound("hari libur tidak ditemukan")
        await audit.record(
            conn,
            actor=principal,
            action="holiday.remove",
            subject_type="regency",
            subject_id=regency_id,
            regency_id=regency_id,
            detail={"day": day.isoformat()},
            at=now,
        )


# ---------------------------------------------------------------- fingerprint PINs
def check_pin(pin: str, field: str = "pin") -> str:
    p = pin.strip()
    if not p or len(p) > 32 or not all(c.isalnum() or c in "_-" for c in p) or not p.isascii():
        raise InvalidInput([Violation(field, "PIN mesin: 1–32 huruf/angka.", "pin_format")])
    return p


async def list_pins(pool: asyncpg.Pool, regency_id: UUID) -> list[asyncpg.Record]:
    async with tenant_transaction(pool, [regency_id]) as conn:
        return list(
            await conn.fetch(
                """SELECT p.pin, p.asn_id, o.name, o.position_title FROM fingerprint_pin p
                   LEFT JOIN org_asn o ON o.asn_id = p.asn_id WHERE p.regency_id = $1
                   ORDER BY length(p.pin), p.pin""",
                regency_id,
            )
        )


async def asn_choices(pool: asyncpg.Pool, regency_id: UUID) -> list[asyncpg.Record]:
    """The regency's active ASN for the mapping picker, grouped by unit (names only; org_asn has no NIP)."""
    async with tenant_transaction(pool, [regency_id]) as conn:
        return list(
            await conn.fetch(
                """SELECT o.asn_id, o.name, o.position_title, coalesce(u.name, '') AS unit_name
                   FROM org_asn o LEFT JOIN org_unit u ON u.unit_id = o.unit_id
                   WHERE o.regency_id = $1 AND o.active ORDER BY unit_name, o.name""",
                regency_id,
            )
        )


async def set_pins(
    pool: asyncpg.Pool,
    principal: Principal,
    regency_id: UUID,
    pairs: list[tuple[int, str, UUID]],
    *,
    now: datetime,
) -> tuple[int, list[tuple[int, Violation]]]:
    """Map machine PINs to ASN (line, pin, asn); unknown ASN are reported per line, the rest saved."""
    errors: list[tuple[int, Violation]] = []
    async with tenant_transaction(pool, [regency_id]) as conn:
        known = {
            r["asn_id"]
            for r in await conn.fetch(
                "SELECT asn_id FROM org_asn WHERE asn_id = ANY($1::uuid[])", [a for _, _, a in pairs]
            )
        }
        good: dict[str, UUID] = {}
        for line, pin, asn in pairs:
            if asn not in known:
                errors.append((line, Violation("asn_id", "Pegawai tidak dikenal di daerah ini.", "unknown_asn")))
            else:
                good[pin] = asn  # a later line for the same PIN wins, like editing it twice
        if good:
            await conn.execute(
                """INSERT INTO fingerprint_pin (regency_id, pin, asn_id, updated_at)
                   SELECT $1, p, a, $4 FROM unnest($2::text[], $3::uuid[]) AS x(p, a)
                   ON CONFLICT (regency_id, pin) DO UPDATE SET asn_id = excluded.asn_id,
                       updated_at = excluded.updated_at""",
                regency_id,
                list(good),
                list(good.values()),
                now,
            )
            await audit.record(
                conn,
                actor=principal,
                action="fingerprint_pin.change",
                subject_type="regency",
                subject_id=regency_id,
                regency_id=regency_id,
                detail={"mapped": len(good)},
                at=now,
            )
    return len(good), errors


async def remove_pin(pool: asyncpg.Pool, principal: Principal, regency_id: UUID, pin: str, *, now: datetime) -> None:
    async with tenant_transaction(pool, [regency_id]) as conn:
        gone = await conn.fetchval(
            "DELETE FROM fingerprint_pin WHERE regency_id = $1 AND pin = $2 RETURNING pin", regency_id, pin
        )
        if gone is None:
            raise NotFound("PIN tidak ditemukan")
        await audit.record(
            conn,
            actor=principal,
            action="fingerprint_pin.remove",
            subject_type="regency",
            subject_id=regency_id,
            regency_id=regency_id,
            detail={"removed": 1},
            at=now,
        )


def parse_pin_csv(text: str) -> tuple[list[tuple[int, str, UUID]], list[tuple[int, Violation]]]:
    """`pin,asn_id` (or `;`), one mapping per line; bad lines reported by number."""
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
    if not {"pin", "asn_id"} <= fields:
        raise InvalidInput([Violation("file", "Kolom wajib: pin dan asn_id.", "csv_header")])
    pairs: list[tuple[int, str, UUID]] = []
    errors: list[tuple[int, Violation]] = []
    for n, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        try:
            pin = check_pin(row["pin"])
        except InvalidInput as e:
            errors.append((n, e.violations[0]))
            continue
        try:
            pairs.append((n, pin, UUID(row["asn_id"])))
        except ValueError:
            errors.append((n, Violation("asn_id", "Bukan UUID pegawai yang sah.", "uuid_parsing")))
    return pairs, errors
