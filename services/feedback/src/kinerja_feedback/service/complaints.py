"""Complaints (pengaduan, Table C1): public filing with a tracking code, unit handling, citizen verdict."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from uuid import UUID

import asyncpg

from kinerja_feedback.adapters import postgres as db
from kinerja_feedback.domain.complaints import (
    Complaint,
    Status,
    deadlines,
    elapsed_working_days,
    normalize_tracking_code,
    tracking_code,
)
from kinerja_feedback.domain.errors import InvalidInput, NotFound
from kinerja_feedback.service.common import Directory, UnitInfo, ensure_unit_staff
from kinerja_shared import audit
from kinerja_shared.auth import Principal
from kinerja_shared.contracts.feedback import (
    CitizenVerdict,
    ComplaintAssigned,
    ComplaintFiled,
    ComplaintResolved,
    ComplaintResponded,
    ComplaintReviewed,
)
from kinerja_shared.db import ALL_REGENCIES, tenant_transaction
from kinerja_shared.messaging import outbox
from kinerja_shared.web import JAKARTA

SUBJECT_MAX: Final = 150
BODY_MAX: Final = 4000


@dataclass(frozen=True, slots=True)
class FileComplaint:
    unit_id: UUID
    subject: str
    body: str
    service_name: str = ""
    reporter_name: str = ""
    reporter_contact: str = ""


@dataclass(frozen=True, slots=True)
class Filed:
    complaint_id: UUID
    tracking_code: str
    response_due: date
    resolution_due: date


def _text(value: str, field: str, *, low: int, high: int, label: str) -> str:
    v = value.strip()
    if len(v) < low:
        raise InvalidInput(f"{label} minimal {low} karakter.", field=field, reason=f"shorter than {low}")
    if len(v) > high:
        raise InvalidInput(f"{label} maksimal {high} karakter.", field=field, reason=f"longer than {high}")
    return v


async def file_complaint(pool: asyncpg.Pool, directory: Directory, cmd: FileComplaint, at: datetime) -> Filed:
    """A citizen's complaint: due dates in working days from the regency's calendar; ComplaintFiled in the outbox."""
    subject = _text(cmd.subject, "subject", low=5, high=SUBJECT_MAX, label="Judul")
    body = _text(cmd.body, "body", low=10, high=BODY_MAX, label="Isi pengaduan")
    service = _text(cmd.service_name, "service_name", low=0, high=120, label="Nama layanan")
    name = _text(cmd.reporter_name, "reporter_name", low=0, high=120, label="Nama")
    contact = _text(cmd.reporter_contact, "reporter_contact", low=0, high=120, label="Kontak")
    unit = await directory.require_unit(cmd.unit_id)
    cfg = await directory.config(unit.regency_id)
    filed_on = at.astimezone(JAKARTA).date()
    for attempt in range(3):
        code = tracking_code(secrets.token_bytes(8))
        complaint_id = uuid.uuid4()
        try:
            async with tenant_transaction(pool, [unit.regency_id]) as conn:
                d = deadlines(
                    filed_on,
                    response_days=cfg.response_days,
                    resolution_days=cfg.resolution_days,
                    holidays=await db.holidays(conn, unit.regency_id),
                )
                await conn.execute(
                    """INSERT INTO complaint (complaint_id, regency_id, unit_id, tracking_code, service_name, subject,
                         body, reporter_name, reporter_contact, filed_at, filed_on, response_due, resolution_due,
                         status, updated_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'diajukan', $10)""",
                    complaint_id,
                    unit.regency_id,
                    unit.unit_id,
                    code,
                    service,
                    subject,
                    body,
                    name,
                    contact,
                    at,
                    filed_on,
                    d.response_due,
                    d.resolution_due,
                )
                await db.add_entry(conn, complaint_id, unit.regency_id, at, "diajukan", None, body)
                await outbox.add(
                    conn,
                    ComplaintFiled(
                        regency_id=unit.regency_id,
                        occurred_at=at,
                        complaint_id=complaint_id,
                        unit_id=unit.unit_id,
                        response_due=d.response_due,
                        resolution_due=d.resolution_due,
                    ),
                )
            return Filed(complaint_id, code, d.response_due, d.resolution_due)
        except asyncpg.UniqueViolationError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class Entry:
    at: datetime
    kind: str
    body: str
    by_unit: bool


@dataclass(frozen=True, slots=True)
class ComplaintView:
    complaint: Complaint
    regency_id: UUID
    tracking_code: str
    unit_name: str
    subject: str
    body: str
    service_name: str
    reporter_name: str
    reporter_contact: str  # only unit staff views show it
    filed_at: datetime
    assigned_name: str
    entries: tuple[Entry, ...]
    overdue: bool


async def _view(conn: asyncpg.Connection, row: asyncpg.Record, today: date) -> ComplaintView:
    entries = await conn.fetch(
        "SELECT at, kind, body, author_asn_id FROM complaint_entry WHERE complaint_id = $1 ORDER BY entry_id",
        row["complaint_id"],
    )
    c = db.complaint_from(row)
    assigned = ""
    if c.assigned_asn_id is not None:
        assigned = await conn.fetchval("SELECT name FROM org_asn WHERE asn_id = $1", c.assigned_asn_id) or ""
    return ComplaintView(
        complaint=c,
        regency_id=row["regency_id"],
        tracking_code=row["tracking_code"],
        unit_name=row["unit_name"] or "",
        subject=row["subject"],
        body=row["body"],
        service_name=row["service_name"],
        reporter_name=row["reporter_name"],
        reporter_contact=row["reporter_contact"],
        filed_at=row["filed_at"],
        assigned_name=assigned,
        entries=tuple(
            Entry(e["at"], e["kind"], e["body"], e["kind"] not in ("diajukan", "dikonfirmasi", "dibuka_kembali"))
            for e in entries
        ),
        overdue=c.overdue(today),
    )


_SELECT: Final = """SELECT c.*, u.name AS unit_name FROM complaint c LEFT JOIN org_unit u USING (unit_id)"""


async def track(pool: asyncpg.Pool, code: str, today: date) -> ComplaintView:
    """The citizen's status page: found by tracking code alone (the code is the secret)."""
    normalized = normalize_tracking_code(code)
    # the code names one row in whichever regency; read it across tenants, nothing else
    async with tenant_transaction(pool, ALL_REGENCIES) as conn:
        row = await conn.fetchrow(_SELECT + " WHERE c.tracking_code = $1", normalized)
        if row is None:
            raise NotFound("Pengaduan dengan kode ini tidak ditemukan.", field="kode", reason="unknown code")
        return await _view(conn, row, today)


async def review(pool: asyncpg.Pool, code: str, verdict: CitizenVerdict, note: str, at: datetime) -> ComplaintView:
    """The citizen confirms the unit's resolution or reopens the complaint (Table C1)."""
    normalized = normalize_tracking_code(code)
    note = _text(note, "note", low=0, high=BODY_MAX, label="Catatan")
    if verdict is CitizenVerdict.REOPENED and len(note) < 5:
        raise InvalidInput("Jelaskan mengapa pengaduan dibuka kembali.", field="note", reason="reason required")
    async with tenant_transaction(pool, ALL_REGENCIES) as conn:
        regency = await conn.fetchval("SELECT regency_id FROM complaint WHERE tracking_code = $1", normalized)
    if regency is None:
        raise NotFound("Pengaduan dengan kode ini tidak ditemukan.", field="kode", reason="unknown code")
    async with tenant_transaction(pool, [regency]) as conn:
        row = await conn.fetchrow(_SELECT + " WHERE c.tracking_code = $1 FOR UPDATE OF c", normalized)
        c = db.complaint_from(row)
        c = c.confirm() if verdict is CitizenVerdict.CONFIRMED else c.reopen()
        await db.save_complaint(conn, c)
        await db.add_entry(conn, c.complaint_id, regency, at, verdict.value, None, note)
        await outbox.add(
            conn,
            ComplaintReviewed(
                regency_id=regency,
                occurred_at=at,
                complaint_id=c.complaint_id,
                unit_id=c.unit_id,
                assigned_asn_id=c.assigned_asn_id,
                verdict=verdict,
            ),
        )
        fresh = await conn.fetchrow(_SELECT + " WHERE c.complaint_id = $1", c.complaint_id)
        return await _view(conn, fresh, at.astimezone(JAKARTA).date())


async def _staff_complaint(
    conn: asyncpg.Connection, directory: Directory, principal: Principal, complaint_id: UUID
) -> tuple[asyncpg.Record, UnitInfo, UUID | None]:
    row = await conn.fetchrow(_SELECT + " WHERE c.complaint_id = $1 FOR UPDATE OF c", complaint_id)
    if row is None:
        raise NotFound("Pengaduan tidak ditemukan.", field="complaint_id", reason="unknown complaint")
    unit = await directory.require_unit(row["unit_id"])
    actor = await ensure_unit_staff(conn, principal, unit)
    return row, unit, actor


async def _audit(
    conn: asyncpg.Connection, principal: Principal, action: str, complaint_id: UUID, regency_id: UUID, step: str
) -> None:
    await audit.record(
        conn,
        actor=principal,
        action=action,
        subject_type="complaint",
        subject_id=complaint_id,
        regency_id=regency_id,
        detail={"step": step},
    )


def _actor_id(principal: Principal, actor: UUID | None) -> UUID:
    # an admin without an ASN record still acts; events name an internal UUID either way
    return actor or uuid.uuid5(uuid.NAMESPACE_URL, f"kinerja:principal:{principal.sub}")


async def respond(
    pool: asyncpg.Pool, directory: Directory, principal: Principal, complaint_id: UUID, body: str, at: datetime
) -> ComplaintView:
    """A reply from the unit; the first one is ComplaintResponded with working days taken and on-time flag."""
    text = _text(body, "body", low=2, high=BODY_MAX, label="Tanggapan")
    async with tenant_transaction(pool, [principal.regency_id] if principal.regency_id else []) as conn:
        row, unit, actor = await _staff_complaint(conn, directory, principal, complaint_id)
        c, first = db.complaint_from(row).respond(at)
        await db.save_complaint(conn, c)
        await db.add_entry(conn, c.complaint_id, unit.regency_id, at, "tanggapan", actor, text)
        if first:
            hol = await db.holidays(conn, unit.regency_id)
            done_on = at.astimezone(JAKARTA).date()
            await outbox.add(
                conn,
                ComplaintResponded(
                    regency_id=unit.regency_id,
                    occurred_at=at,
                    complaint_id=c.complaint_id,
                    unit_id=c.unit_id,
                    assigned_asn_id=c.assigned_asn_id,
                    responded_by=_actor_id(principal, actor),
                    working_days=elapsed_working_days(c.filed_on, done_on, hol),
                    on_time=done_on <= c.response_due,
                ),
            )
        await _audit(conn, principal, audit.AuditAction.COMPLAINT_RESPOND, c.complaint_id, unit.regency_id, "respond")
        fresh = await conn.fetchrow(_SELECT + " WHERE c.complaint_id = $1", complaint_id)
        return await _view(conn, fresh, at.astimezone(JAKARTA).date())


async def assign(
    pool: asyncpg.Pool, directory: Directory, principal: Principal, complaint_id: UUID, asn_id: UUID, at: datetime
) -> ComplaintView:
    """Give the complaint to an ASN of the unit (its 'Berorientasi Pelayanan' evidence, Table C1)."""
    async with tenant_transaction(pool, [principal.regency_id] if principal.regency_id else []) as conn:
        row, unit, actor = await _staff_complaint(conn, directory, principal, complaint_id)
        if not await db.is_unit_asn(conn, asn_id, unit.unit_id):
            raise InvalidInput("Pegawai ini bukan pegawai unit tersebut.", field="asn_id", reason="not in the unit")
        c = db.complaint_from(row).assign(asn_id)
        await db.save_complaint(conn, c)
        name = await conn.fetchval("SELECT name FROM org_asn WHERE asn_id = $1", asn_id)
        await db.add_entry(conn, c.complaint_id, unit.regency_id, at, "ditugaskan", actor, f"Ditangani oleh {name}")
        await outbox.add(
            conn,
            ComplaintAssigned(
                regency_id=unit.regency_id,
                occurred_at=at,
                complaint_id=c.complaint_id,
                unit_id=c.unit_id,
                assigned_asn_id=asn_id,
            ),
        )
        await _audit(conn, principal, audit.AuditAction.COMPLAINT_RESPOND, c.complaint_id, unit.regency_id, "assign")
        fresh = await conn.fetchrow(_SELECT + " WHERE c.complaint_id = $1", complaint_id)
        return await _view(conn, fresh, at.astimezone(JAKARTA).date())


async def resolve(
    pool: asyncpg.Pool, directory: Directory, principal: Principal, complaint_id: UUID, body: str, at: datetime
) -> ComplaintView:
    """The unit declares the complaint resolved; the citizen may then confirm or reopen."""
    text = _text(body, "body", low=2, high=BODY_MAX, label="Penjelasan penyelesaian")
    async with tenant_transaction(pool, [principal.regency_id] if principal.regency_id else []) as conn:
        row, unit, actor = await _staff_complaint(conn, directory, principal, complaint_id)
        c = db.complaint_from(row).resolve(at)
        await db.save_complaint(conn, c)
        await db.add_entry(conn, c.complaint_id, unit.regency_id, at, "selesai", actor, text)
        hol = await db.holidays(conn, unit.regency_id)
        done_on = at.astimezone(JAKARTA).date()
        await outbox.add(
            conn,
            ComplaintResolved(
                regency_id=unit.regency_id,
                occurred_at=at,
                complaint_id=c.complaint_id,
                unit_id=c.unit_id,
                assigned_asn_id=c.assigned_asn_id,
                resolved_by=_actor_id(principal, actor),
                working_days=elapsed_working_days(c.filed_on, done_on, hol),
                on_time=done_on <= c.resolution_due,
            ),
        )
        await _audit(conn, principal, audit.AuditAction.COMPLAINT_RESPOND, c.complaint_id, unit.regency_id, "resolve")
        fresh = await conn.fetchrow(_SELECT + " WHERE c.complaint_id = $1", complaint_id)
        return await _view(conn, fresh, done_on)


@dataclass(frozen=True, slots=True)
class ComplaintLine:
    complaint_id: UUID
    tracking_code: str
    subject: str
    status: Status
    filed_at: datetime
    response_due: date
    resolution_due: date
    assigned_name: str
    overdue: bool


async def list_for_unit(
    pool: asyncpg.Pool, directory: Directory, principal: Principal, unit_id: UUID, today: date
) -> list[ComplaintLine]:
    """The unit's complaints, newest first, with overdue ones flagged (Table C1)."""
    unit = await directory.require_unit(unit_id)
    async with tenant_transaction(pool, [principal.regency_id] if principal.regency_id else []) as conn:
        await ensure_unit_staff(conn, principal, unit)
        found = await conn.fetch(
            """SELECT c.*, coalesce(a.name, '') AS assigned_name FROM complaint c
               LEFT JOIN org_asn a ON a.asn_id = c.assigned_asn_id
               WHERE c.unit_id = $1 ORDER BY c.filed_at DESC LIMIT 500""",
            unit_id,
        )
        await audit.record(
            conn,
            actor=principal,
            action=audit.AuditAction.COMPLAINT_VIEW,
            subject_type="unit",
            subject_id=unit_id,
            regency_id=unit.regency_id,
            detail={"step": "list", "rows": len(found)},
        )
    out = []
    for r in found:
        c = db.complaint_from(r)
        out.append(
            ComplaintLine(
                c.complaint_id,
                r["tracking_code"],
                r["subject"],
                c.status,
                r["filed_at"],
                c.response_due,
                c.resolution_due,
                r["assigned_name"],
                c.overdue(today),
            )
        )
    return out


async def staff_view(
    pool: asyncpg.Pool, directory: Directory, principal: Principal, complaint_id: UUID, today: date
) -> ComplaintView:
    async with tenant_transaction(pool, [principal.regency_id] if principal.regency_id else []) as conn:
        row = await conn.fetchrow(_SELECT + " WHERE c.complaint_id = $1", complaint_id)
        if row is None:
            raise NotFound("Pengaduan tidak ditemukan.", field="complaint_id", reason="unknown complaint")
        await ensure_unit_staff(conn, principal, await directory.require_unit(row["unit_id"]))
        view = await _view(conn, row, today)
        # the page shows the reporter's name and contact: who saw them is on record
        await _audit(conn, principal, audit.AuditAction.COMPLAINT_VIEW, complaint_id, row["regency_id"], "view")
        return view
