"""Pages (Bahasa Indonesia, phone-first): Notifikasi inbox, preferences, BKPSDM settings, agency webhooks."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from kinerja_notify.domain.errors import DomainError
from kinerja_notify.domain.routing import EMAIL_MODE_LABELS, R1, EmailMode
from kinerja_notify.entrypoints.routes import (
    BkpsdmDep,
    ProvinceDep,
    reader_of,
    settings_of,
    target_checker,
)
from kinerja_notify.entrypoints.subscribers import public_event_types
from kinerja_notify.service import inbox, preferences, subscriptions
from kinerja_notify.settings import NotifySettings
from kinerja_shared.auth import OptionalPrincipal, Principal, Role, current_asn
from kinerja_shared.policy import public
from kinerja_shared.runtime import PoolDep
from kinerja_shared.web import path_for

ASSETS = {p.name: p for p in (Path(__file__).parent.parent / "assets").glob("*.js")}

STATUS_LABELS = {
    "pending": "Menunggu",
    "delivering": "Dikirim",
    "delivered": "Terkirim",
    "dead": "Gagal (DLQ)",
}


# inbox pages belong to an ASN acting as themselves (declares the route policy; others get 401/403)
ASN_ONLY = Depends(current_asn)


def _page(request: Request, name: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
    principal: Principal | None = ctx.get("principal")
    ctx.setdefault("is_bkpsdm", bool(principal and principal.has_role(Role.ADMIN_BKPSDM)))
    ctx.setdefault("is_province", bool(principal and principal.has_role(Role.ADMIN_PROVINSI)))
    ctx.setdefault("has_inbox", bool(principal and principal.asn_id and principal.regency_id))
    return request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status_code)  # type: ignore[no-any-return]


def _see_other(request: Request, name: str, **params: Any) -> RedirectResponse:
    return RedirectResponse(path_for(request, name, **params), status_code=303)


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/assets/{filename}", name="notify_asset", dependencies=[public("static script file, no data")])
    async def asset(filename: str) -> Response:
        """The service's own script files (the CSP admits scripts from our origin only, never inline)."""
        if filename not in ASSETS:
            raise HTTPException(404, "Berkas tidak ditemukan.")
        return FileResponse(ASSETS[filename], media_type="text/javascript", headers={"cache-control": "max-age=300"})

    @r.get("/", name="home", response_class=HTMLResponse)
    async def home(request: Request, pool: PoolDep, principal: OptionalPrincipal, belum: bool = False) -> Response:
        """Notifikasi: the inbox for a signed-in ASN, a short explanation otherwise."""
        if principal is None or principal.asn_id is None or principal.regency_id is None:
            return _page(request, "notify/home.html", {"principal": principal})
        reader = reader_of(principal)
        items = await inbox.list_items(pool, reader, unread_only=belum, limit=50)
        unread = await inbox.unread_count(pool, reader)
        ctx = {"principal": principal, "items": items, "unread": unread, "belum": belum}
        if request.headers.get("hx-request"):
            return _page(request, "notify/_list.html", ctx)
        return _page(request, "notify/inbox.html", ctx)

    @r.get("/buka/{item_id}", name="open_item", dependencies=[ASN_ONLY])
    async def open_item(item_id: uuid.UUID, pool: PoolDep, principal: OptionalPrincipal, request: Request) -> Response:
        """Open a notification: mark it read and go to the page that explains it."""
        if principal is None:
            raise HTTPException(401, "Belum masuk.")
        items = await inbox.mark_read(pool, reader_of(principal), [item_id])
        if not items:
            raise HTTPException(404, "Notifikasi tidak ditemukan.")
        return RedirectResponse(items[0].link, status_code=303)

    @r.post("/baca/{item_id}", name="read_item", dependencies=[ASN_ONLY])
    async def read_item(item_id: uuid.UUID, pool: PoolDep, principal: OptionalPrincipal, request: Request) -> Response:
        if principal is None:
            raise HTTPException(401, "Belum masuk.")
        await inbox.mark_read(pool, reader_of(principal), [item_id])
        return _see_other(request, "home")

    @r.post("/baca-semua", name="read_all", dependencies=[ASN_ONLY])
    async def read_all(pool: PoolDep, principal: OptionalPrincipal, request: Request) -> Response:
        if principal is None:
            raise HTTPException(401, "Belum masuk.")
        await inbox.mark_all_read(pool, reader_of(principal))
        return _see_other(request, "home")

    @r.get("/pengaturan", name="preferences", response_class=HTMLResponse, dependencies=[ASN_ONLY])
    async def prefs(request: Request, pool: PoolDep, principal: OptionalPrincipal, tersimpan: bool = False) -> Response:
        """Preferences: e-mail per type (in-app is always on)."""
        if principal is None:
            raise HTTPException(401, "Belum masuk.")
        reader = reader_of(principal)
        choices = await preferences.user_preferences(pool, reader.regency_id, reader.asn_id)
        return _page(
            request,
            "notify/preferences.html",
            {"principal": principal, "choices": choices, "modes": EMAIL_MODE_LABELS, "saved": tersimpan},
        )

    @r.post("/pengaturan", name="save_preferences", dependencies=[ASN_ONLY])
    async def save_prefs(request: Request, pool: PoolDep, principal: OptionalPrincipal) -> Response:
        if principal is None:
            raise HTTPException(401, "Belum masuk.")
        reader = reader_of(principal)
        form = await request.form()
        choices: dict[str, EmailMode | None] = {}
        for kind in R1:
            value = form.get(f"email_{kind}")
            if value == "default":
                choices[kind] = None
            elif isinstance(value, str) and value in EmailMode._value2member_map_:
                choices[kind] = EmailMode(value)
        await preferences.set_user_preferences(pool, reader.regency_id, reader.asn_id, choices)
        return RedirectResponse(path_for(request, "preferences") + "?tersimpan=1", status_code=303)

    @r.get("/admin/kabupaten", name="regency_admin", response_class=HTMLResponse)
    async def regency_admin(request: Request, pool: PoolDep, admin: BkpsdmDep, pesan: str = "") -> Response:
        """BKPSDM: the regency's default e-mail channel per type, and who receives BKPSDM notifications."""
        assert admin.regency_id is not None
        defaults = await preferences.regency_defaults(pool, admin.regency_id)
        admins = await preferences.hr_admins(pool, admin.regency_id)
        return _page(
            request,
            "notify/regency_admin.html",
            {"principal": admin, "defaults": defaults, "routes": R1, "modes": EMAIL_MODE_LABELS, "admins": admins,
             "message": pesan},
        )  # fmt: skip

    @r.post("/admin/kabupaten/default", name="save_regency_defaults")
    async def save_defaults(request: Request, pool: PoolDep, admin: BkpsdmDep) -> Response:
        assert admin.regency_id is not None
        form = await request.form()
        choices = {
            k: EmailMode(str(form[f"email_{k}"]))
            for k in R1
            if str(form.get(f"email_{k}", "")) in EmailMode._value2member_map_
        }
        await preferences.set_regency_defaults(pool, admin.regency_id, choices)
        return RedirectResponse(path_for(request, "regency_admin") + "?pesan=Tersimpan", status_code=303)

    @r.post("/admin/kabupaten/admin", name="add_hr_admin")
    async def add_admin(request: Request, pool: PoolDep, admin: BkpsdmDep, asn_id: Annotated[str, Form()]) -> Response:
        assert admin.regency_id is not None
        try:
            ok = await preferences.add_hr_admin(pool, admin.regency_id, uuid.UUID(asn_id.strip()), admin.sub)
        except ValueError:
            ok = False
        msg = "Admin ditambahkan" if ok else "ID ASN tidak ditemukan di kabupaten/kota ini"
        return RedirectResponse(path_for(request, "regency_admin") + f"?pesan={msg}", status_code=303)

    @r.post("/admin/kabupaten/admin/{asn_id}/hapus", name="remove_hr_admin")
    async def remove_admin(request: Request, asn_id: uuid.UUID, pool: PoolDep, admin: BkpsdmDep) -> Response:
        assert admin.regency_id is not None
        await preferences.remove_hr_admin(pool, admin.regency_id, asn_id)
        return RedirectResponse(path_for(request, "regency_admin") + "?pesan=Admin dihapus", status_code=303)

    @r.get("/admin/webhook", name="webhooks", response_class=HTMLResponse)
    async def webhooks(request: Request, pool: PoolDep, admin: ProvinceDep) -> Response:
        """Agency webhook subscriptions of the province, with a form for a new one."""
        return await _webhooks_page(request, pool, admin)

    async def _webhooks_page(
        request: Request,
        pool: Any,
        admin: Principal,
        *,
        errors: list[str] | None = None,
        created: tuple[subscriptions.Subscription, str] | None = None,
        values: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response:
        subs = await subscriptions.list_subscriptions(pool)
        regencies = await pool.fetch("SELECT regency_id, name FROM org_regency ORDER BY name")
        return _page(
            request,
            "notify/webhooks.html",
            {"principal": admin, "subs": subs, "types": sorted(public_event_types()), "regencies": regencies,
             "errors": errors or [], "created": created, "values": values or {}},
            status_code,
        )  # fmt: skip

    @r.post("/admin/webhook", name="create_webhook")
    async def create(
        request: Request,
        pool: PoolDep,
        admin: ProvinceDep,
        settings: Annotated[NotifySettings, Depends(settings_of)],
    ) -> Response:
        form = await request.form()
        url = str(form.get("url", "")).strip()
        values = {"url": url, "description": str(form.get("description", ""))[:300]}
        try:
            regency_ids = [uuid.UUID(str(v)) for v in form.getlist("regency_ids")]
            created = await subscriptions.create_subscription(
                pool,
                url=url,
                description=values["description"],
                event_types=[str(v) for v in form.getlist("event_types")],
                regency_ids=regency_ids,
                created_by=admin.sub,
                known_types=list(public_event_types()),
                check_target=target_checker(settings),
            )
        except DomainError as e:
            return await _webhooks_page(request, pool, admin, errors=[str(e)], values=values, status_code=422)
        except ValueError:
            return await _webhooks_page(request, pool, admin, errors=["Kabupaten/kota tidak sah."], values=values,
                                        status_code=422)  # fmt: skip
        return await _webhooks_page(request, pool, admin, created=created, status_code=201)

    @r.get("/admin/webhook/{sid}", name="webhook_detail", response_class=HTMLResponse)
    async def detail(
        request: Request, sid: uuid.UUID, pool: PoolDep, admin: ProvinceDep, status: str | None = None
    ) -> Response:
        """One subscription: its circuit, the delivery log per attempt, redeliver and resume."""
        sub = await subscriptions.get_subscription(pool, sid)
        if sub is None:
            raise HTTPException(404, "Langganan webhook tidak ditemukan.")
        st = status if status in STATUS_LABELS else None
        ds = await subscriptions.deliveries(pool, sid, status=st, limit=50)
        return _page(
            request,
            "notify/webhook_detail.html",
            {"principal": admin, "sub": sub, "deliveries": ds, "labels": STATUS_LABELS, "status": st},
        )

    @r.post("/admin/webhook/{sid}/lanjutkan", name="resume_webhook")
    async def resume(request: Request, sid: uuid.UUID, pool: PoolDep, admin: ProvinceDep) -> Response:
        await subscriptions.resume(pool, sid)
        return _see_other(request, "webhook_detail", sid=sid)

    @r.post("/admin/webhook/{sid}/nonaktifkan", name="deactivate_webhook")
    async def deactivate(request: Request, sid: uuid.UUID, pool: PoolDep, admin: ProvinceDep) -> Response:
        await pool.execute("UPDATE webhook_subscription SET active = false WHERE id = $1", sid)
        return _see_other(request, "webhook_detail", sid=sid)

    @r.post("/admin/webhook/kirim-ulang/{delivery_id}", name="redeliver")
    async def redeliver(request: Request, delivery_id: uuid.UUID, pool: PoolDep, admin: ProvinceDep) -> Response:
        d = await subscriptions.redeliver(pool, delivery_id)
        if d is None:
            raise HTTPException(409, "Pengiriman tidak ditemukan atau sedang berlangsung.")
        return _see_other(request, "webhook_detail", sid=d.subscription_id)

    return r


__all__ = ["router", "NotifySettings"]
