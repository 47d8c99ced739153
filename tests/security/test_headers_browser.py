"""Issue 11 item 6 in a real browser: the CSP stops inline script, and htmx and plain forms still pass the CSRF
origin check with the session cookie (browsers send Origin on every POST)."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kinerja_shared.auth import SESSION_COOKIE, CurrentPrincipal, Role
from kinerja_shared.devissuer import ensure_keypair, mint_token
from kinerja_shared.http import create_app
from kinerja_shared.settings import ServiceSettings

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGE = """{% extends "base.html" %}
{% block main %}
<h1>Uji keamanan</h1>
<button id="htmx" hx-post="{{ app_path('/simpan') }}" hx-target="#hasil">Simpan (htmx)</button>
<div id="hasil">belum</div>
<form method="post" action="{{ app_path('/simpan') }}"><button id="form">Simpan (form)</button></form>
<img id="handler" src="/tidak-ada.png" onerror="document.body.dataset.handler = 'ran'" alt="">
<script>document.body.dataset.inline = "ran";</script>
{% endblock %}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    key = tmp_path / "dev-issuer.pem"
    ensure_keypair(key)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "uji.html").write_text(PAGE)
    settings = ServiceSettings(service="uji", dev_issuer_key_file=key, environment="test", root_path="/uji")
    router = APIRouter()

    @router.get("/halaman", response_class=HTMLResponse)
    async def page(request: Request, principal: CurrentPrincipal) -> Response:
        return request.app.state.templates.TemplateResponse(request, "uji.html", {"principal": principal})  # type: ignore[no-any-return]

    @router.post("/simpan", response_class=HTMLResponse)
    async def save(principal: CurrentPrincipal) -> str:
        return f"<p id='tersimpan'>Tersimpan oleh {principal.sub}</p>"

    app = create_app(settings, title="Uji", description="uji", routers=[router], template_dirs=[tmp_path / "templates"])
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    task = asyncio.create_task(srv.serve())
    for _ in range(100):
        if srv.started:
            break
        await asyncio.sleep(0.05)
    token = mint_token(
        key,
        sub="u-browser",
        roles=[Role.ASN],
        regency_id=uuid.uuid4(),
        asn_id=uuid.uuid4(),
        name="Uji Peramban",
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    try:
        yield f"http://127.0.0.1:{port}", token
    finally:
        srv.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_csp_blocks_inline_script_and_forms_keep_working(server: tuple[str, str]) -> None:
    from playwright.async_api import async_playwright

    base, token = server
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 360, "height": 640})
            await context.add_cookies(
                [{"name": SESSION_COOKIE, "value": token, "url": base, "httpOnly": True, "sameSite": "Lax"}]
            )
            page = await context.new_page()
            violations: list[str] = []
            page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
            resp = await page.goto(f"{base}/uji/halaman")
            assert resp is not None and resp.status == 200
            await page.wait_for_function("() => window.htmx !== undefined")  # our own script still loads
            assert await page.evaluate("document.body.dataset.inline") is None
            assert await page.evaluate("document.body.dataset.handler") is None
            assert any("inline" in v for v in violations), violations
            # htmx sends Origin with its POST, and the cookie rides along: allowed
            await page.click("#htmx")
            await page.wait_for_selector("#tersimpan")
            assert "u-browser" in await page.inner_text("#hasil")
            # so does a plain form post
            async with page.expect_navigation():
                await page.click("#form")
            assert "Tersimpan oleh u-browser" in await page.content()
        finally:
            await browser.close()
