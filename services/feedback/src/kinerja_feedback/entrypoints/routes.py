"""JSON API of the feedback service: decode, call one use case, encode. Public routes need no account."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Final, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from kinerja_feedback.adapters import export
from kinerja_feedback.adapters.hashing import contact_hash, device_hash, new_device_token
from kinerja_feedback.domain.config import ContactMode, RegencyConfig
from kinerja_feedback.domain.ikm import IkmResult
from kinerja_feedback.domain.peer import Relation
from kinerja_feedback.domain.periods import PeriodKind
from kinerja_feedback.entrypoints.state import (
    DEVICE_COOKIE,
    DEVICE_HEADER,
    RATE_CHECKED,
    DomainRoute,
    FastRoute,
    PoolDep,
    StateDep,
    check_rate,
    get_state,
    source_of,
    too_many,
)
from kinerja_feedback.service import admin, complaints, forum, ikm, peer
from kinerja_feedback.service.common import jakarta_now
from kinerja_feedback.service.complaints import ComplaintView
from kinerja_feedback.service.survey import SurveyAnswer
from kinerja_shared.auth import CurrentPrincipal, OptionalPrincipal, Principal, Role, require_roles
from kinerja_shared.contracts.feedback import CitizenVerdict
from kinerja_shared.http import validation_detail
from kinerja_shared.policy import public

Answer = Annotated[int, Field(ge=1, le=4)]
Honeypot = Annotated[str, Field(default="", max_length=200, description="leave empty (spam trap)")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4000)


class SurveyIn(_In):
    answers: list[Answer] = Field(min_length=9, max_length=9, description="U1..U9 (Table Q1), each 1..4")
    age_band: str | None = Field(default=None, max_length=10)
    gender: Literal["L", "P"] | None = None
    education: str | None = Field(default=None, max_length=10)
    service_used: str | None = Field(default=None, max_length=120)
    suggestion: str | None = Field(default=None, max_length=2000)
    contact: str | None = Field(default=None, max_length=120, description="phone or e-mail, stored only as a hash")
    website: Honeypot = ""


class SurveyOut(BaseModel):
    response_id: UUID
    period: str


_SURVEY_IN: Final = TypeAdapter(SurveyIn)
_UNIT_ID_INVALID: Final = [
    {
        "field": "unit_id",
        "location": "path",
        "type": "uuid_parsing",
        "reason": "not a UUID",
        "message_id": "Alamat unit tidak valid.",
    }
]


# citizens have no account: these public routes are rate-limited and never show personal data
CITIZEN = public("masyarakat: no account needed")


def _json(content: dict[str, Any], status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), status_code=status, media_type="application/json", headers=headers)


def _body_loc(errors: list[Any]) -> list[dict[str, Any]]:
    return [{**e, "loc": ("body", *e.get("loc", ()))} for e in errors]


def device_token(request: Request) -> tuple[str, bool]:
    """The device's survey token (cookie or header), or a new one (True: set the cookie)."""
    token = request.cookies.get(DEVICE_COOKIE) or request.headers.get(DEVICE_HEADER)
    if token and 16 <= len(token) <= 64:
        return token, False
    return new_device_token(), True


def set_device_cookie(response: Response, token: str, request: Request) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=400 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def _ikm_json(r: IkmResult) -> dict[str, Any]:
    return {
        "period": r.period,
        "respondents": r.respondents,
        "minimum_sample": r.minimum_sample,
        "sample_sufficient": r.sample_sufficient,
        "sample_note": r.sample_note,
        "nrr": {u.code: str(v) for u, v in r.nrr.items()},
        "ikm": None if r.ikm is None else str(r.ikm),
        "mutu": None if r.mutu is None else r.mutu.value,
        "kinerja": None if r.mutu is None else r.mutu.kinerja,
        "weakest": [u.code for u in r.weakest],
    }


class ComplaintIn(_In):
    unit_id: UUID
    subject: str = Field(min_length=5, max_length=150)
    body: str = Field(min_length=10, max_length=4000)
    service_name: str = Field(default="", max_length=120)
    reporter_name: str = Field(default="", max_length=120)
    reporter_contact: str = Field(default="", max_length=120)
    website: Honeypot = ""


class ReviewIn(_In):
    verdict: CitizenVerdict
    note: str = Field(default="", max_length=4000)


class TextIn(_In):
    body: str = Field(min_length=2, max_length=4000)


class AssignIn(_In):
    asn_id: UUID


class ThreadIn(_In):
    title: str = Field(min_length=5, max_length=150)
    body: str = Field(min_length=5, max_length=4000)
    author_name: str = Field(default="", max_length=80)
    website: Honeypot = ""


class ReplyIn(_In):
    body: str = Field(min_length=2, max_length=4000)
    author_name: str = Field(default="", max_length=80)
    website: Honeypot = ""


class HideIn(_In):
    post_id: UUID | None = None
    reason: str = Field(min_length=3, max_length=300)


class OfficialIn(_In):
    post_id: UUID


class RaterIn(_In):
    asn_id: UUID
    relation: Relation


PeriodStr = Annotated[str, Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")]


class InviteIn(_In):
    asn_id: UUID
    period: PeriodStr
    raters: list[RaterIn] = Field(min_length=1, max_length=50)


class RatingIn(_In):
    ratings: dict[str, Literal["di_atas", "sesuai", "di_bawah"]]
    comment: str = Field(default="", max_length=1000)


class ConfigIn(_In):
    survey_period: PeriodKind = PeriodKind.QUARTER
    once_per_device: bool = True
    contact_mode: ContactMode = ContactMode.OPTIONAL
    response_days: int = Field(default=5, ge=1, le=90)
    resolution_days: int = Field(default=14, ge=1, le=90)
    peer_min_raters: int = Field(default=3, ge=1, le=20)


class HolidayIn(_In):
    day: date
    name: str = Field(min_length=1, max_length=120)


class PopulationIn(_In):
    population: int | None = Field(default=None, ge=1, le=100_000_000)


def _complaint_json(v: ComplaintView, *, staff: bool) -> dict[str, Any]:
    c = v.complaint
    today = jakarta_now().date()
    out: dict[str, Any] = {
        "complaint_id": str(c.complaint_id),
        "tracking_code": v.tracking_code,
        "unit_id": str(c.unit_id),
        "unit_name": v.unit_name,
        "subject": v.subject,
        "status": c.status.value,
        "status_label": c.status.label,
        "filed_at": v.filed_at.isoformat(),
        "response_due": c.response_due.isoformat(),
        "resolution_due": c.resolution_due.isoformat(),
        "response_overdue": c.response_overdue(today),
        "resolution_overdue": c.resolution_overdue(today),
        "entries": [{"at": e.at.isoformat(), "kind": e.kind, "body": e.body, "by_unit": e.by_unit} for e in v.entries],
    }
    if staff:
        out |= {
            "assigned_asn_id": None if c.assigned_asn_id is None else str(c.assigned_asn_id),
            "assigned_name": v.assigned_name,
            "reporter_name": v.reporter_name,
            "reporter_contact": v.reporter_contact,
        }
    return out


def api_router() -> APIRouter:
    r = APIRouter(prefix="/api", route_class=DomainRoute, tags=["feedback"])
    staff_roles = Depends(require_roles(Role.ASN, Role.ATASAN, Role.ADMIN_BKPSDM))

    async def submit_survey(request: Request) -> Response:
        """One SKM answer (Table Q1). 409 when this device (or contact) already answered for the unit and period.

        The QR code's hot path (a FastRoute): the unit id and body are decoded here, the body in one pydantic pass
        over the raw JSON, rather than through FastAPI's dependency and response-model machinery, which cost more
        CPU than the answer itself. The rate limit comes first, so a flood costs the least work possible.
        """
        st = await get_state(request)
        source = source_of(request)
        if not request.scope.get("state", {}).get(RATE_CHECKED) and not st.survey_limit.allow(source):
            # answered here, not raised: a flood's refusals should cost no exception handling
            refused = too_many(st.survey_limit, source)
            return _json({"detail": refused.detail}, 429, refused.headers)
        try:
            unit_id = UUID(request.path_params["unit_id"])
        except ValueError:
            return _json({"detail": _UNIT_ID_INVALID}, 422)
        try:
            body = _SURVEY_IN.validate_json(await request.body())
        except ValidationError as e:
            return JSONResponse({"detail": validation_detail(_body_loc(e.errors()))}, status_code=422)
        token, fresh = device_token(request)
        if body.website:
            # a bot filled the hidden field: it sees the usual answer, nothing is stored
            response = _json({"response_id": str(uuid.uuid4()), "period": ""}, 201)
        else:
            outcome = await st.intake.submit(
                SurveyAnswer(
                    unit_id=unit_id,
                    answers=body.answers,
                    device_hash=device_hash(st.hash_key, token),
                    contact_hash=contact_hash(st.hash_key, body.contact) if body.contact else None,
                    age_band=body.age_band,
                    gender=body.gender,
                    education=body.education,
                    service_used=body.service_used,
                    suggestion=body.suggestion,
                ),
                jakarta_now(),
                trace_id=request.scope.get("state", {}).get("trace_id"),
            )
            if outcome.accepted:
                response = _json({"response_id": str(outcome.response_id), "period": outcome.period}, 201)
            else:
                response = _json(
                    {
                        "detail": "Perangkat atau kontak ini sudah mengisi survei untuk unit ini pada periode ini.",
                        "reason": outcome.refused.value if outcome.refused else "device",
                        "period": outcome.period,
                    },
                    409,
                )
        if fresh:
            set_device_cookie(response, token, request)
        return response

    r.add_api_route(
        "/survei/{unit_id}",
        submit_survey,
        methods=["POST"],
        status_code=201,
        name="api_survey_submit",
        dependencies=[CITIZEN],
        route_class_override=FastRoute,
        responses={201: {"model": SurveyOut}, 409: {"description": "already answered"}, 429: {}},
        openapi_extra={
            "parameters": [
                {"name": "unit_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": SurveyIn.model_json_schema(ref_template="#/components/schemas/{model}")
                    }
                },
            },
        },
    )

    @r.get("/units/{unit_id}/ikm", name="api_ikm", dependencies=[CITIZEN])
    async def unit_ikm(
        unit_id: UUID, pool: PoolDep, st: StateDep, period: Annotated[str | None, Query(max_length=8)] = None
    ) -> dict[str, Any]:
        """Public IKM of a unit for a period (default: the current one) with its trend (Table Q1)."""
        rep = await ikm.unit_report(pool, st.directory, unit_id, period, jakarta_now)
        return {
            "unit_id": str(unit_id),
            "unit_name": rep.unit.name,
            "population": rep.population,
            **_ikm_json(rep.current),
            "trend": [
                {
                    "period": p.period,
                    "ikm": None if p.ikm is None else str(p.ikm),
                    "change": None if p.change is None else str(p.change),
                }
                for p in rep.trend
            ],
        }

    @r.get("/units/{unit_id}/ikm.{fmt}", name="api_ikm_export", dependencies=[CITIZEN])
    async def unit_ikm_export(
        unit_id: UUID,
        fmt: Literal["csv", "xlsx"],
        pool: PoolDep,
        st: StateDep,
        period: Annotated[str | None, Query(max_length=8)] = None,
    ) -> Response:
        """The IKM worksheet and the anonymous responses, as CSV or XLSX."""
        rep = await ikm.unit_report(pool, st.directory, unit_id, period, jakarta_now, back=1)
        rows = await ikm.unit_rows(pool, st.directory, unit_id, rep.period)
        name = f"ikm-{rep.period}-{unit_id}"
        if fmt == "csv":
            return Response(
                export.to_csv(rep.unit.name, rep.current, rows),
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": f'attachment; filename="{name}.csv"'},
            )
        return Response(
            export.to_xlsx(rep.unit.name, rep.current, rows),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"content-disposition": f'attachment; filename="{name}.xlsx"'},
        )

    @r.post("/pengaduan", status_code=201, name="api_complaint_file", dependencies=[CITIZEN])
    async def file_complaint(body: ComplaintIn, request: Request, pool: PoolDep, st: StateDep) -> dict[str, Any]:
        """A citizen's complaint; answer holds the tracking code and the working-day deadlines (Table C1)."""
        check_rate(st.post_limit, request)
        if body.website:
            return {"tracking_code": "ADU-" + "2222-2222", "response_due": None, "resolution_due": None}
        filed = await complaints.file_complaint(
            pool,
            st.directory,
            complaints.FileComplaint(
                body.unit_id, body.subject, body.body, body.service_name, body.reporter_name, body.reporter_contact
            ),
            jakarta_now(),
        )
        return {
            "complaint_id": str(filed.complaint_id),
            "tracking_code": filed.tracking_code,
            "response_due": filed.response_due.isoformat(),
            "resolution_due": filed.resolution_due.isoformat(),
        }

    @r.get("/pengaduan/{code}", name="api_complaint_track", dependencies=[CITIZEN])
    async def track(code: str, pool: PoolDep) -> dict[str, Any]:
        return _complaint_json(await complaints.track(pool, code, jakarta_now().date()), staff=False)

    @r.post("/pengaduan/{code}/tinjauan", name="api_complaint_review", dependencies=[CITIZEN])
    async def review(code: str, body: ReviewIn, request: Request, pool: PoolDep, st: StateDep) -> dict[str, Any]:
        """The citizen confirms the resolution or reopens the complaint."""
        check_rate(st.post_limit, request)
        v = await complaints.review(pool, code, body.verdict, body.note, jakarta_now())
        return _complaint_json(v, staff=False)

    @r.get("/units/{unit_id}/pengaduan", name="api_unit_complaints", dependencies=[staff_roles])
    async def unit_complaints(
        unit_id: UUID, principal: CurrentPrincipal, pool: PoolDep, st: StateDep
    ) -> list[dict[str, Any]]:
        lines = await complaints.list_for_unit(pool, st.directory, principal, unit_id, jakarta_now().date())
        return [
            {
                "complaint_id": str(x.complaint_id),
                "tracking_code": x.tracking_code,
                "subject": x.subject,
                "status": x.status.value,
                "filed_at": x.filed_at.isoformat(),
                "response_due": x.response_due.isoformat(),
                "resolution_due": x.resolution_due.isoformat(),
                "assigned_name": x.assigned_name,
                "overdue": x.overdue,
            }
            for x in lines
        ]

    @r.get("/pengaduan/id/{complaint_id}", name="api_complaint_staff", dependencies=[staff_roles])
    async def staff_complaint(
        complaint_id: UUID, principal: CurrentPrincipal, pool: PoolDep, st: StateDep
    ) -> dict[str, Any]:
        v = await complaints.staff_view(pool, st.directory, principal, complaint_id, jakarta_now().date())
        return _complaint_json(v, staff=True)

    @r.post("/pengaduan/id/{complaint_id}/tanggapan", name="api_complaint_respond", dependencies=[staff_roles])
    async def respond(
        complaint_id: UUID, body: TextIn, principal: CurrentPrincipal, pool: PoolDep, st: StateDep
    ) -> dict[str, Any]:
        v = await complaints.respond(pool, st.directory, principal, complaint_id, body.body, jakarta_now())
        return _complaint_json(v, staff=True)

    @r.post("/pengaduan/id/{complaint_id}/penugasan", name="api_complaint_assign", dependencies=[staff_roles])
    async def assign(
        complaint_id: UUID, body: AssignIn, principal: CurrentPrincipal, pool: PoolDep, st: StateDep
    ) -> dict[str, Any]:
        v = await complaints.assign(pool, st.directory, principal, complaint_id, body.asn_id, jakarta_now())
        return _complaint_json(v, staff=True)

    @r.post("/pengaduan/id/{complaint_id}/selesai", name="api_complaint_resolve", dependencies=[staff_roles])
    async def resolve(
        complaint_id: UUID, body: TextIn, principal: CurrentPrincipal, pool: PoolDep, st: StateDep
    ) -> dict[str, Any]:
        v = await complaints.resolve(pool, st.directory, principal, complaint_id, body.body, jakarta_now())
        return _complaint_json(v, staff=True)

    @r.get("/units/{unit_id}/forum", name="api_forum_threads", dependencies=[CITIZEN])
    async def threads(unit_id: UUID, pool: PoolDep, st: StateDep) -> list[dict[str, Any]]:
        await st.directory.require_unit(unit_id)
        return [
            {
                "thread_id": str(t.thread_id),
                "title": t.title,
                "author_name": t.author_name,
                "by_asn": t.by_asn,
                "replies": t.replies,
                "answered": t.answered,
                "last_post_at": t.last_post_at.isoformat(),
            }
            for t in await forum.list_threads(pool, unit_id)
        ]

    @r.post("/units/{unit_id}/forum", status_code=201, name="api_forum_start")
    async def start_thread(
        unit_id: UUID, body: ThreadIn, request: Request, principal: OptionalPrincipal, pool: PoolDep, st: StateDep
    ) -> dict[str, str]:
        check_rate(st.post_limit, request)
        if body.website:
            return {"thread_id": str(uuid.uuid4())}
        tid = await forum.start_thread(
            pool, st.directory, unit_id, body.title, body.body, body.author_name, principal, jakarta_now()
        )
        return {"thread_id": str(tid)}

    @r.get("/forum/{thread_id}", name="api_forum_thread", dependencies=[CITIZEN])
    async def thread(thread_id: UUID, pool: PoolDep) -> dict[str, Any]:
        t, posts = await forum.get_thread(pool, thread_id)
        return {
            "thread_id": str(t.thread_id),
            "unit_id": str(t.unit_id),
            "title": t.title,
            "body": t.body,
            "author_name": t.author_name,
            "by_asn": t.by_asn,
            "answered": t.answered,
            "posts": [
                {
                    "post_id": str(p.post_id),
                    "body": p.body,
                    "author_name": p.author_name,
                    "by_asn": p.by_asn,
                    "official": p.official,
                    "created_at": p.created_at.isoformat(),
                }
                for p in posts
            ],
        }

    @r.post("/forum/{thread_id}/balasan", status_code=201, name="api_forum_reply")
    async def reply(
        thread_id: UUID, body: ReplyIn, request: Request, principal: OptionalPrincipal, pool: PoolDep, st: StateDep
    ) -> dict[str, str]:
        check_rate(st.post_limit, request)
        if body.website:
            return {"post_id": str(uuid.uuid4())}
        pid = await forum.reply(pool, st.directory, thread_id, body.body, body.author_name, principal, jakarta_now())
        return {"post_id": str(pid)}

    @r.post("/forum/{thread_id}/sembunyikan", status_code=204, name="api_forum_hide", dependencies=[staff_roles])
    async def hide(thread_id: UUID, body: HideIn, principal: CurrentPrincipal, pool: PoolDep, st: StateDep) -> Response:
        await forum.hide(
            pool,
            st.directory,
            principal,
            thread_id=thread_id,
            post_id=body.post_id,
            reason=body.reason,
            at=jakarta_now(),
        )
        return Response(status_code=204)

    @r.post("/forum/{thread_id}/jawaban-resmi", status_code=204, name="api_forum_official", dependencies=[staff_roles])
    async def official(
        thread_id: UUID, body: OfficialIn, principal: CurrentPrincipal, pool: PoolDep, st: StateDep
    ) -> Response:
        await forum.mark_official(pool, st.directory, principal, thread_id=thread_id, post_id=body.post_id)
        return Response(status_code=204)

    @r.post("/360/undangan", status_code=201, name="api_peer_invite", dependencies=[staff_roles])
    async def invite(body: InviteIn, principal: CurrentPrincipal, pool: PoolDep) -> dict[str, str]:
        """The superior or HR opens a 360 round for an ASN and period with these raters (Table B1)."""
        rid = await peer.invite(
            pool,
            principal,
            body.asn_id,
            body.period,
            [peer.Invitee(x.asn_id, x.relation) for x in body.raters],
            jakarta_now(),
        )
        return {"request_id": str(rid)}

    @r.get("/360/undangan", name="api_peer_invitations", dependencies=[staff_roles])
    async def invitations(principal: CurrentPrincipal, pool: PoolDep) -> list[dict[str, str]]:
        """The caller's open invitations to rate (only the caller ever sees whom they were asked to rate)."""
        return [
            {
                "invitation_id": str(i.invitation_id),
                "ratee_name": i.ratee_name,
                "period": i.period,
                "relation": i.relation.value,
            }
            for i in await peer.my_invitations(pool, principal)
        ]

    @r.post(
        "/360/undangan/{invitation_id}/penilaian", status_code=201, name="api_peer_rate", dependencies=[staff_roles]
    )
    async def rate(
        invitation_id: UUID, body: RatingIn, principal: CurrentPrincipal, pool: PoolDep, st: StateDep
    ) -> dict[str, bool]:
        published = await peer.rate(
            pool, st.directory, principal, invitation_id, dict(body.ratings), body.comment, jakarta_now()
        )
        return {"recorded": True, "summary_published": published}

    @r.get("/360/{asn_id}/{period}", name="api_peer_summary", dependencies=[staff_roles])
    async def summary(
        asn_id: UUID, period: str, principal: CurrentPrincipal, pool: PoolDep, st: StateDep
    ) -> dict[str, Any]:
        """The 360 aggregate, only when at least the configured number of raters answered; never who they were."""
        v = await peer.summary(pool, st.directory, principal, asn_id, period, jakarta_now())
        return _peer_json(v)

    @r.get("/pengaturan", name="api_settings", dependencies=[staff_roles])
    async def get_settings(principal: CurrentPrincipal, pool: PoolDep) -> dict[str, Any]:
        cfg, days = await admin.get_config(pool, principal)
        return {
            **ConfigIn(
                survey_period=cfg.survey_period,
                once_per_device=cfg.once_per_device,
                contact_mode=cfg.contact_mode,
                response_days=cfg.response_days,
                resolution_days=cfg.resolution_days,
                peer_min_raters=cfg.peer_min_raters,
            ).model_dump(mode="json"),
            "holidays": [{"day": d.isoformat(), "name": n} for d, n in days],
        }

    @r.put("/pengaturan", status_code=204, name="api_settings_put")
    async def put_settings(
        body: ConfigIn,
        principal: Annotated[Principal, Depends(require_roles(Role.ADMIN_BKPSDM))],
        pool: PoolDep,
        st: StateDep,
    ) -> Response:
        await admin.set_config(pool, st.directory, principal, RegencyConfig(**body.model_dump()))
        return Response(status_code=204)

    @r.post("/pengaturan/libur", status_code=204, name="api_holiday_add")
    async def add_holiday(
        body: HolidayIn, principal: Annotated[Principal, Depends(require_roles(Role.ADMIN_BKPSDM))], pool: PoolDep
    ) -> Response:
        await admin.add_holiday(pool, principal, body.day, body.name)
        return Response(status_code=204)

    @r.delete("/pengaturan/libur/{day}", status_code=204, name="api_holiday_remove")
    async def remove_holiday(
        day: date, principal: Annotated[Principal, Depends(require_roles(Role.ADMIN_BKPSDM))], pool: PoolDep
    ) -> Response:
        await admin.remove_holiday(pool, principal, day)
        return Response(status_code=204)

    @r.put("/units/{unit_id}/populasi", status_code=204, name="api_population")
    async def population(
        unit_id: UUID,
        body: PopulationIn,
        principal: Annotated[Principal, Depends(require_roles(Role.ADMIN_BKPSDM))],
        pool: PoolDep,
        st: StateDep,
    ) -> Response:
        await admin.set_population(pool, st.directory, principal, unit_id, body.population)
        return Response(status_code=204)

    return r


def _peer_json(v: peer.PeerView) -> dict[str, Any]:
    out: dict[str, Any] = {
        "asn_id": str(v.asn_id),
        "period": v.period,
        "invited": v.invited,
        "answered": v.answered,
        "min_raters": v.min_raters,
        "visible": v.summary is not None,
        "values": None,
        "comments": list(v.comments),
    }
    if v.summary is not None:
        out["values"] = [
            {
                "value": t.value.value,
                "label": t.value.label,
                "di_atas": t.di_atas,
                "sesuai": t.sesuai,
                "di_bawah": t.di_bawah,
                "score": str(t.score),
            }
            for t in v.summary.values
        ]
    return out
