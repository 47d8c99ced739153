"""Real Chromium on a phone-sized screen: "Tim Hari Ini" shows a subordinate's new activity within 2 s, no reload.

The API runs as its own process (as deployed, behind the /activity root path); the activity is reported over
HTTP by the subordinate while the superior's page stays open.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kinerja_shared.auth import Role
from kinerja_shared.devissuer import ensure_keypair, mint_token
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.testing.helpers import wait_until
from kinerja_shared.testing.plugin import ProvisionedDatabase

from ..conftest import Org
from ..service.test_activities import item

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_team_view_shows_new_subordinate_activity_within_two_seconds(
    db: ProvisionedDatabase, org: Org, kafka: KafkaSettings, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    key = tmp_path / "dev-issuer.pem"
    ensure_keypair(key)
    port = _free_port()
    env = os.environ | {
        "DATABASE_URL": db.app_url,
        "MIGRATION_DATABASE_URL": db.owner_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "HTTP_PORT": str(port),
        "ROOT_PATH": "/activity",
        "KINERJA_ENV": "test",
        "DEV_ISSUER_KEY_FILE": str(key),
        "ACTIVITY_EVIDENCE_DIR": str(tmp_path / "bukti"),
    }
    log = open(tmp_path / "api.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "kinerja_activity", "api"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"

    def token(asn: object) -> str:
        return mint_token(
            key,
            sub=str(asn),
            roles=[Role.ASN, Role.ATASAN],
            regency_id=org.regency_id,
            asn_id=org.superior.asn_id if asn == org.superior.asn_id else org.staff.asn_id,
            name="dr. Hendra Saputra (contoh)" if asn == org.superior.asn_id else "Siti Rahmawati (contoh)",
            issuer="http://127.0.0.1/dev-issuer",
            audience="kinerja",
        )

    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as http:

            async def up() -> bool:
                if proc.poll() is not None:
                    raise AssertionError((tmp_path / "api.log").read_text()[-2000:])
                try:
                    return (await http.get("/health/live")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_until(up, timeout=60, what="activity api")
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                try:
                    ctx = await browser.new_context(viewport={"width": 360, "height": 640})
                    await ctx.add_cookies(
                        [{"name": "kinerja_session", "value": token(org.superior.asn_id), "url": base}]
                    )
                    page = await ctx.new_page()
                    await page.goto(f"{base}/activity/tim")
                    await page.wait_for_selector("text=Belum ada kegiatan hari ini")
                    await page.wait_for_selector("#live-dot.on", timeout=5000)  # the stream is open
                    text = "Memeriksa ibu hamil di Posyandu Melati"
                    r = await http.post(
                        "/activity/api/activities",
                        json=item(org, 300, description=text),
                        headers={"authorization": f"Bearer {token(org.staff.asn_id)}"},
                    )
                    assert r.status_code == 201, r.text
                    started = time.monotonic()
                    await page.wait_for_selector(f"text={text}", timeout=2000)
                    elapsed = time.monotonic() - started
                    assert await page.locator("text=1 dari 2").count() == 1
                    # the pushed fragment's charts are drawn again (kinerja.js after each SSE push; no inline JS)
                    await page.wait_for_selector("#grafik-status[data-drawn='1']", timeout=5000, state="attached")
                    await page.wait_for_selector("#grafik-menit[data-drawn='1']", timeout=5000, state="attached")
                    # phone-first: nothing wider than the 360 px screen
                    width = await page.evaluate("document.documentElement.scrollWidth")
                    assert width <= 360
                    await page.screenshot(path=str(tmp_path / "tim-hari-ini.png"))
                    assert elapsed < 2.0  # wait_for_selector already bounds it; named here for the reader
                    await ctx.close()
                finally:
                    await browser.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 40)
        log.close()
        assert code == 0, (tmp_path / "api.log").read_text()[-2000:]
