"""Pages (Bahasa Indonesia): public survey, complaints, forum, IKM dashboard; staff complaint desk; 360 forms.

Public forms work without JavaScript (plain POST, redirect or re-render); the survey uses a tiny layout of its
own so a cheap phone on a slow network loads one small HTML page and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from uuid import UUID

import segno
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from kinerja_feedback.adapters.hashing import contact_hash, device_hash
from kinerja_feedback.domain.complaints import Status
from kinerja_feedback.domain.errors import DomainError, InvalidInput
from kinerja_feedback.domain.ikm import SCALE, Unsur
from kinerja_feedback.domain.peer import Rating, Relation, Value
from kinerja_feedback.domain.periods import PeriodKind, period_label, period_of
from kinerja_feedback.entrypoints.routes import device_token, set_device_cookie
from kinerja_feedback.entrypoints.state import DomainRoute, FeedbackState, PoolDep, StateDep, source_of
from kinerja_feedback.service import complaints, forum, ikm, peer
from kinerja_feedback.service.common import colleagues, find_units, jakarta_now, subordinates, unit_staff
from kinerja_feedback.service.survey import AGE_BANDS, EDUCATIONS, SurveyAnswer
from kinerja_shared.auth import CurrentPrincipal, OptionalPrincipal, Principal, Role, require_roles
from kinerja_shared.contracts.feedback import CitizenVerdict
from kinerja_shared.policy import Scope, public

MAX_FORM_BYTES = 20_000


# citizens have no account: these public routes are rate-limited and never show personal data
CITIZEN = public("masyarakat: no account needed")


def _render(request: Request, name: str, ctx: Mapping[str, Any], status: int = 200) -> HTMLResponse:
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, f"feedback/{name}", dict(ctx), status_code=status
    )
    return response


async def _form(request: Request) -> dict[str, str]:
    """The posted form as single values; an oversized body is refused before parsing."""
    size = int(request.headers.get("content-length") or 0)
    if size > MAX_FORM_BYTES:
        raise InvalidInput("Isian terlalu panjang.", field="form", reason="form body too large")
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _errors(e: DomainError) -> dict[str, str]:
    return {e.field or "form": e.message}


def _limited(request: Request, st: FeedbackState, *, survey: bool) -> bool:
    limiter = st.survey_limit if survey else st.post_limit
    return not limiter.allow(source_of(request))


def _too_many(request: Request, st: FeedbackState, *, survey: bool) -> HTMLResponse:
    limiter = st.survey_limit if survey else st.post_limit
    wait = limiter.retry_after(source_of(request))
    response = _render(
        request,
        "message.html",
        {
            "heading": "Terlalu banyak kiriman",
            "message": f"Terlalu banyak kiriman dari jaringan Anda. Tunggu sekitar {wait} detik, lalu coba lagi.",
            "lite": survey,
        },
        429,
    )
    response.headers["Retry-After"] = str(wait)
    return response


def pages_router() -> APIRouter:
    r = APIRouter(include_in_schema=False, route_class=DomainRoute)

    @r.get("/", name="home", response_class=HTMLResponse)
    async def home(
        request: Request, pool: PoolDep, principal: OptionalPrincipal, q: Annotated[str, Query(max_length=80)] = ""
    ) -> HTMLResponse:
        """Public home: find a service unit, then answer the survey, file a complaint, join the forum, see IKM."""
        units = await find_units(pool, q)
        return _render(request, "home.html", {"units": units, "q": q, "principal": principal})

    @r.get("/unit/{unit_id}", name="unit_page", response_class=HTMLResponse)
    async def unit_page(unit_id: UUID, request: Request, st: StateDep, principal: OptionalPrincipal) -> HTMLResponse:
        unit = await st.directory.require_unit(unit_id)
        return _render(request, "unit.html", {"unit": unit, "principal": principal})

    # --- survey -------------------------------------------------------------------------------------------------

    async def _survey_ctx(st: FeedbackState, unit_id: UUID) -> dict[str, Any]:
        unit = await st.directory.require_unit(unit_id, public_facing=True)
        cfg = await st.directory.config(unit.regency_id)
        return {
            "unit": unit,
            "unsur": list(Unsur),
            "scale": SCALE,
            "ages": AGE_BANDS,
            "educations": EDUCATIONS,
            "contact_mode": cfg.contact_mode.value,
            "period": period_label(period_of(jakarta_now(), cfg.survey_period)),
            "values": {},
            "errors": {},
            "lite": True,
        }

    @r.get("/survei/{unit_id}", name="survey_form", dependencies=[CITIZEN], response_class=HTMLResponse)
    async def survey_form(unit_id: UUID, request: Request, st: StateDep) -> HTMLResponse:
        """The SKM form: nine questions, four choices each, optional profile; works without JavaScript."""
        try:
            ctx = await _survey_ctx(st, unit_id)
        except InvalidInput as e:
            return _render(
                request, "message.html", {"heading": "Unit tidak ditemukan", "message": e.message, "lite": True}, 404
            )
        response = _render(request, "survey.html", ctx)
        token, fresh = device_token(request)
        if fresh:
            set_device_cookie(response, token, request)
        response.headers["Cache-Control"] = "no-store"
        return response

    @r.post("/survei/{unit_id}", name="survey_post", dependencies=[CITIZEN], response_class=HTMLResponse)
    async def survey_post(unit_id: UUID, request: Request, st: StateDep) -> HTMLResponse:
        if _limited(request, st, survey=True):
            return _too_many(request, st, survey=True)
        try:
            ctx = await _survey_ctx(st, unit_id)
        except InvalidInput as e:
            return _render(
                request, "message.html", {"heading": "Unit tidak ditemukan", "message": e.message, "lite": True}, 422
            )
        try:
            form = await _form(request)
        except InvalidInput as e:
            ctx["errors"] = _errors(e)
            return _render(request, "survey.html", ctx, 422)
        token, fresh = device_token(request)
        if form.get("website"):
            return _render(request, "survey_done.html", {**ctx, "accepted": True})
        errors: dict[str, str] = {}
        answers: list[int] = []
        for u in Unsur:
            raw = form.get(f"u{u.value}", "")
            if raw not in ("1", "2", "3", "4"):
                errors[f"u{u.value}"] = f"Pilih salah satu jawaban untuk {u.label.lower()}."
            else:
                answers.append(int(raw))
        contact = form.get("contact", "").strip()
        ctx["values"] = form
        if not errors:
            try:
                outcome = await st.intake.submit(
                    SurveyAnswer(
                        unit_id=unit_id,
                        answers=answers,
                        device_hash=device_hash(st.hash_key, token),
                        contact_hash=contact_hash(st.hash_key, contact) if contact else None,
                        age_band=form.get("age_band") or None,
                        gender=form.get("gender") or None,
                        education=form.get("education") or None,
                        service_used=form.get("service_used") or None,
                        suggestion=form.get("suggestion") or None,
                    ),
                    jakarta_now(),
                )
            except InvalidInput as e:
                errors = _errors(e)
            else:
                response = _render(
                    request,
                    "survey_done.html",
                    {**ctx, "accepted": outcome.accepted, "refused": outcome.refused},
                    200 if outcome.accepted else 409,
                )
                if fresh:
                    set_device_cookie(response, token, request)
                return response
        ctx["errors"] = errors
        response = _render(request, "survey.html", ctx, 422)
        if fresh:
            set_device_cookie(response, token, request)
        return response

    @r.get("/survei/{unit_id}/qr.svg", name="survey_qr", dependencies=[CITIZEN])
    async def survey_qr(unit_id: UUID, request: Request, st: StateDep) -> Response:
        """QR code of the unit's survey address (SVG, prints sharp at any size)."""
        await st.directory.require_unit(unit_id, public_facing=True)
        url = str(request.url_for("survey_form", unit_id=unit_id))
        svg = segno.make(url, error="m").svg_inline(scale=8, border=2)
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

    @r.get("/survei/{unit_id}/cetak", name="survey_print", dependencies=[CITIZEN], response_class=HTMLResponse)
    async def survey_print(unit_id: UUID, request: Request, st: StateDep) -> HTMLResponse:
        """A printable poster for the counter: the QR code, the address, one line of instructions."""
        unit = await st.directory.require_unit(unit_id, public_facing=True)
        url = str(request.url_for("survey_form", unit_id=unit_id))
        qr = segno.make(url, error="m").svg_inline(scale=10, border=2)
        return _render(request, "survey_print.html", {"unit": unit, "url": url, "qr": qr})

    # --- IKM ----------------------------------------------------------------------------------------------------

    @r.get("/ikm/{unit_id}", name="ikm_page", response_class=HTMLResponse)
    async def ikm_page(
        unit_id: UUID,
        request: Request,
        pool: PoolDep,
        st: StateDep,
        principal: OptionalPrincipal,
        periode: Annotated[str | None, Query(max_length=8)] = None,
    ) -> HTMLResponse:
        """The unit's IKM for everyone (transparency): mutu, NRR per unsur, weakest unsur, trend chart."""
        rep = await ikm.unit_report(pool, st.directory, unit_id, periode or None, jakarta_now)
        chart = {
            "unsur": [u.code for u in Unsur],
            "labels": [u.label for u in Unsur],
            "nrr": [float(rep.current.nrr[u]) if rep.current.nrr else None for u in Unsur],
            "periods": [period_label(p.period) for p in rep.trend],
            "ikm": [None if p.ikm is None else float(p.ikm) for p in rep.trend],
        }
        return _render(
            request,
            "ikm.html",
            {
                "rep": rep,
                "r": rep.current,
                "unsur": list(Unsur),
                "chart": chart,
                "period_label": period_label,
                "principal": principal,
            },
        )

    # --- complaints ---------------------------------------------------------------------------------------------

    @r.get("/pengaduan/{unit_id}/baru", name="complaint_form", response_class=HTMLResponse)
    async def complaint_form(
        unit_id: UUID, request: Request, st: StateDep, principal: OptionalPrincipal
    ) -> HTMLResponse:
        unit = await st.directory.require_unit(unit_id)
        return _render(
            request, "complaint_form.html", {"unit": unit, "values": {}, "errors": {}, "principal": principal}
        )

    @r.post("/pengaduan/{unit_id}/baru", name="complaint_post", dependencies=[CITIZEN], response_class=HTMLResponse)
    async def complaint_post(unit_id: UUID, request: Request, pool: PoolDep, st: StateDep) -> Response:
        unit = await st.directory.require_unit(unit_id)
        if _limited(request, st, survey=False):
            return _too_many(request, st, survey=False)
        form: dict[str, str] = {}
        try:
            form = await _form(request)
            if form.get("website"):
                return RedirectResponse(str(request.url_for("track_page")), status_code=303)
            filed = await complaints.file_complaint(
                pool,
                st.directory,
                complaints.FileComplaint(
                    unit_id,
                    form.get("subject", ""),
                    form.get("body", ""),
                    form.get("service_name", ""),
                    form.get("reporter_name", ""),
                    form.get("reporter_contact", ""),
                ),
                jakarta_now(),
            )
        except InvalidInput as e:
            return _render(
                request,
                "complaint_form.html",
                {"unit": unit, "values": form, "errors": _errors(e), "principal": None},
                422,
            )
        return _render(request, "complaint_filed.html", {"unit": unit, "filed": filed, "principal": None}, 201)

    @r.get("/lacak", name="track_page", response_class=HTMLResponse)
    async def track_page(
        request: Request, pool: PoolDep, principal: OptionalPrincipal, kode: Annotated[str, Query(max_length=40)] = ""
    ) -> HTMLResponse:
        """The citizen's tracker: status, deadlines, the unit's replies; confirm or reopen once resolved."""
        ctx: dict[str, Any] = {
            "kode": kode,
            "view": None,
            "error": "",
            "principal": principal,
            "today": jakarta_now().date(),
        }
        if kode:
            try:
                ctx["view"] = await complaints.track(pool, kode, jakarta_now().date())
            except DomainError as e:
                ctx["error"] = e.message
                return _render(request, "track.html", ctx, 404)
        return _render(request, "track.html", ctx)

    @r.post("/lacak", name="track_post", dependencies=[CITIZEN], response_class=HTMLResponse)
    async def track_post(request: Request, pool: PoolDep, st: StateDep) -> Response:
        if _limited(request, st, survey=False):
            return _too_many(request, st, survey=False)
        form = await _form(request)
        kode = form.get("kode", "")
        try:
            verdict = CitizenVerdict(form.get("verdict", ""))
            await complaints.review(pool, kode, verdict, form.get("note", ""), jakarta_now())
        except ValueError:
            pass
        except DomainError as e:
            view = None
            try:
                view = await complaints.track(pool, kode, jakarta_now().date())
            except DomainError:
                pass
            ctx = {"kode": kode, "view": view, "error": e.message, "principal": None, "today": jakarta_now().date()}
            return _render(request, "track.html", ctx, 422 if isinstance(e, InvalidInput) else 409)
        return RedirectResponse(str(request.url_for("track_page").include_query_params(kode=kode)), status_code=303)

    # --- forum --------------------------------------------------------------------------------------------------

    @r.get("/forum/{unit_id}", name="forum_page", response_class=HTMLResponse)
    async def forum_page(
        unit_id: UUID, request: Request, pool: PoolDep, st: StateDep, principal: OptionalPrincipal
    ) -> HTMLResponse:
        unit = await st.directory.require_unit(unit_id)
        threads = await forum.list_threads(pool, unit_id)
        return _render(
            request,
            "forum.html",
            {"unit": unit, "threads": threads, "values": {}, "errors": {}, "principal": principal},
        )

    @r.post("/forum/{unit_id}", name="forum_post", response_class=HTMLResponse)
    async def forum_post(
        unit_id: UUID, request: Request, pool: PoolDep, st: StateDep, principal: OptionalPrincipal
    ) -> Response:
        unit = await st.directory.require_unit(unit_id)
        if _limited(request, st, survey=False):
            return _too_many(request, st, survey=False)
        form: dict[str, str] = {}
        try:
            form = await _form(request)
            if form.get("website"):
                return RedirectResponse(str(request.url_for("forum_page", unit_id=unit_id)), status_code=303)
            tid = await forum.start_thread(
                pool,
                st.directory,
                unit_id,
                form.get("title", ""),
                form.get("body", ""),
                form.get("author_name", ""),
                principal,
                jakarta_now(),
            )
        except InvalidInput as e:
            threads = await forum.list_threads(pool, unit_id)
            ctx = {"unit": unit, "threads": threads, "values": form, "errors": _errors(e), "principal": principal}
            return _render(request, "forum.html", ctx, 422)
        return RedirectResponse(str(request.url_for("thread_page", thread_id=tid)), status_code=303)

    async def _is_moderator(pool: Any, st: FeedbackState, principal: Principal | None, unit_id: UUID) -> bool:
        if principal is None:
            return False
        from kinerja_feedback.service.common import ensure_unit_staff
        from kinerja_shared.db import tenant_transaction

        unit = await st.directory.require_unit(unit_id)
        try:
            async with tenant_transaction(pool, [principal.regency_id] if principal.regency_id else []) as conn:
                await ensure_unit_staff(conn, principal, unit)
        except DomainError:
            return False
        return True

    async def _thread_ctx(pool: Any, st: FeedbackState, thread_id: UUID, principal: Principal | None) -> dict[str, Any]:
        t, _ = await forum.get_thread(pool, thread_id, moderator=True)
        moderator = await _is_moderator(pool, st, principal, t.unit_id)
        t, posts = await forum.get_thread(pool, thread_id, moderator=moderator)
        unit = await st.directory.require_unit(t.unit_id)
        return {
            "unit": unit,
            "t": t,
            "posts": posts,
            "moderator": moderator,
            "values": {},
            "errors": {},
            "principal": principal,
        }

    @r.get("/forum/topik/{thread_id}", name="thread_page", response_class=HTMLResponse)
    async def thread_page(
        thread_id: UUID, request: Request, pool: PoolDep, st: StateDep, principal: OptionalPrincipal
    ) -> HTMLResponse:
        ctx = await _thread_ctx(pool, st, thread_id, principal)
        if ctx["t"].hidden_reason is not None and not ctx["moderator"]:
            return _render(
                request,
                "message.html",
                {"heading": "Topik disembunyikan", "message": "Topik ini disembunyikan oleh moderator.", "lite": False},
                404,
            )
        return _render(request, "thread.html", ctx)

    @r.post("/forum/topik/{thread_id}", name="thread_reply", response_class=HTMLResponse)
    async def thread_reply(
        thread_id: UUID, request: Request, pool: PoolDep, st: StateDep, principal: OptionalPrincipal
    ) -> Response:
        if _limited(request, st, survey=False):
            return _too_many(request, st, survey=False)
        form: dict[str, str] = {}
        try:
            form = await _form(request)
            if not form.get("website"):
                await forum.reply(
                    pool,
                    st.directory,
                    thread_id,
                    form.get("body", ""),
                    form.get("author_name", ""),
                    principal,
                    jakarta_now(),
                )
        except DomainError as e:
            ctx = await _thread_ctx(pool, st, thread_id, principal)
            ctx |= {"values": form, "errors": _errors(e)}
            return _render(request, "thread.html", ctx, 422 if isinstance(e, InvalidInput) else 409)
        return RedirectResponse(str(request.url_for("thread_page", thread_id=thread_id)), status_code=303)

    @r.post("/forum/topik/{thread_id}/moderasi", name="thread_moderate", response_class=HTMLResponse)
    async def thread_moderate(
        thread_id: UUID, request: Request, pool: PoolDep, st: StateDep, principal: CurrentPrincipal
    ) -> Response:
        form = await _form(request)
        post_raw = form.get("post_id") or None
        try:
            post_id = UUID(post_raw) if post_raw else None
            if form.get("action") == "resmi" and post_id is not None:
                await forum.mark_official(pool, st.directory, principal, thread_id=thread_id, post_id=post_id)
            else:
                await forum.hide(
                    pool,
                    st.directory,
                    principal,
                    thread_id=thread_id,
                    post_id=post_id,
                    reason=form.get("reason", ""),
                    at=jakarta_now(),
                )
        except ValueError:
            pass
        except DomainError as e:
            ctx = await _thread_ctx(pool, st, thread_id, principal)
            ctx["errors"] = _errors(e)
            return _render(request, "thread.html", ctx, 422 if isinstance(e, InvalidInput) else 403)
        return RedirectResponse(str(request.url_for("thread_page", thread_id=thread_id)), status_code=303)

    # --- staff complaint desk -----------------------------------------------------------------------------------

    @r.get("/staf/unit/{unit_id}/pengaduan", name="staff_complaints", response_class=HTMLResponse)
    async def staff_complaints(
        unit_id: UUID, request: Request, pool: PoolDep, st: StateDep, principal: CurrentPrincipal
    ) -> HTMLResponse:
        unit = await st.directory.require_unit(unit_id)
        lines = await complaints.list_for_unit(pool, st.directory, principal, unit_id, jakarta_now().date())
        return _render(
            request,
            "staff_complaints.html",
            {"unit": unit, "lines": lines, "principal": principal, "overdue": sum(x.overdue for x in lines)},
        )

    async def _staff_ctx(pool: Any, st: FeedbackState, principal: Principal, complaint_id: UUID) -> dict[str, Any]:
        view = await complaints.staff_view(pool, st.directory, principal, complaint_id, jakarta_now().date())
        unit = await st.directory.require_unit(view.complaint.unit_id)
        return {
            "v": view,
            "unit": unit,
            "staff": await unit_staff(pool, unit),
            "principal": principal,
            "errors": {},
            "Status": Status,
            "today": jakarta_now().date(),
        }

    @r.get("/staf/pengaduan/{complaint_id}", name="staff_complaint", response_class=HTMLResponse)
    async def staff_complaint(
        complaint_id: UUID, request: Request, pool: PoolDep, st: StateDep, principal: CurrentPrincipal
    ) -> HTMLResponse:
        return _render(request, "staff_complaint.html", await _staff_ctx(pool, st, principal, complaint_id))

    @r.post("/staf/pengaduan/{complaint_id}", name="staff_complaint_post", response_class=HTMLResponse)
    async def staff_complaint_post(
        complaint_id: UUID, request: Request, pool: PoolDep, st: StateDep, principal: CurrentPrincipal
    ) -> Response:
        form = await _form(request)
        action = form.get("action", "")
        try:
            if action == "tugaskan":
                try:
                    asn = UUID(form.get("asn_id", ""))
                except ValueError:
                    raise InvalidInput("Pilih pegawai.", field="asn_id", reason="not a UUID") from None
                await complaints.assign(pool, st.directory, principal, complaint_id, asn, jakarta_now())
            elif action == "selesai":
                await complaints.resolve(
                    pool, st.directory, principal, complaint_id, form.get("body", ""), jakarta_now()
                )
            else:
                await complaints.respond(
                    pool, st.directory, principal, complaint_id, form.get("body", ""), jakarta_now()
                )
        except DomainError as e:
            ctx = await _staff_ctx(pool, st, principal, complaint_id)
            ctx["errors"] = _errors(e)
            return _render(request, "staff_complaint.html", ctx, 422 if isinstance(e, InvalidInput) else 409)
        return RedirectResponse(str(request.url_for("staff_complaint", complaint_id=complaint_id)), status_code=303)

    # --- 360 ----------------------------------------------------------------------------------------------------

    async def _peer_ctx(pool: Any, st: FeedbackState, principal: Principal, **extra: Any) -> dict[str, Any]:
        cfg = await st.directory.config(principal.regency_id) if principal.regency_id else None
        period = period_of(jakarta_now(), cfg.survey_period) if cfg else ""
        mine = None
        if principal.asn_id is not None and period:
            mine = await peer.summary(pool, st.directory, principal, principal.asn_id, period, jakarta_now())
        return {
            "principal": principal,
            "invitations": await peer.my_invitations(pool, principal),
            "team": await subordinates(pool, principal),
            "period": period,
            "mine": mine,
            "errors": {},
            "Value": Value,
            "Rating": Rating,
            "Relation": Relation,
            **extra,
        }

    @r.get("/360", name="peer_home", response_class=HTMLResponse)
    async def peer_home(
        request: Request,
        pool: PoolDep,
        st: StateDep,
        principal: CurrentPrincipal,
        pegawai: Annotated[UUID | None, Query()] = None,
    ) -> HTMLResponse:
        """Invitations to rate, the caller's own aggregate, and (superior/HR) inviting raters for someone."""
        ctx = await _peer_ctx(pool, st, principal)
        ctx["ratee"] = pegawai
        ctx["candidates"] = await colleagues(pool, principal, pegawai) if pegawai else []
        return _render(request, "peer_home.html", ctx)

    @r.post("/360/undang", name="peer_invite", response_class=HTMLResponse)
    async def peer_invite(request: Request, pool: PoolDep, st: StateDep, principal: CurrentPrincipal) -> Response:
        form = await request.form()
        try:
            ratee = UUID(str(form.get("asn_id", "")))
            raters = [UUID(str(v)) for v in form.getlist("rater")]
            relations = {
                UUID(str(v).split(":")[0]): Relation(str(v).split(":")[1])
                for v in form.getlist("relation")
                if ":" in str(v)
            }
        except ValueError:
            ctx = await _peer_ctx(pool, st, principal)
            ctx |= {"ratee": None, "candidates": [], "errors": {"raters": "Pilihan tidak sah."}}
            return _render(request, "peer_home.html", ctx, 422)
        try:
            await peer.invite(
                pool,
                principal,
                ratee,
                str(form.get("period", "")),
                [peer.Invitee(x, relations.get(x, Relation.PEER)) for x in raters],
                jakarta_now(),
            )
        except DomainError as e:
            ctx = await _peer_ctx(pool, st, principal)
            ctx |= {"ratee": ratee, "candidates": await colleagues(pool, principal, ratee), "errors": _errors(e)}
            return _render(request, "peer_home.html", ctx, 422 if isinstance(e, InvalidInput) else 403)
        url = request.url_for("peer_summary_page", asn_id=ratee, period=str(form.get("period", "")))
        return RedirectResponse(str(url), status_code=303)

    @r.get("/360/nilai/{invitation_id}", name="peer_rate_form", response_class=HTMLResponse)
    async def peer_rate_form(
        invitation_id: UUID, request: Request, pool: PoolDep, principal: CurrentPrincipal
    ) -> HTMLResponse:
        inv = await peer.invitation(pool, principal, invitation_id)
        ctx = {"inv": inv, "Value": Value, "Rating": Rating, "values": {}, "errors": {}, "principal": principal}
        return _render(request, "peer_rate.html", ctx)

    @r.post("/360/nilai/{invitation_id}", name="peer_rate_post", response_class=HTMLResponse)
    async def peer_rate_post(
        invitation_id: UUID, request: Request, pool: PoolDep, st: StateDep, principal: CurrentPrincipal
    ) -> Response:
        form = await _form(request)
        ratings = {v.value: form[v.value] for v in Value if form.get(v.value)}
        try:
            inv = await peer.invitation(pool, principal, invitation_id)
            await peer.rate(
                pool, st.directory, principal, invitation_id, ratings, form.get("comment", ""), jakarta_now()
            )
        except InvalidInput as e:
            ctx = {
                "inv": inv,
                "Value": Value,
                "Rating": Rating,
                "values": form,
                "errors": _errors(e),
                "principal": principal,
            }
            return _render(request, "peer_rate.html", ctx, 422)
        return _render(
            request,
            "message.html",
            {
                "heading": "Terima kasih",
                "message": "Penilaian Anda tersimpan tanpa nama. "
                "Pegawai yang dinilai hanya melihat ringkasan gabungan.",
                "lite": False,
                "back": str(request.url_for("peer_home")),
            },
        )

    @r.get("/360/ringkasan/{asn_id}/{period}", name="peer_summary_page", response_class=HTMLResponse)
    async def peer_summary_page(
        asn_id: UUID, period: str, request: Request, pool: PoolDep, st: StateDep, principal: CurrentPrincipal
    ) -> HTMLResponse:
        v = await peer.summary(pool, st.directory, principal, asn_id, period, jakarta_now())
        return _render(
            request, "peer_summary.html", {"v": v, "Value": Value, "principal": principal, "period_label": period_label}
        )

    # --- province: regencies side by side -------------------------------------------------------------------------

    @r.get("/provinsi", name="province_page", response_class=HTMLResponse)
    async def province_page(
        request: Request,
        pool: PoolDep,
        principal: Annotated[
            Principal, Depends(require_roles(Role.ADMIN_PROVINSI, Role.INSPEKTORAT, scope=Scope.PROVINCE))
        ],
        periode: Annotated[str | None, Query(max_length=8, pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")] = None,
    ) -> HTMLResponse:
        """Province read-only roles compare their regencies: IKM (pooled answers of the units) and complaints."""
        if principal.province_id is None:
            raise HTTPException(403, "Akun ini tidak terikat pada provinsi.")
        now = jakarta_now()
        period = periode or period_of(now, PeriodKind.QUARTER)
        rows = await ikm.province_overview(pool, principal.province_id, period, now.date())
        chart = {"labels": [x.name for x in rows], "ikm": [None if x.result.ikm is None else float(x.result.ikm)
                                                           for x in rows]}  # fmt: skip
        return _render(
            request,
            "provinsi.html",
            {"rows": rows, "period": period, "period_label": period_label, "chart": chart, "principal": principal},
        )

    return r
