"""Rewards (Table R1 award_candidate): candidates → BKPSDM approval → piagam PDF with a verification code that a
public page checks; approved incentives appear in the month's TPP export."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from kinerja_evaluation.adapters.certificate_pdf import Piagam, render
from kinerja_evaluation.domain.errors import Conflict, InvalidInput, NotFound
from kinerja_evaluation.domain.scoring_rules import notification_id, period_label
from kinerja_evaluation.service.access import regency_of, require_admin
from kinerja_evaluation.service.followup_common import check_can_view_asn, now_jakarta
from kinerja_shared import audit
from kinerja_shared.auth import Principal
from kinerja_shared.contracts.evaluation import AwardApproved
from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.db import ALL_REGENCIES, tenant_transaction
from kinerja_shared.messaging import outbox
from kinerja_shared.web import tanggal

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed from paper
CODE = re.compile(r"^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")


def new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(code: str) -> str:
    c = re.sub(r"[^A-Z0-9]", "", code.upper())
    return f"{c[:4]}-{c[4:8]}-{c[8:12]}" if len(c) == 12 else code.upper()


def mask_name(name: str) -> str:
    """'Budi Santoso' → 'Budi S.': enough to match the paper in hand, not a lookup of who got awards."""
    parts = name.split()
    if not parts:
        return ""
    # a bracketed note such as "(contoh)" or "(Plt.)" is not part of the name: kept as written
    return " ".join([parts[0], *(p if p.startswith("(") else p[0] + "." for p in parts[1:])])


async def listing(pool: asyncpg.Pool, who: Principal, status: str | None = None) -> list[dict[str, Any]]:
    regency = require_admin(who)
    async with tenant_transaction(pool, [regency]) as conn:
        rows = await conn.fetch(
            """SELECT w.*, a.name, u.path AS unit, s.score, s.predikat
               FROM award w JOIN asn a USING (asn_id) JOIN unit u ON u.unit_id = a.unit_id
               LEFT JOIN scoring_score s ON s.asn_id = w.asn_id AND s.period = w.period
               WHERE ($1::text IS NULL OR w.status = $1) ORDER BY w.status, w.created_at DESC LIMIT 1000""",
            status,
        )
    return [dict(r) for r in rows]


@dataclass(frozen=True, slots=True)
class AwardDecisionIn:
    approve: bool
    title: str = "Pegawai Berkinerja Sangat Baik"
    incentive: Decimal | None = None
    note: str = ""


async def decide(
    pool: asyncpg.Pool, who: Principal, award_id: UUID, body: AwardDecisionIn, *, now: datetime | None = None
) -> dict[str, Any]:
    regency = require_admin(who)
    at = now or now_jakarta()
    if body.incentive is not None and (body.incentive < 0 or body.incentive != body.incentive.to_integral_value()):
        raise InvalidInput(
            "Insentif dalam Rupiah utuh, tidak negatif.",
            field="incentive",
            reason="insentif harus Rupiah utuh, tidak negatif",
        )
    if body.approve and not body.title.strip():
        raise InvalidInput("Nama penghargaan wajib diisi.", field="title", reason="nama penghargaan kosong")
    async with tenant_transaction(pool, [regency]) as conn:
        w = await conn.fetchrow("SELECT * FROM award WHERE award_id = $1 FOR UPDATE", award_id)
        if w is None:
            raise NotFound("Kandidat penghargaan tidak ditemukan.")
        if w["status"] != "kandidat":
            raise Conflict("Kandidat ini sudah diputus.")
        code = new_code() if body.approve else None
        await conn.execute(
            """UPDATE award SET status = $2, title = $3, incentive = $4, verification_code = $5, decided_by = $6,
                   decided_at = $7, note = $8 WHERE award_id = $1""",
            award_id,
            "disetujui" if body.approve else "ditolak",
            body.title.strip()[:200],
            body.incentive if body.approve else None,
            code,
            who.sub,
            at,
            body.note.strip()[:2000],
        )
        if body.approve:
            await outbox.add_many(
                conn,
                [
                    AwardApproved(
                        regency_id=regency,
                        occurred_at=at,
                        award_id=award_id,
                        asn_id=w["asn_id"],
                        period=w["period"],
                        incentive=body.incentive,
                    ),
                    NotificationRequested(
                        regency_id=regency,
                        occurred_at=at,
                        notification_id=notification_id("award_approved", w["asn_id"], w["period"]),
                        asn_id=w["asn_id"],
                        kind="award_approved",
                        params={"periode": period_label(w["period"]), "penghargaan": body.title.strip()},
                        link=f"/evaluation/tindak-lanjut/penghargaan/{award_id}/piagam.pdf",
                    ),
                ],
            )
        await audit.record(
            conn,
            actor=who,
            action="award.decide",
            subject_type="award",
            subject_id=award_id,
            regency_id=regency,
            detail={"approved": body.approve},
        )
    return {"award_id": str(award_id), "status": "disetujui" if body.approve else "ditolak", "verification_code": code}


async def certificate(pool: asyncpg.Pool, who: Principal, award_id: UUID, verify_base: str) -> tuple[bytes, str]:
    regency = regency_of(who)
    async with tenant_transaction(pool, [regency]) as conn:
        w = await conn.fetchrow(
            """SELECT w.*, a.name, a.position_title, u.path AS unit, r.name AS regency FROM award w
               JOIN asn a USING (asn_id) JOIN unit u ON u.unit_id = a.unit_id
               JOIN regency r ON r.regency_id = w.regency_id
               WHERE w.award_id = $1""",
            award_id,
        )
        if w is None or w["status"] != "disetujui":
            raise NotFound("Piagam tidak ditemukan (penghargaan belum disetujui).")
        await check_can_view_asn(conn, who, w["asn_id"], now_jakarta().date())
    code = w["verification_code"]
    pdf = render(
        Piagam(
            regency=w["regency"],
            recipient=w["name"],
            position=w["position_title"],
            unit=w["unit"].split(" > ")[-1],
            title=w["title"],
            period=period_label(w["period"]),
            issued_on=tanggal(w["decided_at"].date()),
            code=code,
            verify_url=f"{verify_base.rstrip('/')}/{code}",
        )
    )
    return pdf, code


async def verify(pool: asyncpg.Pool, code: str) -> dict[str, Any] | None:
    """Public check of a piagam's code: valid or not, with the masked name, award, period and regency."""
    c = normalise_code(code)
    if not CODE.match(c):
        return None
    # a lookup by an unguessable code across tenants; returns only what is printed on the certificate anyway
    async with tenant_transaction(pool, ALL_REGENCIES) as conn:
        w = await conn.fetchrow(
            """SELECT w.title, w.period, w.decided_at, a.name, r.name AS regency FROM award w
               JOIN asn a USING (asn_id) JOIN regency r ON r.regency_id = w.regency_id
               WHERE w.verification_code = $1 AND w.status = 'disetujui'""",
            c,
        )
    if w is None:
        return None
    return {
        "code": c,
        "recipient": mask_name(w["name"]),
        "title": w["title"],
        "period": period_label(w["period"]),
        "regency": w["regency"],
        "issued_on": w["decided_at"],
    }
