"""The demo sign-in picker (one button per demo user, fed by the demo loader's demo-users.json beside the dev
issuer's key) and the cross-service navigation of the shared layout behind the front door."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from fastapi import APIRouter

from kinerja_shared import devissuer
from kinerja_shared.auth import SESSION_COOKIE, CurrentPrincipal
from kinerja_shared.http import create_app, service_home_router
from kinerja_shared.settings import ServiceSettings

REGENCY, ASN = uuid4(), uuid4()


@pytest.fixture
def key(tmp_path: Path) -> Path:
    k = tmp_path / "keys" / "dev-issuer.pem"
    devissuer.ensure_keypair(k)
    return k


@pytest.fixture
async def client(key: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(service="activity", environment="test", root_path="/activity", dev_issuer_key_file=key)
    private = APIRouter()

    @private.get("/rahasia")
    async def rahasia(who: CurrentPrincipal) -> dict[str, str]:
        return {"name": who.name}

    app = create_app(settings, title="Kegiatan", description="Kegiatan harian.",
                     routers=[service_home_router("Kegiatan", "Kegiatan harian."), private])  # fmt: skip
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kinerja.test") as c:
        yield c


def _write_users(key: Path) -> None:
    users = [
        {"label": "ASN", "name": "Siti Rahmawati (contoh)", "roles": ["asn"], "regency_id": str(REGENCY),
         "province_id": "", "asn_id": str(ASN), "about": "Perawat, Puskesmas Muara Tebo"},
        {"label": "Admin provinsi", "name": "Admin Provinsi Jambi (contoh)", "roles": ["admin_provinsi"],
         "regency_id": "", "province_id": str(uuid4()), "asn_id": "", "about": "Provinsi Jambi"},
        {"name": "", "roles": ["asn"]},  # malformed: skipped, not an error
    ]  # fmt: skip
    (key.parent / devissuer.DEMO_USERS_FILE).write_text(json.dumps({"users": users}))


async def test_without_demo_users_the_free_form_is_shown(client: httpx.AsyncClient, key: Path) -> None:
    page = await client.get("/activity/dev/login")
    assert page.status_code == 200
    assert "Pilih pengguna demo" not in page.text and 'name="regency_id"' in page.text
    assert devissuer.demo_users(key) == []


async def test_picker_signs_in_as_the_chosen_demo_user_and_returns_to_the_page(
    client: httpx.AsyncClient, key: Path
) -> None:
    _write_users(key)
    page = await client.get("/activity/dev/login", params={"next": "/activity/kegiatan"})
    assert page.status_code == 200
    assert "Masuk sebagai ASN" in page.text and "Masuk sebagai Admin provinsi" in page.text
    assert "Siti Rahmawati (contoh) — Perawat, Puskesmas Muara Tebo" in page.text
    assert len(devissuer.demo_users(key)) == 2
    # the button posts exactly what the free form would: the same handler mints the token
    form = {"name": "Siti Rahmawati (contoh)", "roles": "asn", "regency_id": str(REGENCY), "province_id": "",
            "asn_id": str(ASN), "next": "/activity/kegiatan"}  # fmt: skip
    signed = await client.post("/activity/dev/login", data=form)
    assert signed.status_code == 303 and signed.headers["location"] == "/activity/kegiatan"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "Path=/" in cookie
    assert "samesite=lax" in cookie.lower() and "Secure" not in cookie  # plain http here; https sets Secure

    client.cookies.set(SESSION_COOKIE, signed.cookies[SESSION_COOKIE])
    home = await client.get("/activity/")
    assert "Siti Rahmawati (contoh)" in home.text
    # cross-service navigation: the four areas behind the front door, this one marked current
    assert 'href="/activity/kegiatan" aria-current="page">Kegiatan<' in home.text
    assert 'href="/evaluation/">Kinerja<' in home.text and 'href="/notify/">Notifikasi<' in home.text
    assert 'href="/feedback/">Layanan publik<' in home.text


async def test_secure_cookie_behind_https(client: httpx.AsyncClient, key: Path) -> None:
    form = {"name": "Budi (contoh)", "roles": "admin_bkpsdm", "regency_id": str(REGENCY), "next": "/activity/"}
    https = httpx.AsyncClient(transport=client._transport, base_url="https://kinerja.test")  # noqa: SLF001
    async with https:
        signed = await https.post("/activity/dev/login", data=form)
    assert "Secure" in signed.headers["set-cookie"]


async def test_anonymous_sees_only_the_public_areas_and_an_expired_session_goes_back_to_login(
    client: httpx.AsyncClient,
) -> None:
    home = await client.get("/activity/")
    assert 'href="/feedback/">Layanan publik<' in home.text and 'href="/notify/"' not in home.text
    client.cookies.set(SESSION_COOKIE, "token-yang-sudah-kedaluwarsa")
    expired = await client.get("/activity/rahasia", headers={"Accept": "text/html"})
    assert expired.status_code == 401
    # back to sign-in by itself, remembering the page
    assert '<meta http-equiv="refresh" content="2;url=/activity/dev/login?next=/activity/rahasia">' in expired.text
    assert "Sesi Anda mungkin sudah berakhir" in expired.text
