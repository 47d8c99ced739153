"""HTTP API and pages in-process on real PostgreSQL: auth, 403/422 shapes, inbox, preferences, webhooks."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from kinerja_notify.bootstrap import DEFINITION
from kinerja_notify.service.intake import Links, accept_requests
from kinerja_notify.settings import NotifySettings
from kinerja_shared.auth import Role
from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.contracts.public import PerformancePublished
from kinerja_shared.db import ALL_REGENCIES, create_pool, tenant_transaction
from kinerja_shared.devissuer import ensure_keypair, mint_token
from kinerja_shared.runtime import build_app
from kinerja_shared.testing.plugin import MakeDatabase

from ..support import NOW, REGENCY, load_org, notify_database, org_facts

pytestmark = [pytest.mark.postgres]


class Api:
    def __init__(self, client: httpx.AsyncClient, settings: NotifySettings, key: Path) -> None:
        self.client = client
        self.settings = settings
        self.key = key

    def token(
        self, *roles: Role, asn_id: uuid.UUID | None = None, regency: uuid.UUID | None = REGENCY
    ) -> dict[str, str]:
        t = mint_token(self.key, sub=f"u-{uuid.uuid4().hex[:6]}", roles=roles, regency_id=regency, asn_id=asn_id,
                       name="Pengguna Contoh", issuer=self.settings.jwt_issuer, audience=self.settings.jwt_audience,
                       province_id=uuid.uuid4())  # fmt: skip
        return {"authorization": f"Bearer {t}"}


@pytest.fixture
async def api(make_database: MakeDatabase, tmp_path: Path) -> AsyncIterator[Api]:
    db = await notify_database(make_database)
    key = tmp_path / "dev.pem"
    ensure_keypair(key)
    settings = NotifySettings(database_url=db.app_url, dev_issuer_key_file=key, environment="test")
    app = build_app(DEFINITION, settings, worker=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = Api(client, settings, key)
            api.db = db  # type: ignore[attr-defined]
            yield api


async def seed(api: Api, asn: uuid.UUID, n: int) -> None:
    pool = await create_pool(api.settings.database_url)
    try:
        async with tenant_transaction(pool, ALL_REGENCIES) as conn:
            await accept_requests(conn, [
                NotificationRequested(regency_id=REGENCY, occurred_at=NOW, notification_id=uuid.uuid4(), asn_id=asn,
                                      kind="target_at_risk", params={"periode": f"2026-M0{i + 1}"},
                                      link="/evaluation/target")
                for i in range(n)
            ], now=datetime.now(UTC), links=Links("http://k"), park=False)  # fmt: skip  # no org facts here
    finally:
        await pool.close()


async def test_inbox_list_count_mark_read_and_auth(api: Api) -> None:
    me, other = uuid.uuid4(), uuid.uuid4()
    await seed(api, me, 3)
    await seed(api, other, 1)
    c = api.client
    assert (await c.get("/api/inbox")).status_code == 401
    assert (await c.get("/api/inbox", headers=api.token(Role.ADMIN_PROVINSI, regency=None))).status_code == 403
    h = api.token(Role.ASN, asn_id=me)
    page = (await c.get("/api/inbox?limit=2", headers=h)).json()
    assert page["unread"] == 3 and len(page["items"]) == 2 and page["next_before"]
    rest = (await c.get("/api/inbox", params={"limit": 2, "before": page["next_before"]}, headers=h)).json()
    assert len(rest["items"]) == 1
    first = page["items"][0]
    assert first["link"] == "/evaluation/target" and "Proyeksi capaian Anda" in first["body"]
    foreign = (await c.get("/api/inbox", headers=api.token(Role.ASN, asn_id=other))).json()["items"][0]["id"]
    marked = (await c.post("/api/inbox/read", json={"ids": [first["id"], foreign]}, headers=h)).json()
    assert [m["id"] for m in marked] == [first["id"]]  # someone else's item is not touched
    assert (await c.get("/api/inbox/unread-count", headers=h)).json() == {"unread": 2}
    bad = await c.post("/api/inbox/read", json={"ids": ["nope"]}, headers=h)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "ids.0"
    assert (await c.post("/api/inbox/read-all", headers=h)).json() == {"marked": 2}
    # opening an item marks it read and goes to the page that explains it
    r = await c.get(f"/buka/{rest['items'][0]['id']}", headers=h)
    assert r.status_code == 303 and r.headers["location"] == "/evaluation/target"


async def test_preferences_and_regency_settings(api: Api) -> None:
    org = org_facts(1)
    await load_org(api.db, [org.unit, org.head, org.superior, *org.staff])  # type: ignore[attr-defined]
    c = api.client
    me = api.token(Role.ASN, asn_id=org.staff[0].asn_id)
    prefs = {p["kind"]: p for p in (await c.get("/api/preferences", headers=me)).json()}
    assert prefs["verification_pending"]["email"] == "digest" and prefs["mentoring_needed"]["email"] == "instant"
    r = await c.put("/api/preferences", json={"email": {"mentoring_needed": "off"}}, headers=me)
    assert {p["kind"]: p["email"] for p in r.json()}["mentoring_needed"] == "off"
    bad = await c.put("/api/preferences", json={"email": {"lottery_won": "off"}}, headers=me)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "kind"
    bad = await c.put("/api/preferences", json={"email": {"mentoring_needed": "loud"}}, headers=me)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "email.mentoring_needed"
    assert (await c.get("/api/regency/defaults", headers=me)).status_code == 403
    hr = api.token(Role.ADMIN_BKPSDM, asn_id=org.head.asn_id)
    r = await c.put("/api/regency/defaults", json={"email": {"target_at_risk": "digest"}}, headers=hr)
    assert r.json()["target_at_risk"] == "digest"
    r = await c.post("/api/regency/hr-admins", json={"asn_id": str(org.head.asn_id)}, headers=hr)
    assert r.status_code == 201 and r.json()[0]["name"] == "Kepala Puskesmas (contoh)"
    r = await c.post("/api/regency/hr-admins", json={"asn_id": str(uuid.uuid4())}, headers=hr)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "asn_id"


async def test_webhook_subscriptions_admin_only_ssrf_and_types(api: Api) -> None:
    c = api.client
    prov = api.token(Role.ADMIN_PROVINSI, regency=None)
    body = {"url": "http://127.0.0.1:9/hook", "event_types": [PerformancePublished.type], "description": "BKN"}
    assert (await c.post("/api/webhooks", json=body, headers=api.token(Role.ADMIN_BKPSDM))).status_code == 403
    for url in ("ftp://bkn.go.id/hook", "http://user:pw@bkn.go.id/"):
        r = await c.post("/api/webhooks", json=body | {"url": url}, headers=prov)
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == "url"
    r = await c.post("/api/webhooks", json=body | {"event_types": ["id.kinerja.org.asn_upserted.v1"]}, headers=prov)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "event_types"
    created = await c.post("/api/webhooks", json=body, headers=prov)  # loopback allowed: test mode
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    sid = created.json()["id"]
    listed = (await c.get("/api/webhooks", headers=prov)).json()
    assert [s["id"] for s in listed] == [sid] and "secret" not in listed[0]
    assert (await c.get(f"/api/webhooks/{sid}/deliveries", headers=prov)).json() == []
    assert (await c.get("/api/webhooks/event-types", headers=prov)).json() == [PerformancePublished.type]
    r = await c.patch(f"/api/webhooks/{sid}", json={"active": False}, headers=prov)
    assert r.json()["active"] is False
    assert (await c.post(f"/api/webhooks/{sid}/resume", headers=prov)).json()["active"] is True
    assert (await c.post(f"/api/webhooks/deliveries/{uuid.uuid4()}/redeliver", headers=prov)).status_code == 409


async def test_ssrf_guard_in_production_mode(make_database: MakeDatabase, tmp_path: Path) -> None:
    db = await notify_database(make_database)
    key = tmp_path / "dev.pem"
    ensure_keypair(key)
    settings = NotifySettings(
        database_url=db.app_url, jwt_public_key_file=tmp_path / "pub.pem", environment="production"
    )
    from cryptography.hazmat.primitives import serialization

    from kinerja_shared.devissuer import public_key_of

    (tmp_path / "pub.pem").write_bytes(
        public_key_of(key).public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    app = build_app(DEFINITION, settings, worker=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            api = Api(c, settings, key)
            body = {"url": "http://127.0.0.1:9/hook", "event_types": [PerformancePublished.type]}
            for url in ("http://127.0.0.1:9/hook", "http://10.0.0.8/hook", "http://[::1]/x", "http://localhost/x"):
                r = await c.post(
                    "/api/webhooks", json=body | {"url": url}, headers=api.token(Role.ADMIN_PROVINSI, regency=None)
                )
                assert r.status_code == 422, url
                assert "privat" in r.json()["detail"][0]["reason"]


async def test_pages_render_in_indonesian(api: Api) -> None:
    c = api.client
    html = {"accept": "text/html"}
    home = await c.get("/", headers=html)
    assert home.status_code == 200 and "Masuk untuk melihat notifikasi" in home.text
    me = uuid.uuid4()
    await seed(api, me, 2)
    page = await c.get("/", headers=html | api.token(Role.ASN, asn_id=me))
    assert "2 belum dibaca" in page.text and "Target kinerja berisiko" in page.text and 'id="lencana"' in page.text
    prefs = await c.get("/pengaturan", headers=html | api.token(Role.ASN, asn_id=me))
    assert "Ringkasan harian" in prefs.text
    saved = await c.post(
        "/pengaturan", data={"email_target_at_risk": "off"}, headers=html | api.token(Role.ASN, asn_id=me)
    )
    assert saved.status_code == 303
    prov = api.token(Role.ADMIN_PROVINSI, regency=None)
    created = await c.post("/admin/webhook", data={"url": "ftp://x", "event_types": PerformancePublished.type},
                           headers=html | prov)  # fmt: skip
    assert created.status_code == 422 and "http atau https" in created.text
    assert (await c.get("/admin/webhook", headers=html | api.token(Role.ASN, asn_id=me))).status_code == 403
