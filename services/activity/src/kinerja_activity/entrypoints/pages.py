"""Pages (Bahasa Indonesia, phone-first): Kegiatan Harian, Verifikasi, Tim Hari Ini (live via SSE).

Live view: Server-Sent Events (sse-starlette) pushing the rendered team fragment. Chosen over htmx polling
because a change reaches the superior as soon as it commits (PostgreSQL NOTIFY → the API's one LISTEN
connection → the stream), while idle screens cost no queries; EventSource reconnects by itself, and a
30-second refresh keeps lateness current even when nothing is written.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sse_starlette.sse import EventSourceResponse

from kinerja_activity.adapters.live import LiveHub
from kinerja_activity.domain.activity import ActivityStatus
from kinerja_activity.domain.calendar import working_days_waited
from kinerja_activity.domain.errors import DomainError, InvalidInput, NotAllowed, NotFound, StateConflict, Violation
from kinerja_activity.domain.evidence import check_evidence
from kinerja_activity.entrypoints.common import CallerDep, now
from kinerja_activity.entrypoints.routes import _settings, read_upload, store_of
from kinerja_activity.service import activities as acts
from kinerja_activity.service import attendance as att
from kinerja_activity.service import verification as ver
from kinerja_activity.service.commands import ActivityIn
from kinerja_shared.auth import CurrentPrincipal, OptionalPrincipal
from kinerja_shared.http import validation_detail
from kinerja_shared.runtime import PoolDep, Runtime, get_runtime
from kinerja_shared.web import JAKARTA, path_for

HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
STATUS_LABEL = {
    ActivityStatus.PENDING.value: "Menunggu verifikasi",
    ActivityStatus.VERIFIED.value: "Diverifikasi",
    ActivityStatus.REJECTED.value: "Ditolak",
    ActivityStatus.WITHDRAWN.value: "Ditarik",
}
TEAM_STATES = ("Hadir tepat waktu", "Terlambat", "Izin/cuti/dinas/sakit", "Alpa", "Belum absen")
TEAM_COLORS = ("#2e7d32", "#f9a825", "#1565c0", "#c62828", "#9e9e9e")
FIELD_LABEL = {
    "activity_date": "Tanggal",
    "start_time": "Jam mulai",
    "end_time": "Jam selesai",
    "description": "Uraian kegiatan",
    "quantity": "Jumlah",
    "output": "Satuan keluaran",
    "indicator_id": "Indikator/RHK",
    "evidence": "Bukti",
    "id": "Kegiatan",
}


def _render(request: Request, name: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
    resp: Response = request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status_code)
    return resp


def _hub(request: Request) -> LiveHub:
    hub: LiveHub | None = getattr(request.app.state, "live_hub", None)
    if hub is None:
        hub = LiveHub(_settings(request).database_url)
        request.app.state.live_hub = hub
        get_runtime(request).closers.append(hub.close)  # else its LISTEN task outlives the app
    return hub


def _day_label(d: date) -> str:
    return HARI[d.weekday()]


def team_summary(rows: list[Any]) -> dict[str, int]:
    return {
        "total": len(rows),
        "reported": sum(1 for r in rows if r["activities_today"]),
        "late": sum(1 for r in rows if (r["late_minutes"] or 0) > 0),
        "absent": sum(1 for r in rows if r["attendance"] is None),
        "pending": sum(r["pending"] for r in rows),
    }


def team_state(row: Any) -> int:
    """Index into TEAM_STATES of one subordinate's status today."""
    status = row["attendance"]
    if status is None or (status == "hadir" and row["check_in"] is None):
        return 4
    if status == "alpa":
        return 3
    if status != "hadir":
        return 2
    return 1 if (row["late_minutes"] or 0) > 0 else 0


def team_charts(rows: list[Any], quota: int) -> dict[str, Any]:
    """Chart.js configs (drawn by kinerja.js from data-chart; CSP allows no inline script)."""
    counts = [0] * len(TEAM_STATES)
    for row in rows:
        counts[team_state(row)] += 1
    names = [str(r["name"]) for r in rows]
    status = {
        "type": "doughnut",
        "data": {"labels": list(TEAM_STATES), "datasets": [{"data": counts, "backgroundColor": list(TEAM_COLORS)}]},
        "options": {"animation": False, "plugins": {"legend": {"position": "bottom"}}},
    }
    minutes = {
        "type": "bar",
        "data": {
            "labels": names,
            "datasets": [
                {
                    "label": "Menit terverifikasi bulan ini",
                    "data": [int(r["verified_minutes_month"]) for r in rows],
                    "backgroundColor": "#2e7d32",
                },
                {"label": f"Kuota ({quota} menit)", "data": [quota] * len(rows), "type": "line", "pointRadius": 0},
            ],
        },
        "options": {"animation": False, "indexAxis": "y", "scales": {"x": {"min": 0}}},
    }
    return {"status": status, "minutes": minutes, "counts": dict(zip(TEAM_STATES, counts, strict=True))}


def pages_router(_rt: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/", name="home", response_class=HTMLResponse)
    async def home(request: Request, principal: OptionalPrincipal) -> Response:
        """Landing page: what the service does and the caller's way in."""
        return _render(request, "activity/home.html", {"principal": principal})

    async def _kegiatan(
        request: Request,
        pool: Any,
        caller: acts.Caller,
        *,
        errors: list[Violation] | None = None,
        form: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        today = now().date()
        week_start = today - timedelta(days=today.weekday())
        rows = await acts.list_activities(pool, caller, min(week_start, today - timedelta(days=6)), today)
        summary = await acts.month_summary(pool, caller, today)
        indicators = await acts.indicator_choices(pool, caller, today.year)
        attendance = [a for a in await att.month_attendance(pool, caller, today) if a["work_date"] == today]
        todays = [x for x in rows if x["activity_date"] == today]
        last_end = max((x["end_time"] for x in todays), default=None)
        start, end = acts.default_times(last_end)
        days: dict[date, list[Any]] = {}
        for x in rows:
            days.setdefault(x["activity_date"], []).append(x)
        values = {
            "activity_date": today.isoformat(),
            "start_time": start.strftime("%H:%M"),
            "end_time": end.strftime("%H:%M"),
            "indicator_id": str(indicators[0]["indicator_id"]) if len(indicators) == 1 else "",
            "description": "",
            "quantity": "1",
            "output": "kegiatan",
        } | (form or {})
        return _render(
            request,
            "activity/kegiatan.html",
            {
                "today": today,
                "days": sorted(days.items(), reverse=True),
                "today_minutes": sum(x["minutes"] for x in todays),
                "summary": summary,
                "indicators": indicators,
                "attendance": attendance[0] if attendance else None,
                "values": values,
                "errors": [(FIELD_LABEL.get(v.field.split(".")[0], v.field), v.reason) for v in errors or []],
                "status_label": STATUS_LABEL,
                "day_label": _day_label,
                "saved": request.query_params.get("tersimpan") == "1",
                "notice": request.query_params.get("pesan", ""),
            },
            status_code,
        )

    @r.get("/kegiatan", name="kegiatan", response_class=HTMLResponse)
    async def kegiatan(request: Request, pool: PoolDep, caller: CallerDep) -> Response:
        """Kegiatan Harian: add in a few taps, today's and this week's list, minutes against the quota."""
        return await _kegiatan(request, pool, caller)

    @r.post("/kegiatan", name="kegiatan_add", response_class=HTMLResponse)
    async def kegiatan_add(
        request: Request,
        pool: PoolDep,
        caller: CallerDep,
        activity_date: Annotated[str, Form()] = "",
        start_time: Annotated[str, Form()] = "",
        end_time: Annotated[str, Form()] = "",
        indicator_id: Annotated[str, Form()] = "",
        description: Annotated[str, Form()] = "",
        quantity: Annotated[str, Form()] = "1",
        output: Annotated[str, Form()] = "kegiatan",
        bukti: Annotated[UploadFile | None, File()] = None,
    ) -> Response:
        form = {
            "activity_date": activity_date,
            "start_time": start_time,
            "end_time": end_time,
            "indicator_id": indicator_id,
            "description": description,
            "quantity": quantity,
            "output": output,
        }
        try:
            qty = Decimal(quantity.replace(",", ".") or "1")
        except InvalidOperation:
            qty = Decimal(-1)
        s = _settings(request)
        try:
            item = ActivityIn.model_validate(form | {"quantity": qty})
            content = await read_upload(bukti, s.evidence_max_bytes) if bukti is not None and bukti.filename else None
            if content is not None:
                check_evidence(content, max_bytes=s.evidence_max_bytes, field="evidence")  # before saving anything
            row = await acts.report_activity(pool, caller, item, now=now())
            if content is not None:
                await acts.attach_evidence(
                    pool,
                    store_of(request),
                    caller,
                    row["activity_id"],
                    content,
                    bukti.filename or "bukti",  # type: ignore[union-attr]
                    max_bytes=s.evidence_max_bytes,
                    now=now(),
                )
        except ValidationError as e:
            errs = [Violation(".".join(str(p) for p in x["loc"]), _id_message(x), x["type"]) for x in e.errors()]
            return await _kegiatan(request, pool, caller, errors=errs, form=form, status_code=422)
        except InvalidInput as e:
            return await _kegiatan(request, pool, caller, errors=e.violations, form=form, status_code=422)
        except StateConflict as e:
            return await _kegiatan(
                request, pool, caller, errors=[Violation("id", e.reason, e.code)], form=form, status_code=409
            )
        return RedirectResponse(path_for(request, "kegiatan") + "?tersimpan=1", status_code=303)

    @r.post("/kegiatan/absen", name="absen")
    async def absen(
        request: Request, pool: PoolDep, caller: CallerDep, arah: Annotated[str, Form()] = "masuk"
    ) -> Response:
        """Check in or out from the Kegiatan Harian page."""
        msg = ""
        try:
            await att.check_in_out(pool, caller, check_out=arah == "pulang", now=now())
        except DomainError as e:
            msg = getattr(e, "reason", str(e))
        url = path_for(request, "kegiatan")
        if msg:
            url += "?pesan=" + quote(msg)
        return RedirectResponse(url, status_code=303)

    @r.post("/kegiatan/{activity_id}/tarik", name="kegiatan_tarik")
    async def kegiatan_tarik(
        activity_id: UUID, request: Request, pool: PoolDep, caller: CallerDep, principal: CurrentPrincipal
    ) -> Response:
        """Withdraw one's own pending activity from the Kegiatan Harian list."""
        url = path_for(request, "kegiatan")
        try:
            await acts.withdraw_activity(pool, caller, activity_id, now=now(), principal=principal)
        except StateConflict as e:
            return RedirectResponse(url + "?pesan=" + quote(e.reason), status_code=303)
        except NotFound:
            return RedirectResponse(url + "?pesan=" + quote("Kegiatan tidak ditemukan."), status_code=303)
        return RedirectResponse(url + "?pesan=" + quote("Kegiatan ditarik."), status_code=303)

    @r.get("/verifikasi", name="verifikasi", response_class=HTMLResponse)
    async def verifikasi(request: Request, pool: PoolDep, caller: CallerDep) -> Response:
        """Verifikasi: subordinates' pending activities, bulk approve, reject with a reason."""
        today = now().date()
        rows = await ver.pending_queue(pool, caller, today=today)
        items = [(x, working_days_waited(x["reported_at"].astimezone(JAKARTA).date(), today)) for x in rows]
        return _render(
            request,
            "activity/verifikasi.html",
            {
                "items": items,
                "day_label": _day_label,
                "done": request.query_params.get("selesai", ""),
                "notice": request.query_params.get("pesan", ""),
            },
        )

    @r.post("/verifikasi", name="verifikasi_submit")
    async def verifikasi_submit(
        request: Request, pool: PoolDep, caller: CallerDep, principal: CurrentPrincipal
    ) -> Response:
        form = await request.form()
        action = str(form.get("aksi", "setujui"))
        url = path_for(request, "verifikasi")
        try:
            if action == "tolak":
                target = UUID(str(form.get("activity_id", "")))
                reason = str(form.get("alasan", "")).strip()
                if len(reason) < 3:
                    raise InvalidInput([Violation("alasan", "Alasan penolakan wajib diisi.", "missing")])
                changed = await ver.decide(
                    pool, caller, [target], approve=False, reason=reason, now=now(), principal=principal
                )
            else:
                ids = [UUID(str(v)) for v in form.getlist("ids")]
                if not ids:
                    raise InvalidInput([Violation("ids", "Pilih minimal satu kegiatan.", "missing")])
                changed = await ver.decide(pool, caller, ids, approve=True, now=now(), principal=principal)
        except ValueError:
            return RedirectResponse(url + "?pesan=Data+tidak+sah.", status_code=303)
        except (InvalidInput, StateConflict) as e:
            text = e.violations[0].reason if isinstance(e, InvalidInput) else e.reason
            return RedirectResponse(url + "?pesan=" + quote(text), status_code=303)
        except NotAllowed:
            return RedirectResponse(url + "?pesan=Bukan+bawahan+Anda.", status_code=303)
        except NotFound:
            return RedirectResponse(url + "?pesan=Kegiatan+tidak+ditemukan.", status_code=303)
        verb = "ditolak" if action == "tolak" else "disetujui"
        return RedirectResponse(url + f"?selesai={len(changed)}+kegiatan+{verb}", status_code=303)

    async def _team_html(request: Request, pool: Any, caller: acts.Caller) -> str:
        today = now().date()
        rows = await ver.team_today(pool, caller, today=today)
        quota = (await acts.month_summary(pool, caller, today)).quota_minutes
        tpl = request.app.state.templates.env.get_template("activity/_tim.html")
        html: str = tpl.render(
            request=request,
            rows=rows,
            summary=team_summary(rows),
            charts=team_charts(rows, quota),
            quota=quota,
            at=now(),
            today=today,
        )
        return html

    @r.get("/tim", name="tim", response_class=HTMLResponse)
    async def tim(request: Request, pool: PoolDep, caller: CallerDep, principal: CurrentPrincipal) -> Response:
        """Tim Hari Ini: who reported, who is late, pending count; updates itself (SSE)."""
        return _render(
            request,
            "activity/tim.html",
            {"principal": principal, "team_html": await _team_html(request, pool, caller)},
        )

    @r.get("/tim/fragmen", name="tim_fragment", response_class=HTMLResponse)
    async def tim_fragment(request: Request, pool: PoolDep, caller: CallerDep) -> HTMLResponse:
        return HTMLResponse(await _team_html(request, pool, caller))

    @r.get("/tim/stream", name="tim_stream")
    async def tim_stream(request: Request, pool: PoolDep, caller: CallerDep) -> EventSourceResponse:
        hub = _hub(request)

        async def events() -> AsyncIterator[dict[str, str]]:
            wake = hub.subscribe(caller.regency_id)
            last = ""
            try:
                while True:
                    wake.clear()
                    html = await _team_html(request, pool, caller)
                    if html != last:
                        last = html
                        yield {"event": "team", "data": html}
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), 30)
                    await asyncio.sleep(0.2)  # a burst of writes (a synced batch) becomes one refresh
            finally:
                hub.unsubscribe(caller.regency_id, wake)

        return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    return r


def _id_message(err: Any) -> str:
    return str(validation_detail([err])[0]["message_id"])
