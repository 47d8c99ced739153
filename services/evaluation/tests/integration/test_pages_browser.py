"""SKP Saya in Chromium at phone width (360 px): the ASN adds an RHK through the form, nothing overflows sideways."""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import async_playwright

from kinerja_evaluation.bootstrap import DEFINITION
from kinerja_evaluation.examples import roster_csv
from kinerja_evaluation.settings import EvaluationSettings
from kinerja_shared.auth import SESSION_COOKIE
from kinerja_shared.devissuer import ensure_keypair, mint_token
from kinerja_shared.runtime import build_app
from kinerja_shared.testing.plugin import MakeDatabase

from ..conftest import PROVINCE, STAFF, small_roster

pytestmark = [pytest.mark.postgres, pytest.mark.browser]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_skp_saya_on_a_phone(make_database: MakeDatabase, tmp_path: Path) -> None:
    db = await make_database(DEFINITION.migrations_dir, prefix="evaluation")
    key = tmp_path / "dev-issuer.pem"
    ensure_keypair(key)
    settings = EvaluationSettings(database_url=db.app_url, migration_database_url=db.owner_url,
                                  dev_issuer_key_file=key, environment="test")  # fmt: skip
    port = _port()
    server = uvicorn.Server(uvicorn.Config(build_app(DEFINITION, settings, worker=False), port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    base = f"http://127.0.0.1:{port}"
    regency = uuid.uuid4()

    def token(roles: list[str], asn: uuid.UUID | None = None, province: uuid.UUID | None = None) -> str:
        return mint_token(key, sub=str(asn or uuid.uuid4()), roles=roles, regency_id=None if province else regency,
                          asn_id=asn, name="Siti (contoh)", issuer=settings.jwt_issuer,
                          audience=settings.jwt_audience, province_id=province)  # fmt: skip

    try:
        async with httpx.AsyncClient(base_url=base) as http:
            while not server.started:
                await asyncio.sleep(0.05)
            body = {"province_id": str(PROVINCE), "province_name": "Provinsi Jambi", "name": "Kabupaten Tebo",
                    "code": "15.09"}  # fmt: skip
            prov = {"authorization": f"Bearer {token(['admin_provinsi'], province=PROVINCE)}"}
            assert (await http.put(f"/api/regencies/{regency}", json=body, headers=prov)).status_code == 200
            admin = {"authorization": f"Bearer {token(['admin_bkpsdm'])}"}
            files = {"file": ("p.csv", roster_csv(small_roster()), "text/csv")}
            assert (await http.post("/api/org/import", files=files, headers=admin)).status_code == 200
            people = (await http.get("/api/org/assessors", headers=admin)).json()
            staff = uuid.UUID(next(p["asn_id"] for p in people if p["nip"] == STAFF))

        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            ctx = await browser.new_context(viewport={"width": 360, "height": 640})
            await ctx.add_cookies([{"name": SESSION_COOKIE, "value": token(["asn"], staff), "url": base}])
            page = await ctx.new_page()
            await page.goto(f"{base}/skp-saya?tahun=2026")
            await page.get_by_role("button", name="Buat SKP").click()
            await page.get_by_label("Uraian RHK").fill("Menurunnya kecelakaan lalu lintas di jalan kabupaten")
            await page.get_by_label("Nama indikator").fill("Jumlah kecelakaan per triwulan")
            await page.get_by_label("Target").fill("20")
            await page.get_by_label("Satuan").select_option("kejadian")
            await page.get_by_label("Arah").select_option("lower")
            await page.get_by_role("button", name="Tambah RHK").click()
            await page.wait_for_url("**/skp/**")
            assert await page.get_by_text("RHK ditambahkan.").is_visible()
            assert await page.get_by_role("cell", name="Jumlah kecelakaan per triwulan").is_visible()
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"page is {overflow}px wider than a 360px phone"
            await page.screenshot(path=str(tmp_path / "skp-saya-360.png"), full_page=True)
            await browser.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
