"""JSON API of the notify service: inbox (+ SSE stream), preferences, BKPSDM settings, agency webhooks."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette.sse import EventSourceResponse

from kinerja_notify.adapters.live import InboxBroadcaster
from kinerja_notify.adapters.webhook_http import check_target
from kinerja_notify.domain.errors import DomainError
from kinerja_notify.domain.routing import EmailMode
from kinerja_notify.entrypoints.subscribers import public_event_types
from kinerja_notify.service import inbox, preferences, subscriptions
from kinerja_notify.service.inbox import Reader
from kinerja_notify.settings import NotifySettings
from kinerja_shared.auth import CurrentAsn, Principal, Role, require_roles
from kinerja_shared.runtime import PoolDep, RuntimeDep


def domain_422(e: DomainError) -> HTTPException:
    """A rule error in the 422 shape of the app factory: field + reason."""
    return HTTPException(
        422,
        detail=[
            {
                "field": e.field,
                "location": "body",
                "type": type(e).__name__,
                "reason": str(e),
                "message_id": str(e),
            }
        ],
    )


def reader_of(principal: CurrentAsn) -> Reader:
    """The inbox owner: an ASN account of a regency; other accounts have no inbox."""
    if principal.asn_id is None or principal.regency_id is None:
        raise HTTPException(403, "Akun Anda tidak terhubung dengan data ASN, sehingga tidak memiliki kotak masuk.")
    return Reader(principal.asn_id, principal.regency_id)


ReaderDep = Annotated[Reader, Depends(reader_of)]
BkpsdmDep = Annotated[Principal, Depends(require_roles(Role.ADMIN_BKPSDM))]
ProvinceDep = Annotated[Principal, Depends(require_roles(Role.ADMIN_PROVINSI))]


def settings_of(rt: RuntimeDep) -> NotifySettings:
    s = rt.settings
    assert isinstance(s, NotifySettings)
    return s


def broadcaster(rt: RuntimeDep) -> InboxBroadcaster:
    b = rt.extras.get("inbox_broadcaster")
    if b is None:
        b = rt.extras["inbox_broadcaster"] = InboxBroadcaster(rt.settings.database_url)
    assert isinstance(b, InboxBroadcaster)
    return b


class InboxItemOut(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str = Field(description="page that explains the notification (path inside Kinerja)")
    created_at: datetime
    read_at: datetime | None


class InboxPage(BaseModel):
    items: list[InboxItemOut]
    unread: int
    next_before: str | None = Field(description="pass as ?before= for the next page")


class MarkRead(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class KindPreference(BaseModel):
    kind: str
    label: str
    email: EmailMode
    own: EmailMode | None
    regency_default: EmailMode


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: dict[str, EmailMode | None] = Field(description="per type: off, instant, digest, or null for the default")


class RegencyDefaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: dict[str, EmailMode]


class HrAdminIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    asn_id: uuid.UUID


class HrAdminOut(BaseModel):
    asn_id: uuid.UUID
    name: str | None
    email: str | None
    added_by: str
    added_at: datetime


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=2000, description="http(s) endpoint of the agency")
    description: str = Field(default="", max_length=300)
    event_types: list[str] = Field(min_length=1, description="public event types, e.g. id.kinerja.public.…")
    regency_ids: list[uuid.UUID] = Field(default_factory=list, description="empty: every regency")


class SubscriptionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(default=None, min_length=8, max_length=2000)
    description: str | None = Field(default=None, max_length=300)
    event_types: list[str] | None = None
    regency_ids: list[uuid.UUID] | None = None
    active: bool | None = None


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    regency_ids: list[uuid.UUID]
    active: bool
    paused_until: datetime | None
    consecutive_failures: int
    pending: int
    delivered: int
    dead: int
    created_by: str
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="Standard Webhooks signing secret (whsec_…); shown only now")


class AttemptOut(BaseModel):
    attempt: int
    at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    response: str | None


class DeliveryOut(BaseModel):
    id: uuid.UUID = Field(description="the webhook-id header: the same on every attempt")
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    regency_id: uuid.UUID
    status: Literal["pending", "delivering", "delivered", "dead"]
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    log: list[AttemptOut]


def _sub_out(s: subscriptions.Subscription) -> SubscriptionOut:
    return SubscriptionOut.model_validate(s, from_attributes=True)


def target_checker(settings: NotifySettings) -> subscriptions.TargetCheck:
    async def check(url: str) -> None:
        await check_target(url, allow_private=settings.allow_private_targets)

    return check


def router() -> APIRouter:
    r = APIRouter(prefix="/api", tags=["notify"])

    @r.get("/inbox", response_model=InboxPage)
    async def list_inbox(
        pool: PoolDep,
        reader: ReaderDep,
        unread: bool = False,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        before: Annotated[str | None, Query(pattern=r"^[0-9T:.+\-Z ]+_[0-9a-f-]{36}$")] = None,
    ) -> InboxPage:
        """The caller's notifications, newest first."""
        cursor = None
        if before:
            t, _, i = before.rpartition("_")
            try:
                cursor = (datetime.fromisoformat(t), uuid.UUID(i))
            except ValueError:
                raise HTTPException(422, "Kursor halaman tidak sah.") from None
        items = await inbox.list_items(pool, reader, unread_only=unread, limit=limit, before=cursor)
        last = items[-1] if len(items) == limit else None
        return InboxPage(
            items=[InboxItemOut.model_validate(i, from_attributes=True) for i in items],
            unread=await inbox.unread_count(pool, reader),
            next_before=f"{last.created_at.isoformat()}_{last.id}" if last else None,
        )

    @r.get("/inbox/unread-count")
    async def unread_count(pool: PoolDep, reader: ReaderDep) -> dict[str, int]:
        return {"unread": await inbox.unread_count(pool, reader)}

    @r.post("/inbox/read", response_model=list[InboxItemOut])
    async def mark_read(body: MarkRead, pool: PoolDep, reader: ReaderDep) -> list[InboxItemOut]:
        """Mark items read; ids that are not the caller's are ignored."""
        items = await inbox.mark_read(pool, reader, body.ids)
        return [InboxItemOut.model_validate(i, from_attributes=True) for i in items]

    @r.post("/inbox/read-all")
    async def mark_all_read(pool: PoolDep, reader: ReaderDep) -> dict[str, int]:
        return {"marked": await inbox.mark_all_read(pool, reader)}

    @r.get("/inbox/stream")
    async def stream(
        request: Request, pool: PoolDep, reader: ReaderDep, live: Annotated[InboxBroadcaster, Depends(broadcaster)]
    ) -> EventSourceResponse:
        """Server-sent events: `unread` with the count now and whenever it changes (the live badge)."""

        async def events() -> AsyncIterator[dict[str, str]]:
            async with live.subscribe(reader.asn_id) as changed:
                last = -1
                while True:
                    n = await inbox.unread_count(pool, reader)
                    if n != last:
                        last = n
                        yield {"event": "unread", "data": str(n)}
                    # a burst of items becomes one update; 30 s re-check covers a lost LISTEN connection
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), 30)
                    changed.clear()
                    await asyncio.sleep(0.2)

        return EventSourceResponse(events(), ping=15, headers={"x-accel-buffering": "no"})

    @r.get("/preferences", response_model=list[KindPreference])
    async def get_preferences(pool: PoolDep, reader: ReaderDep) -> list[KindPreference]:
        """E-mail channel per notification type (in-app is always on)."""
        prefs = await preferences.user_preferences(pool, reader.regency_id, reader.asn_id)
        return [KindPreference.model_validate(p, from_attributes=True) for p in prefs]

    @r.put("/preferences", response_model=list[KindPreference])
    async def put_preferences(body: PreferencesIn, pool: PoolDep, reader: ReaderDep) -> list[KindPreference]:
        try:
            await preferences.set_user_preferences(pool, reader.regency_id, reader.asn_id, body.email)
        except DomainError as e:
            raise domain_422(e) from e
        return await get_preferences(pool, reader)

    @r.get("/regency/defaults")
    async def get_defaults(pool: PoolDep, admin: BkpsdmDep) -> dict[str, EmailMode]:
        """The regency's default e-mail channel per type (BKPSDM admins)."""
        assert admin.regency_id is not None
        defaults: dict[str, EmailMode] = await preferences.regency_defaults(pool, admin.regency_id)
        return defaults

    @r.put("/regency/defaults")
    async def put_defaults(body: RegencyDefaultsIn, pool: PoolDep, admin: BkpsdmDep) -> dict[str, EmailMode]:
        assert admin.regency_id is not None
        try:
            await preferences.set_regency_defaults(pool, admin.regency_id, body.email)
        except DomainError as e:
            raise domain_422(e) from e
        saved: dict[str, EmailMode] = await preferences.regency_defaults(pool, admin.regency_id)
        return saved

    @r.get("/regency/hr-admins", response_model=list[HrAdminOut])
    async def get_hr_admins(pool: PoolDep, admin: BkpsdmDep) -> list[HrAdminOut]:
        """Who receives the BKPSDM (HR admin) notifications of Table R1 in this regency."""
        assert admin.regency_id is not None
        return [
            HrAdminOut.model_validate(a, from_attributes=True)
            for a in await preferences.hr_admins(pool, admin.regency_id)
        ]

    @r.post("/regency/hr-admins", response_model=list[HrAdminOut], status_code=201)
    async def add_hr_admin(body: HrAdminIn, pool: PoolDep, admin: BkpsdmDep) -> list[HrAdminOut]:
        assert admin.regency_id is not None
        if not await preferences.add_hr_admin(pool, admin.regency_id, body.asn_id, admin.sub):
            raise HTTPException(
                422,
                detail=[
                    {
                        "field": "asn_id",
                        "location": "body",
                        "type": "unknown_asn",
                        "reason": "ASN is not known in this regency",
                        "message_id": "ASN tidak ditemukan di kabupaten/kota ini.",
                    }
                ],
            )
        return await get_hr_admins(pool, admin)

    @r.delete("/regency/hr-admins/{asn_id}", status_code=204)
    async def remove_hr_admin(asn_id: uuid.UUID, pool: PoolDep, admin: BkpsdmDep) -> None:
        assert admin.regency_id is not None
        if not await preferences.remove_hr_admin(pool, admin.regency_id, asn_id):
            raise HTTPException(404, "Admin tidak ditemukan.")

    @r.get("/webhooks/event-types")
    async def event_types(_: ProvinceDep) -> list[str]:
        """Public event types agencies may subscribe to."""
        return sorted(public_event_types())

    @r.get("/webhooks", response_model=list[SubscriptionOut])
    async def list_webhooks(pool: PoolDep, _: ProvinceDep) -> list[SubscriptionOut]:
        return [_sub_out(s) for s in await subscriptions.list_subscriptions(pool)]

    @r.post("/webhooks", response_model=SubscriptionCreated, status_code=201)
    async def create_webhook(
        body: SubscriptionIn,
        pool: PoolDep,
        admin: ProvinceDep,
        settings: Annotated[NotifySettings, Depends(settings_of)],
    ) -> SubscriptionCreated:
        """Subscribe an agency endpoint; the answer carries the signing secret, shown only here."""
        try:
            sub, secret = await subscriptions.create_subscription(
                pool,
                url=body.url,
                description=body.description,
                event_types=body.event_types,
                regency_ids=body.regency_ids,
                created_by=admin.sub,
                known_types=list(public_event_types()),
                check_target=target_checker(settings),
            )
        except DomainError as e:
            raise domain_422(e) from e
        return SubscriptionCreated(**_sub_out(sub).model_dump(), secret=secret)

    @r.get("/webhooks/dead", response_model=list[DeliveryOut])
    async def dead_letters(
        pool: PoolDep, _: ProvinceDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
    ) -> list[DeliveryOut]:
        """The webhook DLQ: deliveries that used up their retries, newest first."""
        return [
            DeliveryOut.model_validate(d, from_attributes=True)
            for d in await subscriptions.deliveries(pool, None, status="dead", limit=limit)
        ]

    @r.get("/webhooks/{sid}", response_model=SubscriptionOut)
    async def get_webhook(sid: uuid.UUID, pool: PoolDep, _: ProvinceDep) -> SubscriptionOut:
        s = await subscriptions.get_subscription(pool, sid)
        if s is None:
            raise HTTPException(404, "Langganan webhook tidak ditemukan.")
        return _sub_out(s)

    @r.patch("/webhooks/{sid}", response_model=SubscriptionOut)
    async def patch_webhook(
        sid: uuid.UUID,
        body: SubscriptionPatch,
        pool: PoolDep,
        _: ProvinceDep,
        settings: Annotated[NotifySettings, Depends(settings_of)],
    ) -> SubscriptionOut:
        try:
            s = await subscriptions.update_subscription(
                pool, sid, url=body.url, description=body.description, event_types=body.event_types,
                regency_ids=body.regency_ids, active=body.active, known_types=list(public_event_types()),
                check_target=target_checker(settings),
            )  # fmt: skip
        except DomainError as e:
            raise domain_422(e) from e
        if s is None:
            raise HTTPException(404, "Langganan webhook tidak ditemukan.")
        return _sub_out(s)

    @r.delete("/webhooks/{sid}", status_code=204)
    async def delete_webhook(sid: uuid.UUID, pool: PoolDep, _: ProvinceDep) -> None:
        if not await subscriptions.delete_subscription(pool, sid):
            raise HTTPException(404, "Langganan webhook tidak ditemukan.")

    @r.post("/webhooks/{sid}/resume", response_model=SubscriptionOut)
    async def resume_webhook(sid: uuid.UUID, pool: PoolDep, _: ProvinceDep) -> SubscriptionOut:
        """Close a paused endpoint's circuit by hand; pending deliveries go out right away."""
        if not await subscriptions.resume(pool, sid):
            raise HTTPException(404, "Langganan webhook tidak ditemukan.")
        return await get_webhook(sid, pool, _)

    @r.post("/webhooks/{sid}/rotate-secret")
    async def rotate(sid: uuid.UUID, pool: PoolDep, _: ProvinceDep) -> dict[str, str]:
        secret = await subscriptions.rotate_secret(pool, sid)
        if secret is None:
            raise HTTPException(404, "Langganan webhook tidak ditemukan.")
        return {"secret": secret}

    @r.get("/webhooks/{sid}/deliveries", response_model=list[DeliveryOut])
    async def list_deliveries(
        sid: uuid.UUID,
        pool: PoolDep,
        _: ProvinceDep,
        status_: Annotated[Literal["pending", "delivering", "delivered", "dead"] | None, Query(alias="status")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> list[DeliveryOut]:
        """The delivery log: each delivery with every attempt (time, HTTP status, error, duration)."""
        ds = await subscriptions.deliveries(pool, sid, status=status_, limit=limit)
        return [DeliveryOut.model_validate(d, from_attributes=True) for d in ds]

    @r.post("/webhooks/deliveries/{delivery_id}/redeliver", response_model=DeliveryOut)
    async def redeliver(delivery_id: uuid.UUID, pool: PoolDep, _: ProvinceDep) -> DeliveryOut:
        """Send again now with the same webhook-id and body."""
        d = await subscriptions.redeliver(pool, delivery_id)
        if d is None:
            raise HTTPException(409, "Pengiriman tidak ditemukan atau sedang berlangsung.")
        return DeliveryOut.model_validate(d, from_attributes=True)

    return r
