"""Annual evaluation (proposal + the pejabat penilai's rating), the distribution curve (P2) and finalisation.

Finalising a unit or a whole regency is one idempotent action: results already final are never touched, so a
re-run writes nothing and publishes nothing. Curve violations are shown first and must be acknowledged; nobody's
predikat is changed to fit the curve.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from kinerja_evaluation.adapters import followup_store as store
from kinerja_evaluation.domain.annual import PeriodicRating, objection_deadline, propose_annual
from kinerja_evaluation.domain.capaian import Rating
from kinerja_evaluation.domain.curve import OrgRating, check_curve, distribution
from kinerja_evaluation.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kinerja_evaluation.domain.predikat import Predikat, predikat
from kinerja_evaluation.domain.rules import RuleSet
from kinerja_evaluation.domain.scoring_rules import notification_id, period_label
from kinerja_evaluation.service import rules as rules_service
from kinerja_evaluation.service.access import regency_of, require_admin, scope_of
from kinerja_evaluation.service.followup_common import (
    asn_pseudonym,
    asn_regency,
    check_period,
    is_annual,
    now_jakarta,
    pejabat_penilai,
    pseudonymizer,
    unit_pseudonym,
)
from kinerja_shared import audit
from kinerja_shared.auth import PROVINCE_ROLES, Principal, Role
from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.evaluation import PeriodFinalized, PredikatKinerja
from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.contracts.public import PerformancePublished
from kinerja_shared.db import tenant_transaction
from kinerja_shared.messaging import outbox

# fixed namespace: the same fact (asn, period, kind, revision) always gets the same CloudEvents id
EVENT_NS = uuid.UUID("6b696e65-726a-4100-8000-666f6c6c6f77")
RESULT_LINK = "/evaluation/tindak-lanjut/hasil"


def event_id(kind: str, asn_id: UUID, period: str, revision: int = 1) -> UUID:
    return uuid.uuid5(EVENT_NS, f"{kind}:{asn_id}:{period}:{revision}")


# ---------------------------------------------------------------- annual proposal and rating
async def periodic_ratings(
    conn: asyncpg.Connection, asn_ids: Sequence[UUID], year: int
) -> dict[UUID, list[PeriodicRating]]:
    rows = await conn.fetch(
        """SELECT x.asn_id, x.period, x.hasil_rating, x.perilaku_rating, s.score
           FROM scoring_assessment x
           LEFT JOIN scoring_score s ON s.asn_id = x.asn_id AND s.period = x.period AND s.status = 'dihitung'
           WHERE x.asn_id = ANY($1::uuid[]) AND x.period LIKE $2 AND x.period <> $3""",
        list(asn_ids),
        f"{year}-%",
        f"{year}-Y",
    )
    out: dict[UUID, list[PeriodicRating]] = {}
    for r in rows:
        out.setdefault(r["asn_id"], []).append(
            PeriodicRating(r["period"], Rating(r["hasil_rating"]), Rating(r["perilaku_rating"]), r["score"])
        )
    return out


def _proposal_json(p: Any) -> dict[str, Any]:
    if p is None:
        return {}
    return {
        "hasil": p.hasil.value,
        "perilaku": p.perilaku.value,
        "predikat": p.predikat.value,
        "mean_score": None if p.mean_score is None else str(p.mean_score),
        "explanation": list(p.explanation),
    }


async def annual_overview(pool: asyncpg.Pool, who: Principal, year: int) -> list[dict[str, Any]]:
    """The pejabat penilai's team (or, for BKPSDM, the regency) with each proposal, annual rating and final result."""
    scope = await scope_of(pool, who)
    today = now_jakarta().date()
    async with tenant_transaction(pool, scope) as conn:
        if who.has_role(Role.ADMIN_BKPSDM, *PROVINCE_ROLES):
            members = await conn.fetch(
                "SELECT a.asn_id, a.name, u.path AS unit FROM asn a JOIN unit u USING (unit_id) WHERE a.active"
                " ORDER BY u.path, a.name LIMIT 500"
            )
        elif who.asn_id is not None:
            members = await conn.fetch(
                """SELECT a.asn_id, a.name, u.path AS unit FROM asn a JOIN unit u USING (unit_id)
                   WHERE a.active AND (a.superior_id = $1 OR a.asn_id IN (
                       SELECT asn_id FROM acting_superior WHERE acting_superior_id = $1
                          AND $2::date BETWEEN valid_from AND valid_until))
                   ORDER BY a.name""",
                who.asn_id,
                today,
            )
        else:
            raise NotAllowed("Halaman ini untuk pejabat penilai atau BKPSDM.")
        ids = [m["asn_id"] for m in members]
        periodic = await periodic_ratings(conn, ids, year)
        rated = {
            r["asn_id"]: r
            for r in await conn.fetch(
                "SELECT * FROM annual_rating WHERE asn_id = ANY($1::uuid[]) AND year = $2", ids, year
            )
        }
        final = {
            r["asn_id"]: r
            for r in await conn.fetch(
                "SELECT asn_id, predikat, finalised_at FROM final_result"
                " WHERE asn_id = ANY($1::uuid[]) AND period = $2",
                ids,
                f"{year}-Y",
            )
        }
    out = []
    for m in members:
        proposal = propose_annual(periodic.get(m["asn_id"], []))
        r = rated.get(m["asn_id"])
        f = final.get(m["asn_id"])
        out.append(
            {
                "asn_id": m["asn_id"],
                "name": m["name"],
                "unit": m["unit"],
                "proposal": _proposal_json(proposal),
                "rating": None
                if r is None
                else {
                    "hasil": r["hasil_rating"],
                    "perilaku": r["perilaku_rating"],
                    "predikat": r["predikat"],
                    "rated_at": r["rated_at"],
                    "note": r["note"],
                },
                "final": None if f is None else {"predikat": f["predikat"], "finalised_at": f["finalised_at"]},
            }
        )
    return out


@dataclass(frozen=True, slots=True)
class AnnualRatingIn:
    hasil: Rating
    perilaku: Rating
    note: str = ""


async def rate_annual(
    pool: asyncpg.Pool, who: Principal, asn_id: UUID, year: int, body: AnnualRatingIn
) -> dict[str, Any]:
    """The pejabat penilai's annual rating; Table P1 gives the predikat. Changeable until the year is final."""
    if who.asn_id is None:
        raise NotAllowed("Hanya pejabat penilai (akun ASN) yang memberi penilaian tahunan.")
    regency = regency_of(who)
    now = now_jakarta()
    async with tenant_transaction(pool, [regency]) as conn:
        await asn_regency(conn, asn_id)
        if who.asn_id not in await pejabat_penilai(conn, asn_id, now.date()):
            raise NotAllowed("Anda bukan pejabat penilai pegawai ini.")
        if await conn.fetchval("SELECT 1 FROM final_result WHERE asn_id = $1 AND period = $2", asn_id, f"{year}-Y"):
            raise Conflict("Penilaian tahunan sudah final; perubahan hanya melalui keberatan.")
        proposal = propose_annual((await periodic_ratings(conn, [asn_id], year)).get(asn_id, []))
        result = predikat(body.hasil, body.perilaku)
        await conn.execute(
            """INSERT INTO annual_rating (asn_id, year, regency_id, hasil_rating, perilaku_rating, predikat, proposed,
                                          note, rated_by, rated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
               ON CONFLICT (asn_id, year) DO UPDATE SET hasil_rating = $4, perilaku_rating = $5, predikat = $6,
                   proposed = $7, note = $8, rated_by = $9, rated_at = $10""",
            asn_id,
            year,
            regency,
            body.hasil.value,
            body.perilaku.value,
            result.value,
            _proposal_json(proposal),
            body.note.strip()[:2000],
            who.asn_id,
            now,
        )
        await audit.record(
            conn,
            actor=who,
            action="evaluation.submit",
            subject_type="annual_rating",
            subject_id=asn_id,
            regency_id=regency,
            detail={"year": year, "predikat": result.value},
        )
    return {
        "asn_id": str(asn_id),
        "year": year,
        "predikat": result.value,
        "label": result.label,
        "proposal": _proposal_json(proposal),
    }


# ---------------------------------------------------------------- curve (Table P2)
@dataclass(frozen=True, slots=True)
class UnitCurve:
    unit_id: UUID
    unit: str
    rating: OrgRating
    rating_set: bool  # False: no rating given yet, checked against Baik
    members: int
    rated: int
    final: int
    rule_version: int
    distribution: dict[Predikat, Decimal]
    bounds: list[str]
    violations: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "unit_id": str(self.unit_id),
            "unit": self.unit,
            "rating": self.rating.value,
            "rating_set": self.rating_set,
            "members": self.members,
            "rated": self.rated,
            "final": self.final,
            "rule_version": self.rule_version,
            "distribution": {p.value: str(v) for p, v in self.distribution.items()},
            "bounds": self.bounds,
            "violations": self.violations,
        }


async def _curves(
    conn: asyncpg.Connection,
    regency: UUID,
    period: str,
    rows: Sequence[asyncpg.Record],
    current: rules_service.Versioned,
    units: set[UUID] | None = None,
) -> list[UnitCurve]:
    """Each unit's distribution (final predikat, else the proposed one) against its Table P2 curve."""
    ratings = {
        r["unit_id"]: r["rating"]
        for r in await conn.fetch(
            "SELECT unit_id, rating FROM unit_rating WHERE regency_id = $1 AND period = $2", regency, period
        )
    }
    by_unit: dict[UUID, list[asyncpg.Record]] = {}
    for r in rows:
        if units is None or r["unit_id"] in units:
            by_unit.setdefault(r["unit_id"], []).append(r)
    # once a period was finalised anywhere in the regency, its units are checked under that run's rule version
    period_version: int | None = await conn.fetchval(
        "SELECT min(rule_version) FROM finalisation WHERE regency_id = $1 AND period = $2", regency, period
    )
    wanted = {r["final_version"] for r in rows if r["final_version"] is not None}
    if period_version is not None:
        wanted.add(period_version)
    by_version = await rules_service.versions(conn, regency, wanted) if wanted else {}
    out = []
    for unit, members in sorted(by_unit.items(), key=lambda kv: kv[1][0]["unit_path"]):
        # a unit already (partly) final keeps the rule version it was finalised under
        finals = [m["final_version"] for m in members if m["final_version"] is not None]
        version = max(finals) if finals else period_version or current.version
        rules: RuleSet = by_version.get(version, current.rules)
        rating = OrgRating(ratings[unit]) if unit in ratings else OrgRating.BAIK
        bounds = rules.curve_bounds()
        values = [
            Predikat(m["final_predikat"] or m["predikat"])
            for m in members
            if (m["final_predikat"] or m["predikat"]) is not None
        ]
        out.append(
            UnitCurve(
                unit,
                members[0]["unit_path"],
                rating,
                unit in ratings,
                len(members),
                len(values),
                len(finals),
                version,
                distribution(values),
                [b.describe() for b in bounds[rating]],
                [v.message() for v in check_curve(rating, values, bounds)],
            )
        )
    return out


async def curve_report(pool: asyncpg.Pool, who: Principal, period: str, unit_id: UUID | None = None) -> list[UnitCurve]:
    check_period(period)
    if not who.has_role(Role.ADMIN_BKPSDM, *PROVINCE_ROLES, Role.ATASAN):
        raise NotAllowed("Kurva distribusi untuk pimpinan unit dan BKPSDM.")
    regency = regency_of(who) if who.regency_id else None
    if regency is None:
        raise NotAllowed("Pilih kabupaten/kota.")
    async with tenant_transaction(pool, [regency]) as conn:
        cur = await rules_service.current(conn, regency)
        rows = await store.candidates(conn, regency, unit_id, period)
        return await _curves(conn, regency, period, rows, cur)


async def set_unit_rating(pool: asyncpg.Pool, who: Principal, unit_id: UUID, period: str, rating: OrgRating) -> None:
    regency = require_admin(who)
    check_period(period)
    async with tenant_transaction(pool, [regency]) as conn:
        if not await conn.fetchval("SELECT 1 FROM unit WHERE unit_id = $1", unit_id):
            raise NotFound("Unit tidak ditemukan.")
        if await conn.fetchval(
            "SELECT 1 FROM final_result WHERE unit_id = $1 AND period = $2 LIMIT 1", unit_id, period
        ):
            raise Conflict("Hasil unit ini sudah final; peringkat organisasinya tidak dapat diubah lagi.")
        await conn.execute(
            """INSERT INTO unit_rating (unit_id, period, regency_id, rating, set_by) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (unit_id, period) DO UPDATE SET rating = $4, set_by = $5, set_at = now()""",
            unit_id,
            period,
            regency,
            rating.value,
            who.sub,
        )


# ---------------------------------------------------------------- finalisation
class CurveViolations(Conflict):
    """Units whose distribution breaks Table P2: finalisation waits until someone acknowledges them."""

    def __init__(self, units: list[UnitCurve]) -> None:
        super().__init__(
            "Distribusi predikat melanggar kurva (Tabel P2) di "
            + ", ".join(u.unit for u in units)
            + ". Tinjau dulu, lalu finalisasi dengan menyatakan sudah meninjau pelanggaran."
        )
        self.units = units


@dataclass(frozen=True, slots=True)
class FinaliseReport:
    period: str
    unit_id: UUID | None
    rule_version: int
    finalised: int
    already_final: int
    without_predikat: int
    violations: list[dict[str, Any]]
    run_id: UUID | None

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "unit_id": None if self.unit_id is None else str(self.unit_id),
            "rule_version": self.rule_version,
            "finalised": self.finalised,
            "already_final": self.already_final,
            "without_predikat": self.without_predikat,
            "violations": self.violations,
            "run_id": None if self.run_id is None else str(self.run_id),
        }


async def finalise(
    pool: asyncpg.Pool,
    who: Principal,
    period: str,
    *,
    unit_id: UUID | None = None,
    acknowledge_violations: bool = False,
    now: datetime | None = None,
) -> FinaliseReport:
    """Make every pending result of the unit (with its sub-units) or the regency final, under the current rule
    version, and publish them (internal PeriodFinalized, pseudonymised PerformancePublished, the ASN's notice)."""
    regency = require_admin(who)
    check_period(period)
    at = now or now_jakarta()
    async with tenant_transaction(pool, [regency]) as conn:
        # one finalisation of a regency's period at a time; a second one waits and then finds nothing to do
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('finalise:' || $1::uuid::text || $2::text))", regency, period
        )
        if unit_id is not None and not await conn.fetchval("SELECT 1 FROM unit WHERE unit_id = $1", unit_id):
            raise NotFound("Unit tidak ditemukan.")
        cur = await rules_service.pinned(conn, regency, who.sub)
        rows = await store.candidates(conn, regency, unit_id, period)
        pending = [r for r in rows if r["final_predikat"] is None and r["predikat"] is not None]
        already = sum(1 for r in rows if r["final_predikat"] is not None)
        missing = sum(1 for r in rows if r["final_predikat"] is None and r["predikat"] is None)
        if not pending:
            return FinaliseReport(period, unit_id, cur.version, 0, already, missing, [], None)
        touched = {r["unit_id"] for r in pending}
        broken = [u for u in await _curves(conn, regency, period, rows, cur, touched) if u.violations]
        if broken and not acknowledge_violations:
            raise CurveViolations(broken)
        run = uuid.uuid4()
        written = await store.insert_final(conn, regency, unit_id, period, cur.version, run, at)
        violations = [{"unit_id": str(u.unit_id), "unit": u.unit, "violations": u.violations} for u in broken]
        await conn.execute(
            """INSERT INTO finalisation (run_id, regency_id, period, unit_id, rule_version, finalised, skipped,
                                         violations, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
            run,
            regency,
            period,
            unit_id,
            cur.version,
            len(written),
            missing,
            violations,
            who.sub,
            at,
        )
        await _publish_final(conn, regency, period, written, cur, at)
        await audit.record(
            conn,
            actor=who,
            action="evaluation.finalise",
            subject_type="finalisation",
            subject_id=run,
            regency_id=regency,
            detail={
                "period": period,
                "finalised": len(written),
                "rule_version": cur.version,
                "violations": len(violations),
            },
        )
    return FinaliseReport(period, unit_id, cur.version, len(written), already, missing, violations, run)


async def _publish_final(
    conn: asyncpg.Connection,
    regency: UUID,
    period: str,
    written: Sequence[asyncpg.Record],
    cur: rules_service.Versioned,
    at: datetime,
) -> None:
    until = objection_deadline(at, cur.rules.objection_days)
    p = pseudonymizer()
    kid = p.current.kid
    annual = is_annual(period)
    events: list[Event] = []
    ids: list[UUID | None] = []
    for r in written:
        asn, score = r["asn_id"], r["score"]
        events.append(
            PeriodFinalized(
                regency_id=regency,
                occurred_at=at,
                asn_id=asn,
                period=period,
                predikat=PredikatKinerja(r["predikat"]),
                score=score,
                rule_version=cur.version,
                objection_until=until,
            )
        )
        ids.append(event_id("final", asn, period))
        events.append(
            PerformancePublished(
                regency_id=regency,
                occurred_at=at,
                pseudonym=asn_pseudonym(p, regency, asn),
                period=period,
                predikat=r["predikat"],
                unit_kind=r["unit_kind"][:40],
                score=score,
                unit_pseudonym=unit_pseudonym(p, regency, r["unit_id"]),
                key_id=kid,
                revision=1,
            )
        )
        ids.append(event_id("public", asn, period))
        if annual:
            nid = notification_id("evaluation_finalized", asn, period, "final")
            events.append(
                NotificationRequested(
                    regency_id=regency,
                    occurred_at=at,
                    notification_id=nid,
                    asn_id=asn,
                    kind="evaluation_finalized",
                    params={
                        "periode": period_label(period),
                        "predikat": Predikat(r["predikat"]).label,
                        "batas_keberatan": until.strftime("%d-%m-%Y"),
                    },
                    link=RESULT_LINK,
                )
            )
            ids.append(event_id("notice", asn, period))
    await outbox.add_many(conn, events, event_ids=ids)


async def my_results(pool: asyncpg.Pool, who: Principal) -> list[dict[str, Any]]:
    """The ASN's final results with the objection window of each (from the rule version it was finalised under)."""
    if who.asn_id is None:
        raise NotAllowed("Halaman ini untuk pegawai (ASN).")
    regency = regency_of(who)
    async with tenant_transaction(pool, [regency]) as conn:
        rows = await conn.fetch(
            """SELECT f.*, k.status AS keberatan_status, k.keberatan_id FROM final_result f
               LEFT JOIN keberatan k ON k.asn_id = f.asn_id AND k.period = f.period
               WHERE f.asn_id = $1 ORDER BY f.period DESC""",
            who.asn_id,
        )
        versions = await rules_service.versions(conn, regency, {r["rule_version"] for r in rows})
    now = now_jakarta()
    out = []
    for r in rows:
        until = objection_deadline(r["finalised_at"], versions[r["rule_version"]].objection_days)
        out.append(
            dict(r)
            | {
                "objection_until": until,
                "can_object": is_annual(r["period"]) and now <= until and r["keberatan_id"] is None,
            }
        )
    return out


def check_year(year: int) -> int:
    if not 2020 <= year <= 2100:
        raise InvalidInput("Tahun tidak valid.", field="year", reason="tahun harus antara 2020 dan 2100")
    return year
