"""Pembinaan plans (opened by Table R1 mentoring_needed) and sanction review cases (sanction_review).

The cases open themselves when the scoring engine requests the R1 notification (migration 0200's trigger); from
there people act: a mentor, goals, check-ins and a closing assessment; BKPSDM reviews sanction cases with a history.
Nothing else happens automatically.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from kinerja_evaluation.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kinerja_evaluation.service.access import regency_of, require_admin, superior_chain
from kinerja_evaluation.service.followup_common import now_jakarta
from kinerja_shared import audit
from kinerja_shared.auth import PROVINCE_ROLES, Principal, Role
from kinerja_shared.db import tenant_transaction

CLOSING = ("membaik", "tetap", "memburuk")
SANCTION_ACTIONS = {"ditelaah": "ditelaah", "catatan": None, "ditutup": "ditutup"}


async def _plan_access(conn: asyncpg.Connection, who: Principal, plan: asyncpg.Record, *, write: bool) -> None:
    if who.has_role(Role.ADMIN_BKPSDM):
        return
    if who.asn_id is not None and (
        who.asn_id == plan["mentor_id"]
        or who.asn_id in await superior_chain(conn, plan["asn_id"], now_jakarta().date())
    ):
        return
    if not write and (who.asn_id == plan["asn_id"] or who.has_role(*PROVINCE_ROLES)):
        return
    raise NotAllowed("Anda tidak berhak mengelola rencana pembinaan ini.")


async def plans(pool: asyncpg.Pool, who: Principal) -> list[dict[str, Any]]:
    """BKPSDM: every plan; others: their own, the ones they mentor, and their subordinates'."""
    regency = regency_of(who)
    async with tenant_transaction(pool, [regency]) as conn:
        rows = await conn.fetch(
            """SELECT p.*, a.name, m.name AS mentor_name,
                      (SELECT count(*) FROM pembinaan_checkin c WHERE c.plan_id = p.plan_id) AS checkins
               FROM pembinaan_plan p JOIN asn a USING (asn_id) LEFT JOIN asn m ON m.asn_id = p.mentor_id
               ORDER BY p.status, p.opened_at DESC LIMIT 1000"""
        )
        if who.has_role(Role.ADMIN_BKPSDM, *PROVINCE_ROLES):
            return [dict(r) for r in rows]
        out = []
        for r in rows:
            if who.asn_id in (r["asn_id"], r["mentor_id"]) or (
                who.asn_id is not None and who.asn_id in await superior_chain(conn, r["asn_id"], now_jakarta().date())
            ):
                out.append(dict(r))
        return out


async def plan(pool: asyncpg.Pool, who: Principal, plan_id: UUID) -> dict[str, Any]:
    regency = regency_of(who)
    async with tenant_transaction(pool, [regency]) as conn:
        p = await conn.fetchrow(
            """SELECT p.*, a.name, m.name AS mentor_name FROM pembinaan_plan p JOIN asn a USING (asn_id)
               LEFT JOIN asn m ON m.asn_id = p.mentor_id WHERE p.plan_id = $1""",
            plan_id,
        )
        if p is None:
            raise NotFound("Rencana pembinaan tidak ditemukan.")
        await _plan_access(conn, who, p, write=False)
        checkins = await conn.fetch("SELECT * FROM pembinaan_checkin WHERE plan_id = $1 ORDER BY id", plan_id)
    return dict(p) | {"checkin_list": [dict(c) for c in checkins]}


@dataclass(frozen=True, slots=True)
class PlanIn:
    mentor_id: UUID
    goals: str


async def set_plan(pool: asyncpg.Pool, who: Principal, plan_id: UUID, body: PlanIn) -> None:
    regency = regency_of(who)
    if len(body.goals.strip()) < 10:
        raise InvalidInput("Tuliskan sasaran pembinaan.", field="goals", reason="sasaran pembinaan terlalu singkat")
    async with tenant_transaction(pool, [regency]) as conn:
        p = await conn.fetchrow("SELECT * FROM pembinaan_plan WHERE plan_id = $1 FOR UPDATE", plan_id)
        if p is None:
            raise NotFound("Rencana pembinaan tidak ditemukan.")
        await _plan_access(conn, who, p, write=True)
        if p["status"] == "selesai":
            raise Conflict("Rencana pembinaan sudah ditutup.")
        if body.mentor_id == p["asn_id"] or not await conn.fetchval(
            "SELECT 1 FROM asn WHERE asn_id = $1 AND active", body.mentor_id
        ):
            raise InvalidInput("Mentor harus pegawai aktif lain.", field="mentor_id", reason="mentor tidak valid")
        await conn.execute(
            "UPDATE pembinaan_plan SET mentor_id = $2, goals = $3, status = 'berjalan' WHERE plan_id = $1",
            plan_id,
            body.mentor_id,
            body.goals.strip()[:4000],
        )
        await audit.record(
            conn,
            actor=who,
            action="pembinaan.plan",
            subject_type="pembinaan_plan",
            subject_id=plan_id,
            regency_id=regency,
            detail={"mentor_id": str(body.mentor_id)},
        )


async def check_in(
    pool: asyncpg.Pool, who: Principal, plan_id: UUID, note: str, *, now: datetime | None = None
) -> None:
    regency = regency_of(who)
    if len(note.strip()) < 5:
        raise InvalidInput("Catatan pertemuan kosong.", field="note", reason="catatan terlalu singkat")
    async with tenant_transaction(pool, [regency]) as conn:
        p = await conn.fetchrow("SELECT * FROM pembinaan_plan WHERE plan_id = $1", plan_id)
        if p is None:
            raise NotFound("Rencana pembinaan tidak ditemukan.")
        await _plan_access(conn, who, p, write=True)
        if p["status"] == "selesai":
            raise Conflict("Rencana pembinaan sudah ditutup.")
        await conn.execute(
            "INSERT INTO pembinaan_checkin (plan_id, regency_id, at, by_sub, note) VALUES ($1, $2, $3, $4, $5)",
            plan_id,
            regency,
            now or now_jakarta(),
            who.sub,
            note.strip()[:4000],
        )


async def close(pool: asyncpg.Pool, who: Principal, plan_id: UUID, result: str, assessment: str) -> None:
    regency = regency_of(who)
    if result not in CLOSING:
        raise InvalidInput("Hasil penutupan tidak dikenali.", field="result", reason="membaik, tetap atau memburuk")
    if len(assessment.strip()) < 10:
        raise InvalidInput(
            "Tuliskan penilaian penutup.", field="assessment", reason="penilaian penutup terlalu singkat"
        )
    async with tenant_transaction(pool, [regency]) as conn:
        p = await conn.fetchrow("SELECT * FROM pembinaan_plan WHERE plan_id = $1 FOR UPDATE", plan_id)
        if p is None:
            raise NotFound("Rencana pembinaan tidak ditemukan.")
        await _plan_access(conn, who, p, write=True)
        if p["status"] == "selesai":
            raise Conflict("Rencana pembinaan sudah ditutup.")
        if p["mentor_id"] is None:
            raise Conflict("Tetapkan mentor dan sasaran sebelum menutup rencana.")
        await conn.execute(
            """UPDATE pembinaan_plan SET status = 'selesai', closing_result = $2, closing_assessment = $3,
                   closed_at = now() WHERE plan_id = $1""",
            plan_id,
            result,
            assessment.strip()[:4000],
        )
        await audit.record(
            conn,
            actor=who,
            action="pembinaan.close",
            subject_type="pembinaan_plan",
            subject_id=plan_id,
            regency_id=regency,
            detail={"result": result},
        )


async def sanction_cases(pool: asyncpg.Pool, who: Principal) -> list[dict[str, Any]]:
    regency = require_admin(who)
    async with tenant_transaction(pool, [regency]) as conn:
        rows = await conn.fetch(
            """SELECT c.*, a.name, u.path AS unit,
                      COALESCE((SELECT json_agg(json_build_object('at', h.at, 'by', h.by_sub, 'action', h.action,
                                                                  'note', h.note) ORDER BY h.id)
                                FROM sanction_history h WHERE h.case_id = c.case_id), '[]') AS history
               FROM sanction_case c JOIN asn a USING (asn_id) JOIN unit u ON u.unit_id = a.unit_id
               ORDER BY c.status, c.opened_at DESC LIMIT 1000"""
        )
    return [dict(r) for r in rows]


async def sanction_step(pool: asyncpg.Pool, who: Principal, case_id: UUID, action: str, note: str) -> None:
    """BKPSDM's review steps; the case's history keeps every one. No sanction is ever applied by the system."""
    regency = require_admin(who)
    if action not in SANCTION_ACTIONS:
        raise InvalidInput("Tindakan tidak dikenali.", field="action", reason="ditelaah, catatan atau ditutup")
    if len(note.strip()) < 5:
        raise InvalidInput("Catatan wajib diisi.", field="note", reason="catatan terlalu singkat")
    async with tenant_transaction(pool, [regency]) as conn:
        c = await conn.fetchrow("SELECT * FROM sanction_case WHERE case_id = $1 FOR UPDATE", case_id)
        if c is None:
            raise NotFound("Kasus tidak ditemukan.")
        if c["status"] == "ditutup":
            raise Conflict("Kasus sudah ditutup.")
        status = SANCTION_ACTIONS[action]
        if status is not None:
            await conn.execute("UPDATE sanction_case SET status = $2 WHERE case_id = $1", case_id, status)
        await conn.execute(
            "INSERT INTO sanction_history (case_id, regency_id, at, by_sub, action, note)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            case_id,
            regency,
            now_jakarta(),
            who.sub,
            action,
            note.strip()[:4000],
        )
        await audit.record(
            conn,
            actor=who,
            action="sanction.review",
            subject_type="sanction_case",
            subject_id=case_id,
            regency_id=regency,
            detail={"action": action},
        )
