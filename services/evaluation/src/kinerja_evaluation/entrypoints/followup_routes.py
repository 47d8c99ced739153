"""JSON API of the follow-up (tindak lanjut): rules, annual rating, curve, finalisation, keberatan, TPP, rewards,
pembinaan, training. Bad input → 422 with field and reason; relation checks → 403; state conflicts → 409."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from kinerja_evaluation.domain.capaian import Rating
from kinerja_evaluation.domain.curve import OrgRating
from kinerja_evaluation.domain.predikat import Predikat
from kinerja_evaluation.domain.rules import RuleSet
from kinerja_evaluation.entrypoints import policies as POLICY
from kinerja_evaluation.entrypoints.followup_errors import followup_errors
from kinerja_evaluation.service import annual, keberatan, pembinaan, rewards, training
from kinerja_evaluation.service import rules as rules_service
from kinerja_evaluation.service import tpp as tpp_service
from kinerja_shared.auth import CurrentPrincipal, Role, require_roles
from kinerja_shared.auth import Principal as P
from kinerja_shared.runtime import PoolDep

PERIOD = r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$"
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
Admin = Annotated[P, Depends(require_roles(Role.ADMIN_BKPSDM))]
Leader = Annotated[P, Depends(require_roles(Role.ADMIN_BKPSDM, Role.ATASAN, Role.ADMIN_PROVINSI, Role.INSPEKTORAT))]
Asn = Annotated[P, Depends(require_roles(Role.ASN))]
Decider = Annotated[P, Depends(require_roles(Role.ATASAN, Role.ASN, relation="atasan_pejabat_penilai"))]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RulesIn(_In):
    base_version: int = Field(ge=0, description="the version the editor started from (optimistic concurrency)")
    note: str = Field(default="", max_length=500)
    rules: dict[str, Any] = Field(description="the rule set in RuleSet.to_json() form; missing keys keep defaults")


class AnnualIn(_In):
    hasil: Rating
    perilaku: Rating
    note: str = Field(default="", max_length=2000)


class UnitRatingIn(_In):
    period: str = Field(pattern=PERIOD)
    rating: OrgRating


class FinaliseIn(_In):
    period: str = Field(pattern=PERIOD)
    unit_id: UUID | None = None
    acknowledge_violations: bool = False


class KeberatanBody(_In):
    period: str = Field(pattern=PERIOD)
    reasons: str = Field(min_length=1, max_length=5000)
    evidence_links: list[str] = Field(default_factory=list, max_length=10)


class DecisionBody(_In):
    accept: bool
    reason: str = Field(min_length=1, max_length=5000)
    new_predikat: Predikat | None = None


class AwardBody(_In):
    approve: bool
    title: str = Field(default="Pegawai Berkinerja Sangat Baik", max_length=200)
    incentive: Decimal | None = Field(default=None, ge=0, decimal_places=0)
    note: str = Field(default="", max_length=2000)


class PlanBody(_In):
    mentor_id: UUID
    goals: str = Field(min_length=1, max_length=4000)


class NoteBody(_In):
    note: str = Field(min_length=1, max_length=4000)


class CloseBody(_In):
    result: Literal["membaik", "tetap", "memburuk"]
    assessment: str = Field(min_length=1, max_length=4000)


class SanctionBody(_In):
    action: Literal["ditelaah", "catatan", "ditutup"]
    note: str = Field(min_length=1, max_length=4000)


class CourseBody(_In):
    title: str = Field(min_length=1, max_length=200)
    kind: Literal["klasikal", "e_learning", "coaching", "mentoring"]
    jp: int = Field(ge=1, le=200)
    sessions: int = Field(default=1, ge=1, le=100)
    topics: list[str] = Field(default_factory=list, max_length=10)
    starts_on: date | None = None


class EnrolBody(_In):
    asn_id: UUID | None = None


class AttendanceBody(_In):
    asn_id: UUID
    sessions: int = Field(ge=0, le=100)


class CompleteBody(_In):
    asn_id: UUID


def _month(value: str) -> date:
    return tpp_service.parse_month(value)


def followup_api_router() -> APIRouter:
    r = APIRouter(prefix="/api/v1/followup", tags=["tindak lanjut"])

    # ------------------------------------------------------------ rules
    @r.get("/rules", name="followup_rules", dependencies=[POLICY.REGENCY_MEMBER])
    async def get_rules(pool: PoolDep, who: CurrentPrincipal) -> dict[str, Any]:
        """The regency's current rule set (version 0 = defaults never saved) and its history."""
        with followup_errors():
            cur, history = await rules_service.read(pool, who)
        return {"version": cur.version, "rules": cur.rules.to_json(), "history": history}

    @r.put("/rules", name="followup_rules_save")
    async def put_rules(body: RulesIn, pool: PoolDep, who: Admin) -> dict[str, int]:
        """Save a new version (validated: weights sum to 100, a consistent ladder, thresholds in order, …)."""
        with followup_errors():
            rules = RuleSet.from_json(body.rules)
            return {
                "version": await rules_service.save(pool, who, rules, base_version=body.base_version, note=body.note)
            }

    # ------------------------------------------------------------ annual evaluation, curve, finalisation
    @r.get("/annual/{year}", name="followup_annual", dependencies=[POLICY.ANNUAL_READERS])
    async def annual_list(year: int, pool: PoolDep, who: CurrentPrincipal) -> dict[str, Any]:
        """The team (or regency) with the proposal from periodic results, explained, and the annual rating."""
        with followup_errors():
            annual.check_year(year)
            return {"year": year, "members": await annual.annual_overview(pool, who, year)}

    @r.put("/annual/{year}/{asn_id}", name="followup_annual_rate")
    async def annual_rate(
        year: int, asn_id: UUID, body: AnnualIn, pool: PoolDep, who: CurrentPrincipal
    ) -> dict[str, Any]:
        with followup_errors():
            annual.check_year(year)
            return await annual.rate_annual(
                pool, who, asn_id, year, annual.AnnualRatingIn(body.hasil, body.perilaku, body.note)
            )

    @r.get("/curve", name="followup_curve")
    async def curve(
        pool: PoolDep, who: Leader, period: str = Query(pattern=PERIOD), unit_id: UUID | None = None
    ) -> dict[str, Any]:
        """Each unit's predikat distribution against its Table P2 curve, violations flagged."""
        with followup_errors():
            units = await annual.curve_report(pool, who, period, unit_id)
        return {"period": period, "units": [u.as_json() for u in units]}

    @r.put("/units/{unit_id}/rating", name="followup_unit_rating")
    async def unit_rating(unit_id: UUID, body: UnitRatingIn, pool: PoolDep, who: Admin) -> dict[str, str]:
        with followup_errors():
            await annual.set_unit_rating(pool, who, unit_id, body.period, body.rating)
        return {"unit_id": str(unit_id), "rating": body.rating.value}

    @r.post("/finalise", name="followup_finalise")
    async def finalise(body: FinaliseIn, pool: PoolDep, who: Admin) -> dict[str, Any]:
        """Finalise a unit (with its sub-units) or the whole regency; safe to re-run (a re-run changes nothing).
        Curve violations answer 409 with the units unless `acknowledge_violations` is true."""
        with followup_errors():
            report = await annual.finalise(
                pool, who, body.period, unit_id=body.unit_id, acknowledge_violations=body.acknowledge_violations
            )
        return report.as_json()

    @r.get("/results", name="followup_my_results", dependencies=[POLICY.REGENCY_MEMBER])
    async def my_results(pool: PoolDep, who: CurrentPrincipal) -> dict[str, Any]:
        with followup_errors():
            return {"results": await annual.my_results(pool, who)}

    # ------------------------------------------------------------ keberatan
    @r.post("/keberatan", name="followup_keberatan_file", status_code=201)
    async def file_objection(body: KeberatanBody, pool: PoolDep, who: Asn) -> dict[str, Any]:
        with followup_errors():
            return await keberatan.file(
                pool, who, keberatan.KeberatanIn(body.period, body.reasons, tuple(body.evidence_links))
            )

    @r.post("/keberatan/{keberatan_id}/decision", name="followup_keberatan_decide")
    async def decide_objection(
        keberatan_id: UUID,
        body: DecisionBody,
        pool: PoolDep,
        who: Decider,
    ) -> dict[str, Any]:
        with followup_errors():
            return await keberatan.decide(
                pool, who, keberatan_id, keberatan.DecisionIn(body.accept, body.reason, body.new_predikat)
            )

    @r.get("/keberatan", name="followup_keberatan_list", dependencies=[POLICY.REGENCY_MEMBER])
    async def objections(pool: PoolDep, who: CurrentPrincipal) -> dict[str, Any]:
        with followup_errors():
            return await keberatan.listing(pool, who)

    # ------------------------------------------------------------ TPP
    @r.get("/tpp/{asn_id}", name="followup_tpp_explain")
    async def tpp_explain(
        asn_id: UUID, pool: PoolDep, who: CurrentPrincipal, month: str = Query(pattern=MONTH)
    ) -> dict[str, Any]:
        """One ASN's TPP for the month, line by line (Table T1), with each day's deduction."""
        with followup_errors():
            row = await tpp_service.explain(pool, who, asn_id, _month(month))
        return {
            "asn_id": str(row.asn_id),
            "month": month,
            "predikat": row.predikat.value if row.predikat else None,
            "source": row.source,
            "rule_version": row.rule_version,
            "amount": row.amount,
            "incentive": row.incentive,
            "lines": [{"label": x.label, "value": x.value} for x in row.lines],
            "days": [{"day": d, "deduction": v} for d, v in row.day_lines],
        }

    @r.get("/tpp-export", name="followup_tpp_export")
    async def tpp_export(
        pool: PoolDep,
        who: Admin,
        month: str = Query(pattern=MONTH),
        format: Literal["csv", "xlsx"] = "csv",
    ) -> Response:
        """The regency's payroll file for the month (recorded in the audit log)."""
        with followup_errors():
            body, _ = await tpp_service.export(pool, who, _month(month), format)
        media = (
            "text/csv; charset=utf-8"
            if format == "csv"
            else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )
        return Response(
            body, media_type=media, headers={"Content-Disposition": f'attachment; filename="tpp-{month}.{format}"'}
        )

    # ------------------------------------------------------------ rewards
    @r.get("/awards", name="followup_awards")
    async def awards(pool: PoolDep, who: Admin, status: str | None = None) -> dict[str, Any]:
        with followup_errors():
            return {"awards": await rewards.listing(pool, who, status)}

    @r.post("/awards/{award_id}/decision", name="followup_award_decide")
    async def award_decide(award_id: UUID, body: AwardBody, pool: PoolDep, who: Admin) -> dict[str, Any]:
        with followup_errors():
            return await rewards.decide(
                pool, who, award_id, rewards.AwardDecisionIn(body.approve, body.title, body.incentive, body.note)
            )

    @r.get("/awards/{award_id}/piagam.pdf", name="followup_award_pdf", dependencies=[POLICY.REGENCY_MEMBER])
    async def award_pdf(award_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        with followup_errors():
            pdf, code = await rewards.certificate(pool, who, award_id, verify_base(request))
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="piagam-{code}.pdf"'}
        )

    # ------------------------------------------------------------ pembinaan
    @r.get("/pembinaan", name="followup_plans", dependencies=[POLICY.REGENCY_MEMBER])
    async def plans(pool: PoolDep, who: CurrentPrincipal) -> dict[str, Any]:
        with followup_errors():
            return {"plans": await pembinaan.plans(pool, who)}

    @r.get("/pembinaan/{plan_id}", name="followup_plan", dependencies=[POLICY.REGENCY_MEMBER])
    async def plan(plan_id: UUID, pool: PoolDep, who: CurrentPrincipal) -> dict[str, Any]:
        with followup_errors():
            return await pembinaan.plan(pool, who, plan_id)

    @r.put("/pembinaan/{plan_id}", name="followup_plan_set")
    async def plan_set(plan_id: UUID, body: PlanBody, pool: PoolDep, who: CurrentPrincipal) -> dict[str, str]:
        with followup_errors():
            await pembinaan.set_plan(pool, who, plan_id, pembinaan.PlanIn(body.mentor_id, body.goals))
        return {"plan_id": str(plan_id)}

    @r.post("/pembinaan/{plan_id}/checkins", name="followup_plan_checkin", status_code=201)
    async def plan_checkin(plan_id: UUID, body: NoteBody, pool: PoolDep, who: CurrentPrincipal) -> dict[str, str]:
        with followup_errors():
            await pembinaan.check_in(pool, who, plan_id, body.note)
        return {"plan_id": str(plan_id)}

    @r.post("/pembinaan/{plan_id}/close", name="followup_plan_close")
    async def plan_close(plan_id: UUID, body: CloseBody, pool: PoolDep, who: CurrentPrincipal) -> dict[str, str]:
        with followup_errors():
            await pembinaan.close(pool, who, plan_id, body.result, body.assessment)
        return {"plan_id": str(plan_id), "status": "selesai"}

    @r.get("/sanction-cases", name="followup_sanctions")
    async def sanctions(pool: PoolDep, who: Admin) -> dict[str, Any]:
        with followup_errors():
            return {"cases": await pembinaan.sanction_cases(pool, who)}

    @r.post("/sanction-cases/{case_id}/steps", name="followup_sanction_step", status_code=201)
    async def sanction_step(case_id: UUID, body: SanctionBody, pool: PoolDep, who: Admin) -> dict[str, str]:
        with followup_errors():
            await pembinaan.sanction_step(pool, who, case_id, body.action, body.note)
        return {"case_id": str(case_id)}

    # ------------------------------------------------------------ training (D1)
    @r.get("/courses", name="followup_courses", dependencies=[POLICY.REGENCY_MEMBER])
    async def courses(pool: PoolDep, who: CurrentPrincipal) -> dict[str, Any]:
        with followup_errors():
            return {"courses": await training.catalogue(pool, who)}

    @r.post("/courses", name="followup_course_add", status_code=201)
    async def course_add(body: CourseBody, pool: PoolDep, who: Admin) -> dict[str, str]:
        with followup_errors():
            cid = await training.add_course(
                pool,
                who,
                training.CourseIn(body.title, body.kind, body.jp, body.sessions, tuple(body.topics), body.starts_on),
            )
        return {"course_id": str(cid)}

    @r.post(
        "/courses/{course_id}/enrolments", name="followup_enrol", dependencies=[POLICY.REGENCY_MEMBER], status_code=201
    )
    async def enrol(course_id: UUID, body: EnrolBody, pool: PoolDep, who: CurrentPrincipal) -> dict[str, str]:
        with followup_errors():
            await training.enrol(pool, who, course_id, body.asn_id)
        return {"course_id": str(course_id)}

    @r.put("/courses/{course_id}/attendance", name="followup_attendance")
    async def attendance(course_id: UUID, body: AttendanceBody, pool: PoolDep, who: Admin) -> dict[str, str]:
        with followup_errors():
            await training.record_attendance(pool, who, course_id, body.asn_id, body.sessions)
        return {"course_id": str(course_id)}

    @r.post("/courses/{course_id}/completions", name="followup_complete")
    async def complete(course_id: UUID, body: CompleteBody, pool: PoolDep, who: Admin) -> dict[str, int]:
        with followup_errors():
            return {"jp": await training.complete(pool, who, course_id, body.asn_id)}

    @r.get("/development/{asn_id}", name="followup_development")
    async def development(
        asn_id: UUID, pool: PoolDep, who: CurrentPrincipal, year: int = Query(ge=2020, le=2100)
    ) -> dict[str, Any]:
        with followup_errors():
            return await training.development_of(pool, who, asn_id, year)

    @r.get("/equal-access", name="followup_equal_access")
    async def equal_access(pool: PoolDep, who: CurrentPrincipal, year: int = Query(ge=2020, le=2100)) -> dict[str, Any]:
        """Share of ASN reaching the JP right by unit, grade, gender and urban/rural (Table D1)."""
        with followup_errors():
            return await training.equal_access_report(pool, who, year)

    return r


def verify_base(request: Request) -> str:
    """Absolute URL of the public verification page printed on the piagam."""
    root = str(request.base_url).rstrip("/")
    return f"{root}/verifikasi"
