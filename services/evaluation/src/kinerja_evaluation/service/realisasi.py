"""Realisasi use cases: the ASN reports per indicator per period, the assessor confirms or returns it;
capaian per Table P3 (domain.capaian) with the regency's cap and thresholds."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from kinerja_evaluation.domain.capaian import CapaianRules, Direction, WeightedCapaian, capaian, proposed_rating
from kinerja_evaluation.domain.capaian import rhk_capaian as weighted_mean
from kinerja_evaluation.domain.errors import Conflict, NotAllowed, NotFound
from kinerja_evaluation.domain.skp import SkpStatus, check_comment, check_period
from kinerja_evaluation.service.access import assessors_of, check_can_view, regency_of, scope_of
from kinerja_evaluation.service.models import (
    CapaianView,
    IndicatorCapaian,
    RealisasiIn,
    RhkCapaian,
)
from kinerja_evaluation.service.org import RegencyConfig, load_config, now_jakarta
from kinerja_shared import audit
from kinerja_shared.auth import Principal
from kinerja_shared.contracts.evaluation import RealisasiConfirmed, RealisasiReported, RealisasiReturned
from kinerja_shared.db import tenant_transaction
from kinerja_shared.messaging import outbox


def rules_of(cfg: RegencyConfig) -> CapaianRules:
    return CapaianRules(cfg.capaian_cap, cfg.rating_above_from, cfg.rating_below_under)


async def _indicator(conn: asyncpg.Connection, indicator_id: UUID) -> asyncpg.Record:
    row = await conn.fetchrow(
        """SELECT i.*, s.asn_id, s.year, s.status AS skp_status, s.regency_id
           FROM indicator i JOIN skp s ON s.skp_id = i.skp_id WHERE i.indicator_id = $1""",
        indicator_id,
    )
    if row is None:
        raise NotFound("Indikator tidak ditemukan.")
    return row


async def report_realisasi(
    pool: asyncpg.Pool, principal: Principal, indicator_id: UUID, body: RealisasiIn, *, now: datetime | None = None
) -> None:
    """The ASN reports (or re-reports, until confirmed) an indicator's realisasi for a period."""
    now = now or now_jakarta()
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        ind = await _indicator(conn, indicator_id)
        if ind["asn_id"] != principal.asn_id:
            await check_can_view(conn, principal, ind["asn_id"], now.date())
            raise NotAllowed("Hanya pemilik SKP yang melaporkan realisasi.")
        if ind["skp_status"] != SkpStatus.APPROVED:
            raise Conflict("Realisasi hanya dapat dilaporkan untuk SKP yang disetujui dan berlaku.", field="status")
        cfg = await load_config(conn, ind["regency_id"])
        check_period(body.period, ind["year"], cfg.periodicity, now.date())
        status = await conn.fetchval(
            "SELECT status FROM realisasi WHERE indicator_id = $1 AND period = $2 FOR UPDATE", indicator_id, body.period
        )
        if status == "confirmed":
            raise Conflict("Realisasi periode ini sudah dikonfirmasi atasan.", field="period")
        await conn.execute(
            """INSERT INTO realisasi (indicator_id, period, regency_id, asn_id, skp_id, value, evidence_links, note,
                 status, reported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'reported', $9)
               ON CONFLICT (indicator_id, period) DO UPDATE SET value = excluded.value,
                 evidence_links = excluded.evidence_links, note = excluded.note, status = 'reported',
                 reported_at = excluded.reported_at, return_comment = ''""",
            indicator_id,
            body.period,
            ind["regency_id"],
            ind["asn_id"],
            ind["skp_id"],
            body.value,
            [str(u) for u in body.evidence_links],
            body.note,
            now,
        )
        await outbox.add(
            conn,
            RealisasiReported(
                regency_id=ind["regency_id"],
                occurred_at=now,
                asn_id=ind["asn_id"],
                indicator_id=indicator_id,
                period=body.period,
                realisasi=body.value,
            ),
        )


async def _reviewable(
    conn: asyncpg.Connection, principal: Principal, indicator_id: UUID, period: str, now: datetime
) -> tuple[asyncpg.Record, asyncpg.Record]:
    ind = await _indicator(conn, indicator_id)
    await check_can_view(conn, principal, ind["asn_id"], now.date())
    if principal.asn_id == ind["asn_id"]:
        raise NotAllowed("Anda tidak dapat mengonfirmasi realisasi Anda sendiri.")
    if principal.asn_id is None or str(principal.asn_id) not in await assessors_of(conn, ind["asn_id"], now.date()):
        raise NotAllowed("Hanya atasan langsung (pejabat penilai) yang dapat mengonfirmasi realisasi.")
    rec = await conn.fetchrow(
        "SELECT * FROM realisasi WHERE indicator_id = $1 AND period = $2 FOR UPDATE", indicator_id, period
    )
    if rec is None:
        raise NotFound("Realisasi periode ini belum dilaporkan.")
    if rec["status"] != "reported":
        raise Conflict("Realisasi ini sudah diputuskan.", field="status")
    return ind, rec


async def confirm_realisasi(
    pool: asyncpg.Pool, principal: Principal, indicator_id: UUID, period: str, *, now: datetime | None = None
) -> None:
    """The assessor confirms; capaian is fixed per Table P3 and published with RealisasiConfirmed."""
    now = now or now_jakarta()
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        ind, rec = await _reviewable(conn, principal, indicator_id, period, now)
        cfg = await load_config(conn, ind["regency_id"])
        value = capaian(ind["target"], rec["value"], Direction(ind["direction"]), rules_of(cfg))
        await conn.execute(
            """UPDATE realisasi SET status = 'confirmed', capaian = $3, decided_at = $4, decided_by = $5
               WHERE indicator_id = $1 AND period = $2""",
            indicator_id,
            period,
            value,
            now,
            principal.asn_id,
        )
        assert principal.asn_id is not None
        await outbox.add(
            conn,
            RealisasiConfirmed(
                regency_id=ind["regency_id"],
                occurred_at=now,
                asn_id=ind["asn_id"],
                indicator_id=indicator_id,
                period=period,
                realisasi=rec["value"],
                capaian=value,
                confirmed_by=principal.asn_id,
            ),
        )
        await audit.record(
            conn,
            actor=principal,
            action=audit.AuditAction.REALISASI_CONFIRM,
            subject_type="indicator",
            subject_id=indicator_id,
            regency_id=ind["regency_id"],
            detail={"asn_id": ind["asn_id"], "period": period, "outcome": "confirmed"},
        )


async def return_realisasi(
    pool: asyncpg.Pool, principal: Principal, indicator_id: UUID, period: str, comment: str,
    *, now: datetime | None = None,
) -> None:  # fmt: skip
    """The assessor returns a report with a comment; the ASN reports again."""
    now = now or now_jakarta()
    text = check_comment(comment)
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        ind, _ = await _reviewable(conn, principal, indicator_id, period, now)
        await conn.execute(
            """UPDATE realisasi SET status = 'returned', return_comment = $3, decided_at = $4, decided_by = $5
               WHERE indicator_id = $1 AND period = $2""",
            indicator_id,
            period,
            text,
            now,
            principal.asn_id,
        )
        assert principal.asn_id is not None
        await outbox.add(
            conn,
            RealisasiReturned(
                regency_id=ind["regency_id"],
                occurred_at=now,
                asn_id=ind["asn_id"],
                indicator_id=indicator_id,
                period=period,
                returned_by=principal.asn_id,
                comment=text,
            ),
        )
        await audit.record(
            conn,
            actor=principal,
            action=audit.AuditAction.REALISASI_CONFIRM,
            subject_type="indicator",
            subject_id=indicator_id,
            regency_id=ind["regency_id"],
            detail={"asn_id": ind["asn_id"], "period": period, "outcome": "returned"},
        )


async def capaian_of(
    pool: asyncpg.Pool, principal: Principal, skp_id: UUID, period: str, *, confirmed_only: bool = False,
    now: datetime | None = None,
) -> CapaianView:  # fmt: skip
    """Capaian per indicator and RHK for a period (Table P3), with the proposed hasil rating per RHK.

    Unconfirmed reports count as provisional unless `confirmed_only`.
    """
    now = now or now_jakarta()
    async with tenant_transaction(pool, await scope_of(pool, principal)) as conn:
        skp = await conn.fetchrow("SELECT * FROM skp WHERE skp_id = $1", skp_id)
        if skp is None:
            raise NotFound("SKP tidak ditemukan.")
        await check_can_view(conn, principal, skp["asn_id"], now.date())
        rules = rules_of(await load_config(conn, skp["regency_id"]))
        rows = await conn.fetch(
            """SELECT r.rhk_id, i.indicator_id, i.target, i.direction, i.weight, x.value, x.status
               FROM rhk r JOIN indicator i ON i.rhk_id = r.rhk_id
               LEFT JOIN realisasi x ON x.indicator_id = i.indicator_id AND x.period = $2
               WHERE r.skp_id = $1 ORDER BY r.kind = 'tambahan', r.position, i.position""",
            skp_id,
            period,
        )
    by_rhk: dict[UUID, list[IndicatorCapaian]] = {}
    weights: dict[UUID, list[WeightedCapaian]] = {}
    for r in rows:
        counts = r["value"] is not None and (
            r["status"] == "confirmed" or (not confirmed_only and r["status"] == "reported")
        )
        value = capaian(r["target"], r["value"], Direction(r["direction"]), rules) if counts else None
        by_rhk.setdefault(r["rhk_id"], []).append(
            IndicatorCapaian(indicator_id=r["indicator_id"], realisasi=r["value"], status=r["status"], capaian=value)
        )
        if value is not None:
            weights.setdefault(r["rhk_id"], []).append(WeightedCapaian(value, r["weight"]))
    out = []
    for rhk_id, inds in by_rhk.items():
        mean = weighted_mean(weights.get(rhk_id, []))
        out.append(
            RhkCapaian(
                rhk_id=rhk_id,
                capaian=mean,
                proposed_rating=proposed_rating(mean, rules) if mean is not None else None,
                indicators=inds,
            )
        )
    return CapaianView(skp_id=skp_id, period=period, confirmed_only=confirmed_only, rhk=out)
