"""Use cases of the periodic evaluation (penilaian) and of the score pages.

The pejabat penilai sees the proposal (hasil rating per RHK from capaian, Table P3; perilaku from the seven values
with the 360 summary beside them, Table B1) and the resulting predikat (P1) before submitting. A submitted
evaluation is immutable; a correction is a new version with its reason. Who assesses whom is issue 4's org data
(direct superior or a valid Plt/Plh); the scores come from the scoring engine's read model.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from kinerja_evaluation.domain.behaviour import VALUE_LABEL, BerAkhlak, PeerSummary, proposed_perilaku
from kinerja_evaluation.domain.capaian import RATING_LABEL, Rating, proposed_rating
from kinerja_evaluation.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kinerja_evaluation.domain.predikat import Predikat, predikat
from kinerja_evaluation.domain.score import COMPONENT_LABEL, Component
from kinerja_evaluation.domain.scoring_rules import period_label, previous_period
from kinerja_evaluation.domain.skp import PERIOD_PATTERN, Periodicity, current_period, period_bounds
from kinerja_evaluation.service.access import assessors_of, require_asn, scope_of
from kinerja_shared import audit
from kinerja_shared.auth import Principal, Role
from kinerja_shared.contracts.evaluation import (
    ExpectationRating,
    InnovationVerified,
    PeriodicEvaluationSubmitted,
    PredikatKinerja,
    RhkAssessment,
    ValueAssessment,
)
from kinerja_shared.db import tenant_transaction
from kinerja_shared.messaging import outbox
from kinerja_shared.web import JAKARTA

MIN_RATERS = 3  # Table B1: the 360 summary is shown only from three raters (**config**)


class RhkRatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rhk_id: UUID
    rating: Rating
    reason: str = Field(default="", max_length=1000)


class EvaluationIn(BaseModel):
    """The penilaian form: hasil (overall, with per-RHK ratings), the seven values, perilaku, reasons."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")
    rhk: list[RhkRatingIn] = Field(default_factory=list, max_length=100)
    hasil_rating: Rating
    hasil_reason: str = Field(default="", max_length=1000)
    values: dict[BerAkhlak, Rating]
    perilaku_rating: Rating
    perilaku_reason: str = Field(default="", max_length=1000)
    integrity_finding: bool = False
    correction_reason: str = Field(default="", max_length=1000)
    note: str = Field(default="", max_length=2000)


class InnovationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")
    title: str = Field(min_length=3, max_length=200)


def now_jakarta() -> datetime:
    return datetime.now(JAKARTA)


async def _periodicity(conn: asyncpg.Connection, regency_id: UUID) -> Periodicity:
    value = await conn.fetchval("SELECT periodicity FROM regency_config WHERE regency_id = $1", regency_id)
    return Periodicity(value or Periodicity.QUARTERLY.value)


async def current_period_of(pool: asyncpg.Pool, principal: Principal, today: date) -> str:
    if principal.regency_id is None:
        return current_period(today, Periodicity.QUARTERLY)
    async with tenant_transaction(pool, [principal.regency_id]) as conn:
        return current_period(today, await _periodicity(conn, principal.regency_id))


def check_period(period: str) -> None:
    if PERIOD_PATTERN.match(period) is None:
        raise InvalidInput("Periode harus seperti 2026-Q3, 2026-M07 atau 2026-Y.", field="period")


async def _check_assessor(conn: asyncpg.Connection, principal: Principal, asn_id: UUID, today: date) -> None:
    me = require_asn(principal)
    if str(me) not in await assessors_of(conn, asn_id, today):
        raise NotAllowed("Hanya pejabat penilai (atasan langsung atau Plt/Plh) yang dapat menilai pegawai ini.")


# ---------------------------------------------------------------- the form
@dataclass(frozen=True)
class ValueRow:
    value: BerAkhlak
    label: str
    peer: PeerSummary | None
    peer_score: Decimal | None


@dataclass(frozen=True)
class EvaluationForm:
    asn_id: UUID
    name: str
    period: str
    period_label: str
    status: str  # the score's status: dihitung / menunggu_skp / menunggu_pegawai / belum_ada
    score: Decimal | None
    hasil_capaian: Decimal | None
    proposed_hasil: Rating | None
    indicators: list[dict[str, Any]]
    rhk: list[dict[str, Any]]
    values: list[ValueRow]
    peer_raters: int
    proposed_perilaku: Rating | None
    history: list[dict[str, Any]]
    next_version: int


async def evaluation_form(
    pool: asyncpg.Pool, principal: Principal, asn_id: UUID, period: str, *, today: date | None = None
) -> EvaluationForm:
    check_period(period)
    today = today or now_jakarta().date()
    async with tenant_transaction(pool, await scope_of(pool, principal)) as conn:
        person = await conn.fetchrow("SELECT asn_id, name, regency_id FROM asn WHERE asn_id = $1", asn_id)
        if person is None:
            raise NotFound("Pegawai tidak ditemukan.")
        await _check_assessor(conn, principal, asn_id, today)
        s = await conn.fetchrow("SELECT * FROM scoring_score WHERE asn_id = $1 AND period = $2", asn_id, period)
        peer = await conn.fetchrow("SELECT * FROM scoring_peer WHERE asn_id = $1 AND period = $2", asn_id, period)
        history = await conn.fetch(
            "SELECT * FROM scoring_evaluation WHERE asn_id = $1 AND period = $2 ORDER BY version DESC", asn_id, period
        )
        await _audit_view(conn, principal, asn_id, person["regency_id"], period)
    detail = s["detail"] if s is not None else {}
    indicators = list(detail.get("indicators", []))
    rhk_cap = detail.get("rhk", {})
    rhk_rows = []
    for rhk_id, cap in rhk_cap.items():
        value = Decimal(cap)
        rhk_rows.append({
            "rhk_id": rhk_id, "capaian": value, "proposed": proposed_rating(value),
            "indicators": [i for i in indicators if i["rhk_id"] == rhk_id],
        })  # fmt: skip
    raters = peer["raters"] if peer is not None else 0
    values = []
    for v in BerAkhlak:
        summary: PeerSummary | None = None
        peer_score: Decimal | None = None
        if peer is not None and raters >= MIN_RATERS and v.value in peer["value_scores"]:
            vs = peer["value_scores"][v.value]
            n = vs["di_atas"] + vs["sesuai"] + vs["di_bawah"]
            if n:
                level = Decimal(3 * vs["di_atas"] + 2 * vs["sesuai"] + vs["di_bawah"]) / n
                summary = PeerSummary(raters=n, mean_level=level.quantize(Decimal("0.01")))
            peer_score = Decimal(vs["score"])
        values.append(ValueRow(v, VALUE_LABEL[v], summary, peer_score))
    tendencies = {r.value: r.peer.tendency for r in values if r.peer is not None}
    proposal = proposed_perilaku(tendencies) if len(tendencies) == len(BerAkhlak) else None
    hc = s["hasil_capaian"] if s is not None else None
    return EvaluationForm(
        asn_id=asn_id,
        name=person["name"],
        period=period,
        period_label=period_label(period),
        status=s["status"] if s is not None else "belum_ada",
        score=s["score"] if s is not None else None,
        hasil_capaian=hc,
        proposed_hasil=proposed_rating(hc) if hc is not None else None,
        indicators=indicators,
        rhk=rhk_rows,
        values=values,
        peer_raters=raters,
        proposed_perilaku=proposal,
        history=[dict(h) for h in history],
        next_version=(history[0]["version"] + 1) if history else 1,
    )


async def _audit_view(
    conn: asyncpg.Connection, principal: Principal, asn_id: UUID, regency_id: UUID, period: str | None
) -> None:
    if principal.asn_id == asn_id:  # one's own evaluation is not a disclosure
        return
    await audit.record(
        conn,
        actor=principal,
        action=audit.AuditAction.EVALUATION_VIEW,
        subject_type="asn",
        subject_id=asn_id,
        regency_id=regency_id,
        detail={"period": period} if period else {},
    )


def preview_predikat(hasil: Rating, perilaku: Rating) -> Predikat:
    """What the form shows before submission: Table P1 of the two ratings."""
    return predikat(hasil, perilaku)


async def submit_evaluation(
    pool: asyncpg.Pool, principal: Principal, asn_id: UUID, body: EvaluationIn, *, now: datetime | None = None
) -> dict[str, Any]:
    """Record an immutable evaluation version and publish PeriodicEvaluationSubmitted in the same transaction."""
    now = now or now_jakarta()
    check_period(body.period)
    missing = [VALUE_LABEL[v] for v in BerAkhlak if v not in body.values]
    if missing:
        raise InvalidInput(f"Nilai BerAKHLAK belum diisi: {', '.join(missing)}.", field="values",
                           reason="every one of the seven values must be rated")  # fmt: skip
    start, _ = period_bounds(body.period)
    if start > now.date():
        raise InvalidInput("Periode ini belum dimulai.", field="period", reason="period has not started")
    regency = principal.regency_id
    if regency is None:
        raise NotAllowed("Akun ini tidak terikat pada kabupaten/kota.")
    async with tenant_transaction(pool, [regency]) as conn:
        person = await conn.fetchrow("SELECT asn_id, regency_id FROM asn WHERE asn_id = $1", asn_id)
        if person is None:
            raise NotFound("Pegawai tidak ditemukan.")
        await _check_assessor(conn, principal, asn_id, now.date())
        s = await conn.fetchrow(
            "SELECT status, hasil_capaian, detail FROM scoring_score WHERE asn_id = $1 AND period = $2",
            asn_id,
            body.period,
        )
        if s is None or s["status"] != "dihitung" or s["hasil_capaian"] is None:
            raise Conflict("Capaian periode ini belum dapat dihitung (SKP belum disetujui atau belum ada data).")
        proposed_h = proposed_rating(s["hasil_capaian"])
        if body.hasil_rating is not proposed_h and not body.hasil_reason.strip():
            raise InvalidInput("Alasan wajib diisi bila rating hasil kerja berbeda dari usulan capaian.",
                               field="hasil_reason", reason="override needs a written reason")  # fmt: skip
        rhk_cap = {k: Decimal(v) for k, v in s["detail"].get("rhk", {}).items()}
        rhk_out = []
        for i, r in enumerate(body.rhk):
            cap = rhk_cap.get(str(r.rhk_id))
            if cap is None:
                raise InvalidInput("RHK ini tidak ada dalam SKP pegawai.", field=f"rhk.{i}.rhk_id")
            prop = proposed_rating(cap)
            if r.rating is not prop and not r.reason.strip():
                raise InvalidInput("Alasan wajib diisi bila rating RHK berbeda dari usulan capaian.",
                                   field=f"rhk.{i}.reason", reason="override needs a written reason")  # fmt: skip
            rhk_out.append(RhkAssessment(rhk_id=r.rhk_id, capaian=cap, proposed=ExpectationRating(prop.value),
                                         rating=ExpectationRating(r.rating.value),
                                         override_reason=r.reason.strip() or None))  # fmt: skip
        proposed_p = proposed_perilaku(body.values)
        if body.perilaku_rating is not proposed_p and not body.perilaku_reason.strip():
            raise InvalidInput("Alasan wajib diisi bila rating perilaku berbeda dari usulan tujuh nilai.",
                               field="perilaku_reason", reason="override needs a written reason")  # fmt: skip
        version = (
            await conn.fetchval(
                "SELECT coalesce(max(version), 0) FROM scoring_evaluation WHERE asn_id = $1 AND period = $2",
                asn_id,
                body.period,
            )
            + 1
        )
        if version > 1 and not body.correction_reason.strip():
            raise InvalidInput("Penilaian periode ini sudah diajukan; koreksi memerlukan alasan.",
                               field="correction_reason", reason="a correction needs its reason")  # fmt: skip
        result = predikat(body.hasil_rating, body.perilaku_rating)
        evaluation_id = uuid.uuid4()
        me = require_asn(principal)
        await conn.execute(
            """INSERT INTO scoring_evaluation (evaluation_id, regency_id, asn_id, period, version, assessor_id,
                   assessor_name, rhk, hasil_proposed, hasil_rating, hasil_reason, ratings, perilaku_proposed,
                   perilaku_rating, perilaku_reason, predikat, integrity_finding, correction_reason, note,
                   submitted_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)""",
            evaluation_id, person["regency_id"], asn_id, body.period, version, me, principal.name,
            [r.model_dump(mode="json") for r in rhk_out], proposed_h.value, body.hasil_rating.value,
            body.hasil_reason.strip(), {v.value: r.value for v, r in body.values.items()}, proposed_p.value,
            body.perilaku_rating.value, body.perilaku_reason.strip(), result.value, body.integrity_finding,
            body.correction_reason.strip(), body.note.strip(), now,
        )  # fmt: skip
        await outbox.add(
            conn,
            PeriodicEvaluationSubmitted(
                regency_id=person["regency_id"],
                occurred_at=now,
                evaluation_id=evaluation_id,
                asn_id=asn_id,
                assessor_id=me,
                period=body.period,
                version=version,
                rhk=tuple(rhk_out),
                hasil_rating=ExpectationRating(body.hasil_rating.value),
                values=tuple(
                    ValueAssessment(value=v.value, rating=ExpectationRating(body.values[v].value)) for v in BerAkhlak
                ),
                perilaku_rating=ExpectationRating(body.perilaku_rating.value),
                predikat=PredikatKinerja(result.value),
                integrity_finding=body.integrity_finding,
            ),
        )
        await audit.record(
            conn,
            actor=principal,
            action=audit.AuditAction.EVALUATION_SUBMIT,
            subject_type="evaluation",
            subject_id=evaluation_id,
            regency_id=person["regency_id"],
            detail={"asn_id": asn_id, "period": body.period, "version": version, "predikat": result.value},
        )
    return {"evaluation_id": str(evaluation_id), "version": version, "predikat": result.value,
            "predikat_label": result.label}  # fmt: skip


async def register_innovation(
    pool: asyncpg.Pool, principal: Principal, asn_id: UUID, body: InnovationIn, *, now: datetime | None = None
) -> UUID:
    """The pejabat penilai verifies an innovation of the ASN for a period (Table S1 inovasi)."""
    now = now or now_jakarta()
    regency = principal.regency_id
    if regency is None:
        raise NotAllowed("Akun ini tidak terikat pada kabupaten/kota.")
    async with tenant_transaction(pool, [regency]) as conn:
        person = await conn.fetchrow("SELECT regency_id FROM asn WHERE asn_id = $1", asn_id)
        if person is None:
            raise NotFound("Pegawai tidak ditemukan.")
        await _check_assessor(conn, principal, asn_id, now.date())
        innovation_id = uuid.uuid4()
        await outbox.add(
            conn,
            InnovationVerified(
                regency_id=person["regency_id"],
                occurred_at=now,
                innovation_id=innovation_id,
                asn_id=asn_id,
                period=body.period,
                title=body.title.strip(),
                verified_by=require_asn(principal),
            ),  # fmt: skip
        )
    return innovation_id


# ---------------------------------------------------------------- read side
async def score_of(pool: asyncpg.Pool, principal: Principal, asn_id: UUID) -> dict[str, Any]:
    """An ASN's scores by period (trend), the latest in detail, and what to improve. Self, assessors, chain, HR."""
    today = now_jakarta().date()
    async with tenant_transaction(pool, await scope_of(pool, principal)) as conn:
        if principal.asn_id != asn_id and not principal.has_role(Role.ADMIN_BKPSDM):
            from kinerja_evaluation.service.access import superior_chain

            if principal.asn_id is None or principal.asn_id not in await superior_chain(conn, asn_id, today):
                raise NotAllowed("Anda tidak berhak melihat skor pegawai ini.")
        person = await conn.fetchrow("SELECT asn_id, name, regency_id FROM org_asn WHERE asn_id = $1", asn_id)
        rows = await conn.fetch("SELECT * FROM scoring_score WHERE asn_id = $1 ORDER BY period", asn_id)
        periods = await conn.fetch("SELECT * FROM scoring_period WHERE asn_id = $1 ORDER BY period", asn_id)
        evaluations = await conn.fetch(
            "SELECT period, version, predikat, submitted_at, assessor_name FROM scoring_evaluation"
            " WHERE asn_id = $1 ORDER BY period, version",
            asn_id,
        )
        period = current_period(today, await _periodicity(conn, principal.regency_id)) if principal.regency_id else ""
        if person is not None:
            await _audit_view(conn, principal, asn_id, person["regency_id"], None)
    scores = [dict(r) for r in rows if not r["period"].endswith("-Y")]
    chosen = next((r for r in reversed(scores) if r["period"] == period), scores[-1] if scores else None)
    state = {r["period"]: dict(r) for r in periods}
    return {
        "asn_id": asn_id,
        "name": person["name"] if person is not None else "",
        "current": chosen,
        "state": state.get(chosen["period"]) if chosen else None,
        "trend": [
            {"period": r["period"], "label": period_label(r["period"]), "score": r["score"], "predikat": r["predikat"]}
            for r in scores
            if r["score"] is not None
        ],  # fmt: skip
        "improve": improvements(chosen) if chosen else [],
        "evaluations": [dict(e) for e in evaluations],
        "previous": next((r for r in scores if chosen and r["period"] == previous_period(chosen["period"])), None),
    }


def improvements(score_row: dict[str, Any]) -> list[str]:
    """What would raise the score most: the components losing most weighted points, the weakest indicators."""
    out: list[str] = []
    detail = score_row.get("detail") or {}
    if score_row.get("status") == "menunggu_skp":
        return ["SKP tahun ini belum disetujui: ajukan SKP agar skor dapat dihitung."]
    if score_row.get("status") == "menunggu_pegawai":
        return ["Data kepegawaian Anda belum lengkap di sistem; hubungi admin BKPSDM."]
    losses = []
    for c in detail.get("components", []):
        applied = Decimal(c["applied"])
        if applied > 0:
            losses.append(((Decimal(100) - Decimal(c["points"])) * applied / 100, c))
    for loss, c in sorted(losses, key=lambda x: x[0], reverse=True)[:2]:
        if loss <= 0:
            continue
        label = COMPONENT_LABEL[Component(c["component"])]
        out.append(
            f"{label}: poin {c['points']} dari 100 (bobot {c['applied']}%), potensi +{loss.quantize(Decimal('0.1'))}."
        )
    for i in detail.get("indicators", []):
        if Decimal(i["capaian"]) < 90:
            state = "terkonfirmasi" if i["confirmed"] else "sementara"
            out.append(f"Indikator “{i['name']}”: capaian {i['capaian']}% ({state}) di bawah 90% dari target "
                       f"{i['target']} {i['unit']}.")  # fmt: skip
    if detail.get("pending_activities"):
        out.append(f"{detail['pending_activities']} kegiatan menunggu verifikasi atasan.")
    return out[:6]


async def team_overview(pool: asyncpg.Pool, principal: Principal, period: str, today: date) -> list[dict[str, Any]]:
    """The pejabat penilai's team: direct subordinates and Plt/Plh assignments, with score and evaluation."""
    me = require_asn(principal)
    async with tenant_transaction(pool, await scope_of(pool, principal)) as conn:
        rows = await conn.fetch(
            """SELECT a.asn_id, a.name, a.position_title, s.status, s.score, s.predikat, s.hasil_capaian,
                      p.pending_activities, (SELECT max(version) FROM scoring_evaluation e
                                             WHERE e.asn_id = a.asn_id AND e.period = $2) AS version
               FROM asn a
               LEFT JOIN scoring_score s ON s.asn_id = a.asn_id AND s.period = $2
               LEFT JOIN scoring_period p ON p.asn_id = a.asn_id AND p.period = $2
               WHERE a.active AND (a.superior_id = $1 OR EXISTS (
                   SELECT 1 FROM acting_superior x WHERE x.asn_id = a.asn_id AND x.acting_superior_id = $1
                     AND $3::date BETWEEN x.valid_from AND x.valid_until))
               ORDER BY a.name""",
            me,
            period,
            today,
        )
    return [dict(r) for r in rows]


async def unit_overview(pool: asyncpg.Pool, principal: Principal, period: str) -> dict[str, Any]:
    """For the head of a unit (and BKPSDM): members' scores and predikat spread, IKM and complaint handling."""
    async with tenant_transaction(pool, await scope_of(pool, principal)) as conn:
        if principal.has_role(Role.ADMIN_BKPSDM):
            units = await conn.fetch("SELECT unit_id, name FROM unit ORDER BY path")
        else:
            units = await conn.fetch(
                """WITH RECURSIVE u AS (SELECT unit_id FROM unit WHERE head_asn_id = $1
                                        UNION SELECT c.unit_id FROM unit c JOIN u ON c.parent_id = u.unit_id)
                   SELECT unit.unit_id, unit.name FROM unit JOIN u USING (unit_id) ORDER BY unit.path""",
                require_asn(principal),
            )
        if not units:
            raise NotAllowed("Halaman ini untuk kepala unit kerja.")
        ids = [u["unit_id"] for u in units]
        members = await conn.fetch(
            """SELECT a.asn_id, a.name, a.unit_id, s.status, s.score, s.predikat
               FROM asn a LEFT JOIN scoring_score s ON s.asn_id = a.asn_id AND s.period = $2
               WHERE a.unit_id = ANY($1::uuid[]) AND a.active ORDER BY s.score DESC NULLS LAST, a.name""",
            ids,
            period,
        )
        surveys = await conn.fetch(
            "SELECT unit_id, responses, sums FROM scoring_unit_survey WHERE unit_id = ANY($1::uuid[]) AND period = $2",
            ids,
            period,
        )
        complaints = await conn.fetch(
            """SELECT unit_id, count(*) AS filed, count(*) FILTER (WHERE responded_on_time) AS responded_on_time,
                      count(*) FILTER (WHERE resolved) AS resolved,
                      count(*) FILTER (WHERE resolved_on_time) AS resolved_on_time
               FROM scoring_complaint WHERE unit_id = ANY($1::uuid[]) AND period = $2 GROUP BY unit_id""",
            ids,
            period,
        )
    from kinerja_evaluation.domain.scoring_rules import ikm, ikm_mutu

    by_unit = {u["unit_id"]: {"unit_id": u["unit_id"], "name": u["name"], "members": [], "ikm": None,
                              "mutu": None, "responses": 0, "complaints": None} for u in units}  # fmt: skip
    for m in members:
        by_unit[m["unit_id"]]["members"].append(dict(m))
    for s in surveys:
        value = ikm(s["responses"], s["sums"])
        by_unit[s["unit_id"]] |= {"ikm": value, "mutu": ikm_mutu(value) if value is not None else None,
                                  "responses": s["responses"]}  # fmt: skip
    for c in complaints:
        by_unit[c["unit_id"]]["complaints"] = dict(c)
    spread = {p.value: 0 for p in Predikat}
    scored = [m for m in members if m["score"] is not None]
    for m in members:
        if m["predikat"]:
            spread[m["predikat"]] += 1
    avg = (sum((m["score"] for m in scored), Decimal(0)) / len(scored)).quantize(Decimal("0.01")) if scored else None
    return {"units": list(by_unit.values()), "spread": spread, "average": avg, "count": len(members)}


RATING_LABELS = {r.value: label for r, label in RATING_LABEL.items()}
