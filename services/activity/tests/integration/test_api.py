"""The HTTP API in-process on real PostgreSQL: auth, 422 shapes, 403/404 across people and regencies, sync, pages."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kinerja_activity.bootstrap import DEFINITION
from kinerja_activity.service.activities import Caller
from kinerja_activity.settings import ActivitySettings
from kinerja_shared.auth import Role
from kinerja_shared.devissuer import ensure_keypair, mint_token
from kinerja_shared.runtime import build_app
from kinerja_shared.testing.plugin import ProvisionedDatabase

from ..conftest import Org, today
from ..service.test_activities import item

pytestmark = pytest.mark.postgres


class Api:
    def __init__(self, client: httpx.AsyncClient, settings: ActivitySettings) -> None:
        self.client = client
        self.settings = settings

    def token(self, who: Caller | None, roles: tuple[Role, ...] = (Role.ASN,), regency: uuid.UUID | None = None) -> str:
        assert self.settings.dev_issuer_key_file is not None
        return mint_token(
            self.settings.dev_issuer_key_file,
            sub=str(who.asn_id if who else uuid.uuid4()),
            roles=roles,
            regency_id=regency or (who.regency_id if who else None),
            asn_id=who.asn_id if who else None,
            name="Uji",
            issuer=self.settings.jwt_issuer,
            audience=self.settings.jwt_audience,
        )

    async def call(self, method: str, url: str, who: Caller | None, **kw: Any) -> httpx.Response:
        headers = kw.pop("headers", {})
        if who is not None or "token" in kw:
            headers["authorization"] = f"Bearer {kw.pop('token', None) or self.token(who)}"
        return await self.client.request(method, url, headers=headers, **kw)


@pytest.fixture
async def api(db: ProvisionedDatabase, tmp_path: Path) -> AsyncIterator[Api]:
    key = tmp_path / "dev-issuer.pem"
    ensure_keypair(key)
    settings = ActivitySettings(
        database_url=db.app_url,
        migration_database_url=db.owner_url,
        dev_issuer_key_file=key,
        environment="test",
        evidence_dir=tmp_path / "bukti",
        evidence_max_bytes=4096,
    )
    app = build_app(DEFINITION, settings, worker=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield Api(client, settings)


async def test_report_needs_a_token_and_an_asn(api: Api, org: Org) -> None:
    assert (await api.call("POST", "/api/activities", None, json=item(org))).status_code == 401
    ops = api.token(None, roles=(Role.OPS,))
    r = await api.call("POST", "/api/activities", None, json=item(org), token=ops)
    assert r.status_code == 403


async def test_bad_input_is_422_with_field_and_reason(api: Api, org: Org) -> None:
    r = await api.call("POST", "/api/activities", org.staff, json=item(org, 3, end_time="00:01"))
    assert r.status_code == 422
    [d] = r.json()["detail"]
    assert (d["field"], d["type"]) == ("end_time", "end_before_start") and d["reason"]
    r = await api.call(
        "POST",
        "/api/activities",
        org.staff,
        content=b'{"activity_date": ',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid"
    r = await api.call("POST", "/api/activities", org.staff, json=item(org, indicator_id=str(uuid.uuid4())))
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "indicator_id"
    r = await api.call("POST", "/api/activities", org.staff, json=item(org, start_time="08:00+08:00"))
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "start_time"
    # nothing was accepted by the failures; a good one still goes through
    ok = await api.call("POST", "/api/activities", org.staff, json=item(org))
    assert ok.status_code == 201 and ok.json()["minutes"] == 2


async def test_only_the_direct_superior_verifies_and_other_regencies_see_nothing(api: Api, org: Org) -> None:
    created = await api.call("POST", "/api/activities", org.staff, json=item(org))
    aid = created.json()["id"]
    approve = {"approve": True}
    assert (await api.call("POST", f"/api/activities/{aid}/decision", org.stranger, json=approve)).status_code == 403
    assert (await api.call("POST", f"/api/activities/{aid}/decision", org.staff, json=approve)).status_code == 403
    outsider = Caller(uuid.uuid4(), uuid.uuid4())
    assert (await api.call("POST", f"/api/activities/{aid}/decision", outsider, json=approve)).status_code == 404
    assert (await api.call("GET", "/api/verifications/pending", outsider)).json() == []
    assert (await api.call("GET", "/api/team/today", outsider)).json() == []
    # the same ASN id presented with another regency's token sees none of its own rows
    spoof = Caller(uuid.uuid4(), org.staff.asn_id)
    assert (await api.call("GET", "/api/activities", spoof)).json() == []
    no_reason = await api.call("POST", f"/api/activities/{aid}/decision", org.superior, json={"approve": False})
    assert no_reason.status_code == 422
    ok = await api.call("POST", f"/api/activities/{aid}/decision", org.superior, json=approve)
    assert ok.status_code == 200 and ok.json()["changed"] == [aid]
    edit = await api.call("PUT", f"/api/activities/{aid}", org.staff, json=item(org, 5))
    assert edit.status_code == 409


async def test_sync_endpoint_reports_per_item_and_replays(api: Api, org: Org) -> None:
    batch = {"items": [item(org, 0), item(org, 1, end_time="00:00"), item(org, 2)]}
    first = (await api.call("POST", "/api/activities/sync", org.staff, json=batch)).json()
    second = (await api.call("POST", "/api/activities/sync", org.staff, json=batch)).json()
    assert [i["status"] for i in first["items"]] == ["accepted", "rejected", "accepted"]
    assert first["items"][1]["errors"][0]["field"] == "end_time"
    assert second["items"] == first["items"] and (first["created"], second["created"]) == (2, 0)
    too_many = {"items": [item(org, n) for n in range(501)]}
    assert (await api.call("POST", "/api/activities/sync", org.staff, json=too_many)).status_code == 422
    summary = (await api.call("GET", "/api/summary", org.staff)).json()
    assert (summary["reported_minutes"], summary["quota_minutes"]) == (4, 6750)


async def test_evidence_upload_checks_content_and_size(api: Api, org: Org) -> None:
    aid = (await api.call("POST", "/api/activities", org.staff, json=item(org))).json()["id"]
    url = f"/api/activities/{aid}/evidence"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    r = await api.call("POST", url, org.staff, files={"file": ("foto.png", png, "image/png")})
    assert r.status_code == 201 and r.json()["kind"] == "image/png"
    fake = await api.call("POST", url, org.staff, files={"file": ("foto.jpg", b"<html>hi</html>", "image/jpeg")})
    assert fake.status_code == 422 and fake.json()["detail"][0]["type"] == "evidence_type"
    big = await api.call("POST", url, org.staff, files={"file": ("b.png", png + b"\x00" * 5000, "image/png")})
    assert big.status_code == 422 and big.json()["detail"][0]["type"] == "evidence_too_large"
    got = await api.call("GET", f"{url}/{r.json()['sha256']}", org.superior)
    assert got.status_code == 200 and got.content == png
    assert (await api.call("GET", f"{url}/{r.json()['sha256']}", org.stranger)).status_code == 403


async def test_attendance_endpoints(api: Api, org: Org) -> None:
    r = await api.call("POST", "/api/attendance/check-in", org.staff, json={"latitude": "-1.49", "longitude": "102.44"})
    assert r.status_code == 200 and r.json()["status"] == "hadir"
    bad = await api.call("POST", "/api/attendance/check-in", org.staff2, json={"latitude": "100"})
    assert bad.status_code == 422
    csv = f"asn_id,waktu\n{org.staff2.asn_id},{today()} 07:31\n".encode()
    admin = api.token(None, roles=(Role.ADMIN_BKPSDM,), regency=org.regency_id)
    denied = await api.call("POST", "/api/attendance/import", org.staff, files={"file": ("a.csv", csv)})
    assert denied.status_code == 403
    done = await api.call("POST", "/api/attendance/import", None, token=admin, files={"file": ("a.csv", csv)})
    assert done.status_code == 200 and done.json()["days_changed"] == 1
    leave = {"asn_id": str(org.staff.asn_id), "status": "cuti", "start_date": "2026-12-01", "end_date": "2026-11-30"}
    assert (await api.call("POST", "/api/attendance/leave", org.superior, json=leave)).status_code == 422


async def test_pages_render_for_asn_and_superior(api: Api, org: Org) -> None:
    html = {"accept": "text/html"}
    home = await api.call("GET", "/", None, headers=dict(html))
    assert home.status_code == 200 and "Masuk" in home.text
    page = await api.call("GET", "/kegiatan", org.staff, headers=dict(html))
    assert page.status_code == 200 and "Kegiatan Harian" in page.text and "6.750" in page.text
    form = {k: v for k, v in item(org).items() if k != "id"}
    posted = await api.call("POST", "/kegiatan", org.staff, data=form, headers=dict(html))
    assert posted.status_code == 303
    bad = await api.call("POST", "/kegiatan", org.staff, data=form | {"end_time": "00:00"}, headers=dict(html))
    assert bad.status_code == 422 and "Jam selesai harus setelah jam mulai" in bad.text
    queue = await api.call("GET", "/verifikasi", org.superior, headers=dict(html))
    assert "Melayani pasien rawat jalan #0" in queue.text
    aid = queue.text.split('data-activity="', 1)[1].split('"', 1)[0]
    done = await api.call(
        "POST", "/verifikasi", org.superior, data={"aksi": "setujui", "ids": [aid]}, headers=dict(html)
    )
    assert done.status_code == 303 and "1+kegiatan+disetujui" in done.headers["location"]
    team = await api.call("GET", "/tim", org.superior, headers=dict(html))
    assert "Siti Rahmawati (contoh)" in team.text and "1 dari 2" in team.text


async def test_the_live_listener_closes_with_the_app(db: ProvisionedDatabase, tmp_path: Path) -> None:
    """The team view's LISTEN connection opens lazily; shutdown must close it (it used to retry forever)."""
    from starlette.requests import Request

    from kinerja_activity.entrypoints.pages import _hub

    key = tmp_path / "dev-issuer.pem"
    ensure_keypair(key)
    settings = ActivitySettings(
        database_url=db.app_url, migration_database_url=db.owner_url, dev_issuer_key_file=key, environment="test"
    )
    app = build_app(DEFINITION, settings, worker=False)
    async with app.router.lifespan_context(app):
        hub = _hub(Request({"type": "http", "app": app}))
        hub.subscribe(uuid.uuid4())
        await asyncio.wait_for(hub.connected.wait(), 10)
        task = hub._task
    assert task is not None and task.done()
