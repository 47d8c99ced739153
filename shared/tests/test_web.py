"""Indonesian formatting filters, template lookup and the shared layout (prefix-aware, vendored)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import httpx
import jwt
import pytest
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kinerja_shared import devissuer
from kinerja_shared.auth import SESSION_COOKIE, CurrentPrincipal
from kinerja_shared.http import create_app, service_home_router
from kinerja_shared.settings import ServiceSettings
from kinerja_shared.web import STATIC_DIR, angka, rupiah, tanggal, templates, waktu

ISSUER = "http://127.0.0.1/dev-issuer"
AUDIENCE = "kinerja"
VENDORED = (
    "vendor/pico.min.css",
    "vendor/htmx.min.js",
    "vendor/chart.umd.min.js",
    "vendor/asyncapi-3.0.0.json",
)


# --- filters --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1234567"), "Rp 1.234.567"),
        (Decimal("0"), "Rp 0"),
        (Decimal("999"), "Rp 999"),
        (Decimal("1000"), "Rp 1.000"),
        (Decimal("1234567.50"), "Rp 1.234.568"),  # shown in whole rupiah, half up
        (Decimal("1234567.49"), "Rp 1.234.567"),
        (Decimal("-2500000"), "-Rp 2.500.000"),
        (7500000, "Rp 7.500.000"),
    ],
)
def test_rupiah(value: Decimal | int, text: str) -> None:
    assert rupiah(value) == text


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (Decimal("87.25"), None, "87,25"),
        (Decimal("87.250"), None, "87,250"),
        (Decimal("1234.5"), None, "1.234,5"),
        (Decimal("100"), None, "100"),
        (Decimal("87.255"), 2, "87,26"),
        (Decimal("87"), 2, "87,00"),
        (Decimal("-0.5"), 0, "-1"),
    ],
)
def test_angka(value: Decimal, places: int | None, text: str) -> None:
    assert angka(value, places) == text


def test_tanggal_uses_indonesian_month_names() -> None:
    assert tanggal(date(2026, 11, 29)) == "29 November 2026"
    assert tanggal(date(2026, 1, 1)) == "1 Januari 2026"
    assert tanggal(date(2026, 8, 17)) == "17 Agustus 2026"
    # 20:00 UTC is already the next day in Jakarta
    assert tanggal(datetime(2026, 11, 29, 20, 0, tzinfo=UTC)) == "30 November 2026"


def test_waktu_is_jakarta_time() -> None:
    assert waktu(datetime(2026, 11, 29, 7, 5, tzinfo=UTC)) == "14:05 WIB"
    makassar = timezone(timedelta(hours=8))
    assert waktu(datetime(2026, 11, 29, 15, 5, tzinfo=makassar)) == "14:05 WIB"
    with pytest.raises(ValueError, match="aware"):
        waktu(datetime(2026, 11, 29, 14, 5))


# --- template lookup ------------------------------------------------------------------------------


def test_service_templates_come_first_and_shared_ones_stay_reachable(tmp_path: Path) -> None:
    (tmp_path / "error.html").write_text("layanan: {{ heading }}")
    (tmp_path / "halaman.html").write_text("{{ nilai | rupiah }} · {{ skor | angka }}")
    env = templates([tmp_path]).env
    assert env.get_template("error.html").render(heading="x") == "layanan: x"
    assert env.get_template("halaman.html").render(nilai=Decimal("1500000"), skor=Decimal("87.25")) == (
        "Rp 1.500.000 · 87,25"
    )
    assert '{% extends "base.html" %}' in Path(env.get_template("shared/error.html").filename or "").read_text()


def test_undefined_variables_fail_loudly(tmp_path: Path) -> None:
    (tmp_path / "salah.html").write_text("{{ tidak_ada }}")
    with pytest.raises(Exception, match="tidak_ada"):
        templates([tmp_path]).env.get_template("salah.html").render()


# --- layout over HTTP -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    key = tmp_path_factory.mktemp("keys") / "dev-issuer.pem"
    devissuer.ensure_keypair(key)
    return key


def _pages(page_dir: Path) -> APIRouter:
    (page_dir / "rapor.html").write_text(
        '{% extends "base.html" %}{% block nav %}<li><a href="{{ app_path(\'/rapor\') }}">Rapor</a></li>'
        "{% endblock %}{% block main %}<h1>Rapor {{ principal.name }}</h1>"
        "<p>{{ tpp | rupiah }} pada {{ hari | tanggal }}</p>{% endblock %}"
    )
    router = APIRouter()

    @router.get("/rapor", response_class=HTMLResponse)
    async def rapor(request: Request, principal: CurrentPrincipal) -> Response:
        context = {"principal": principal, "tpp": Decimal("2750000"), "hari": date(2026, 11, 29)}
        return request.app.state.templates.TemplateResponse(request, "rapor.html", context)  # type: ignore[no-any-return]

    return router


@pytest.fixture
async def client(dev_key: Path, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(
        service="evaluation", environment="test", root_path="/evaluation", dev_issuer_key_file=dev_key
    )
    app = create_app(
        settings,
        title="Evaluasi",
        description="SKP, penilaian, skor dan predikat ASN.",
        routers=[
            service_home_router("Evaluasi Kinerja", "SKP, penilaian, skor dan predikat ASN."),
            _pages(tmp_path),
        ],
        template_dirs=[tmp_path],
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


def _token(dev_key: Path, name: str = "Siti Rahmawati") -> str:
    return devissuer.mint_token(
        dev_key,
        sub="u-1",
        roles=["asn"],
        regency_id=uuid4(),
        asn_id=uuid4(),
        name=name,
        issuer=ISSUER,
        audience=AUDIENCE,
    )


def _assert_layout(html: str) -> None:
    assert '<html lang="id">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert 'href="/evaluation/static/vendor/pico.min.css"' in html
    assert 'href="/evaluation/static/kinerja.css"' in html
    assert 'src="/evaluation/static/vendor/htmx.min.js"' in html
    assert not re.search(r"https?://", html), "pages must not load anything from another origin"
    assert "Kinerja — manajemen kinerja ASN" in html


async def test_service_home_without_principal_offers_masuk(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    html = response.text
    _assert_layout(html)
    assert "<h1>Evaluasi Kinerja</h1>" in html
    assert 'href="/evaluation/docs"' in html and 'href="/evaluation/asyncapi"' in html
    assert 'href="/evaluation/dev/login?next=/evaluation/"' in html and ">Masuk<" in html
    assert "Keluar" not in html


async def test_service_home_with_principal_shows_name_and_keluar(client: httpx.AsyncClient, dev_key: Path) -> None:
    response = await client.get("/", headers={"Cookie": f"{SESSION_COOKIE}={_token(dev_key)}"})
    html = response.text
    _assert_layout(html)
    assert "Siti Rahmawati" in html
    assert 'href="/evaluation/dev/logout">Keluar<' in html
    assert ">Masuk<" not in html


async def test_names_are_escaped(client: httpx.AsyncClient, dev_key: Path) -> None:
    token = _token(dev_key, name="<script>alert(1)</script>")
    html = (await client.get("/", headers={"Cookie": f"{SESSION_COOKIE}={token}"})).text
    assert "<script>alert" not in html and "&lt;script&gt;" in html


async def test_service_page_extends_the_layout_with_filters(client: httpx.AsyncClient, dev_key: Path) -> None:
    response = await client.get("/rapor", headers={"Authorization": f"Bearer {_token(dev_key)}"})
    assert response.status_code == 200
    html = response.text
    _assert_layout(html)
    assert "<h1>Rapor Siti Rahmawati</h1>" in html
    assert "Rp 2.750.000 pada 29 November 2026" in html
    assert 'href="/evaluation/rapor">Rapor<' in html


async def test_layout_is_prefix_aware_when_the_proxy_keeps_the_prefix(client: httpx.AsyncClient) -> None:
    html = (await client.get("/evaluation/")).text
    assert 'href="/evaluation/static/vendor/pico.min.css"' in html


async def test_browser_without_session_gets_an_error_page_with_masuk(client: httpx.AsyncClient) -> None:
    response = await client.get("/rapor", headers={"Accept": "text/html"})
    assert response.status_code == 401
    assert "Silakan masuk" in response.text
    assert 'href="/evaluation/dev/login?next=/evaluation/rapor"' in response.text


def test_kinerja_css_is_ours_and_small() -> None:
    css = (STATIC_DIR / "kinerja.css").read_text()
    assert len(css) < 4000 and "@import" not in css and "url(" not in css


@pytest.mark.parametrize("asset", VENDORED)
async def test_vendored_assets_are_served(client: httpx.AsyncClient, asset: str) -> None:
    if not (STATIC_DIR / asset).exists():
        pytest.skip(f"{asset} missing: run `npm ci && npm run vendor` at the repository root")
    response = await client.get(f"/static/{asset}")
    assert response.status_code == 200
    assert len(response.content) > 1000


def test_vendored_asyncapi_schema_has_no_external_refs() -> None:
    path = STATIC_DIR / "vendor" / "asyncapi-3.0.0.json"
    if not path.exists():
        pytest.skip("asyncapi-3.0.0.json missing: run `npm ci && npm run vendor` at the repository root")
    import json

    import jsonschema

    schema = json.loads(path.read_text())
    refs = re.findall(r'"\$ref":\s*"([^"]+)"', path.read_text())
    assert refs and all(ref.startswith("#") for ref in refs if not ref.startswith(("/components", "path/to")))
    minimal = {"asyncapi": "3.0.0", "info": {"title": "Kinerja", "version": "1.0.0"}}
    jsonschema.Draft7Validator(schema).validate(minimal)
    assert list(jsonschema.Draft7Validator(schema).iter_errors({"asyncapi": "3.0.0"}))


def test_dev_token_has_the_key_id(dev_key: Path) -> None:
    header = jwt.get_unverified_header(_token(dev_key))
    assert header["alg"] == "ES256"
    assert header["kid"] == devissuer.jwk_of(devissuer.public_key_of(dev_key))["kid"]
