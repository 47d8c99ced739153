"""Keberatan: the ASN objects to the final annual predikat within the window (rule version of the result); the
atasan pejabat penilai decides by the deadline; the decision and any new predikat are recorded and published."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from kinerja_evaluation.domain.annual import decision_deadline, objection_deadline
from kinerja_evaluation.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kinerja_evaluation.domain.predikat import Predikat
from kinerja_evaluation.domain.scoring_rules import notification_id, period_label
from kinerja_evaluation.service import rules as rules_service
from kinerja_evaluation.service.access import regency_of
from kinerja_evaluation.service.annual import event_id
from kinerja_evaluation.service.followup_common import (
    asn_pseudonym,
    atasan_pejabat_penilai,
    check_period,
    is_annual,
    now_jakarta,
    pseudonymizer,
    unit_pseudonym,
)
from kinerja_shared import audit
from kinerja_shared.auth import PROVINCE_ROLES, Principal, Role
from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.evaluation import KeberatanDecided, KeberatanFiled, PredikatKinerja
from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.contracts.public import PerformancePublished
from kinerja_shared.db import tenant_transaction
from kinerja_shared.messaging import outbox

LINK = "/evaluation/tindak-lanjut/keberatan"


def _tanggal(at: datetime) -> str:
    return at.strftime("%d-%m-%Y %H:%M")


@dataclass(frozen=True, slots=True)
class KeberatanIn:
    period: str
    reasons: str
    evidence_links: tuple[str, ...] = ()


async def file(pool: asyncpg.Pool, who: Principal, body: KeberatanIn, *, now: datetime | None = None) -> dict[str, Any]:
    if who.asn_id is None:
        raise NotAllowed("Keberatan diajukan oleh pegawai (akun ASN) sendiri.")
    check_period(body.period)
    if not is_annual(body.period):
        raise InvalidInput(
            "Keberatan hanya dapat diajukan atas predikat tahunan.",
            field="period",
            reason="keberatan hanya untuk predikat tahunan (periode YYYY-Y)",
        )
    if len(body.reasons.strip()) < 20:
        raise InvalidInput(
            "Tuliskan alasan keberatan dengan jelas (minimal 20 karakter).",
            field="reasons",
            reason="alasan terlalu singkat (minimal 20 karakter)",
        )
    regency = regency_of(who)
    at = now or now_jakarta()
    asn = who.asn_id
    async with tenant_transaction(pool, [regency]) as conn:
        final = await conn.fetchrow("SELECT * FROM final_result WHERE asn_id = $1 AND period = $2", asn, body.period)
        if final is None:
            raise InvalidInput(
                "Predikat periode ini belum final; keberatan belum dapat diajukan.",
                field="period",
                reason="hasil periode ini belum final",
            )
        rules = await rules_service.version(conn, regency, final["rule_version"])
        until = objection_deadline(final["finalised_at"], rules.objection_days)
        if at > until:
            raise InvalidInput(
                f"Batas waktu keberatan ({rules.objection_days} hari) telah lewat pada {_tanggal(until)}.",
                field="period",
                reason=f"batas waktu keberatan lewat ({_tanggal(until)})",
            )
        deciders = await atasan_pejabat_penilai(conn, asn, at.date())
        if not deciders:
            raise Conflict("Tidak ada atasan pejabat penilai yang tercatat; hubungi BKPSDM untuk memperbaiki data.")
        kid = uuid.uuid4()
        decide_by = decision_deadline(at, rules.decision_days)
        inserted = await conn.fetchval(
            """INSERT INTO keberatan (keberatan_id, regency_id, asn_id, period, reasons, evidence_links, filed_at,
                                      decide_by, old_predikat) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT (asn_id, period) DO NOTHING RETURNING keberatan_id""",
            kid,
            regency,
            asn,
            body.period,
            body.reasons.strip()[:5000],
            list(body.evidence_links),
            at,
            decide_by,
            final["predikat"],
        )
        if inserted is None:
            raise Conflict("Keberatan untuk periode ini sudah diajukan.")
        events: list[Event] = [
            KeberatanFiled(
                regency_id=regency,
                occurred_at=at,
                keberatan_id=kid,
                asn_id=asn,
                period=body.period,
                decide_by=decide_by,
            )
        ]
        for d in sorted(deciders):
            events.append(
                NotificationRequested(
                    regency_id=regency,
                    occurred_at=at,
                    notification_id=notification_id("keberatan_filed", d, body.period, str(kid)),
                    asn_id=d,
                    kind="keberatan_filed",
                    params={"periode": period_label(body.period), "batas_keputusan": decide_by.strftime("%d-%m-%Y")},
                    link=LINK,
                )
            )
        await outbox.add_many(conn, events)
        await audit.record(
            conn,
            actor=who,
            action="keberatan.file",
            subject_type="keberatan",
            subject_id=kid,
            regency_id=regency,
            detail={"period": body.period},
        )
    return {"keberatan_id": str(kid), "decide_by": decide_by.isoformat(), "objection_until": until.isoformat()}


@dataclass(frozen=True, slots=True)
class DecisionIn:
    accept: bool
    reason: str
    new_predikat: Predikat | None = None


async def decide(
    pool: asyncpg.Pool, who: Principal, keberatan_id: UUID, body: DecisionIn, *, now: datetime | None = None
) -> dict[str, Any]:
    """Only the atasan pejabat penilai, only while the objection is open and before its deadline."""
    regency = regency_of(who)
    at = now or now_jakarta()
    if len(body.reason.strip()) < 10:
        raise InvalidInput(
            "Tuliskan pertimbangan keputusan (minimal 10 karakter).",
            field="reason",
            reason="pertimbangan keputusan terlalu singkat",
        )
    async with tenant_transaction(pool, [regency]) as conn:
        k = await conn.fetchrow("SELECT * FROM keberatan WHERE keberatan_id = $1 FOR UPDATE", keberatan_id)
        if k is None:
            raise NotFound("Keberatan tidak ditemukan.")
        if who.asn_id is None or who.asn_id not in await atasan_pejabat_penilai(conn, k["asn_id"], at.date()):
            raise NotAllowed("Hanya atasan pejabat penilai yang dapat memutus keberatan ini.")
        if k["status"] != "diajukan":
            raise Conflict("Keberatan ini sudah diputus.")
        if at > k["decide_by"]:
            raise InvalidInput(
                f"Batas waktu keputusan telah lewat pada {_tanggal(k['decide_by'])}; keberatan ditangani BKPSDM.",
                field="keberatan_id",
                reason=f"batas waktu keputusan lewat ({_tanggal(k['decide_by'])})",
            )
        old = Predikat(k["old_predikat"])
        new = old
        if body.accept:
            if body.new_predikat is None or body.new_predikat is old:
                raise InvalidInput(
                    "Keberatan yang dikabulkan memerlukan predikat baru yang berbeda.",
                    field="new_predikat",
                    reason="predikat baru wajib dan harus berbeda",
                )
            new = body.new_predikat
        await conn.execute(
            """UPDATE keberatan SET status = $2, decided_by = $3, decided_at = $4, decision_reason = $5,
                   new_predikat = $6 WHERE keberatan_id = $1""",
            keberatan_id,
            "dikabulkan" if body.accept else "ditolak",
            who.asn_id,
            at,
            body.reason.strip()[:5000],
            new.value,
        )
        events: list[Event] = [
            KeberatanDecided(
                regency_id=regency,
                occurred_at=at,
                keberatan_id=keberatan_id,
                asn_id=k["asn_id"],
                period=k["period"],
                decided_by=who.asn_id,
                accepted=body.accept,
                old_predikat=PredikatKinerja(old.value),
                new_predikat=PredikatKinerja(new.value),
            )
        ]
        ids: list[UUID | None] = [None]
        if new is not old:
            final = await conn.fetchrow(
                """UPDATE final_result SET predikat = $3, changed_by_keberatan = $4
                   WHERE asn_id = $1 AND period = $2 RETURNING unit_id, unit_kind, score""",
                k["asn_id"],
                k["period"],
                new.value,
                keberatan_id,
            )
            p = pseudonymizer()
            events.append(
                PerformancePublished(
                    regency_id=regency,
                    occurred_at=at,
                    pseudonym=asn_pseudonym(p, regency, k["asn_id"]),
                    period=k["period"],
                    predikat=new.value,
                    unit_kind=final["unit_kind"][:40],
                    score=final["score"],
                    unit_pseudonym=unit_pseudonym(p, regency, final["unit_id"]),
                    key_id=p.current.kid,
                    revision=2,
                )
            )
            ids.append(event_id("public", k["asn_id"], k["period"], 2))
            await audit.record(
                conn,
                actor=who,
                action="predikat.change",
                subject_type="final_result",
                subject_id=k["asn_id"],
                regency_id=regency,
                detail={"period": k["period"], "from": old.value, "to": new.value, "keberatan_id": str(keberatan_id)},
            )
        events.append(
            NotificationRequested(
                regency_id=regency,
                occurred_at=at,
                notification_id=notification_id("keberatan_decided", k["asn_id"], k["period"], str(keberatan_id)),
                asn_id=k["asn_id"],
                kind="keberatan_decided",
                params={
                    "periode": period_label(k["period"]),
                    "keputusan": "dikabulkan" if body.accept else "ditolak",
                    "predikat": new.label,
                },
                link=LINK,
            )
        )
        ids.append(None)
        await outbox.add_many(conn, events, event_ids=ids)
        await audit.record(
            conn,
            actor=who,
            action="keberatan.decide",
            subject_type="keberatan",
            subject_id=keberatan_id,
            regency_id=regency,
            detail={"accepted": body.accept, "predikat": new.value},
        )
    return {
        "keberatan_id": str(keberatan_id),
        "status": "dikabulkan" if body.accept else "ditolak",
        "predikat": new.value,
    }


async def listing(pool: asyncpg.Pool, who: Principal) -> dict[str, list[dict[str, Any]]]:
    """The caller's own objections, those they decide, and (BKPSDM) every one of the regency."""
    regency = regency_of(who)
    today = now_jakarta().date()
    async with tenant_transaction(pool, [regency]) as conn:
        rows = await conn.fetch(
            """SELECT k.*, a.name FROM keberatan k JOIN asn a USING (asn_id) ORDER BY k.filed_at DESC LIMIT 1000"""
        )
        own = [dict(r) for r in rows if r["asn_id"] == who.asn_id]
        to_decide = []
        if who.asn_id is not None:
            for r in rows:
                if r["status"] == "diajukan" and who.asn_id in await atasan_pejabat_penilai(conn, r["asn_id"], today):
                    to_decide.append(dict(r))
        everyone = [dict(r) for r in rows] if who.has_role(Role.ADMIN_BKPSDM, *PROVINCE_ROLES) else []
    return {"own": own, "to_decide": to_decide, "all": everyone}
