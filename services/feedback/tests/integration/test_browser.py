"""A citizen on a cheap phone: the survey at 360 px with JavaScript off, then the IKM dashboard with charts."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from kinerja_shared.db import connect
from kinerja_shared.testing.plugin import MakeDatabase, MakeNamespace

from ..conftest import rows, seed_org
from .test_kafka_e2e import process

# slow: a real api process and Chromium take about a minute on the shared 2-core machine
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.postgres, pytest.mark.kafka]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


async def test_survey_on_a_phone_without_javascript_then_the_ikm_dashboard(
    make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    db = await make_database()
    kafka = await make_namespace()
    async with process("api", db, kafka, tmp_path) as base:
        conn = await connect(db.owner_url)
        try:
            org = await seed_org(conn)
        finally:
            await conn.close()
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                phone = await browser.new_context(viewport={"width": 360, "height": 640}, java_script_enabled=False)
                page = await phone.new_page()
                fetched: list[str] = []
                page.on("request", lambda r: fetched.append(r.url))
                await page.goto(f"{base}/survei/{org.unit_id}")
                assert fetched == [f"{base}/survei/{org.unit_id}"]  # one request: no CSS, JS or font to wait for
                width = await page.evaluate("document.documentElement.scrollWidth")
                assert width <= 360  # nothing overflows the phone's width
                for i, label in enumerate(
                    [
                        "Sangat baik",
                        "Baik",
                        "Baik",
                        "Sangat baik",
                        "Baik",
                        "Sangat baik",
                        "Sangat baik",
                        "Baik",
                        "Kurang baik",
                    ]
                ):
                    await page.locator("fieldset").nth(i).get_by_label(label, exact=True).check()
                await page.get_by_label("Saran dan masukan").fill("<b>Ruang tunggu</b> perlu kipas")
                await page.get_by_role("button", name="Kirim jawaban").click()
                await page.get_by_text("Terima kasih!").wait_for()
                await page.screenshot(path=str(tmp_path / "survey-done-360.png"))
                await page.goto(f"{base}/survei/{org.unit_id}")
                for i in range(9):
                    await page.locator("fieldset").nth(i).locator("input").first.check()
                await page.get_by_role("button", name="Kirim jawaban").click()
                await page.get_by_text("Anda sudah mengisi survei ini").wait_for()
                [stored] = await rows(db, "SELECT answers, suggestion FROM survey_response")
                assert stored["answers"] == [4, 3, 3, 4, 3, 4, 4, 3, 2]
                assert stored["suggestion"] == "<b>Ruang tunggu</b> perlu kipas"

                desk = await browser.new_context(viewport={"width": 360, "height": 640})
                dash = await desk.new_page()
                await dash.goto(f"{base}/ikm/{org.unit_id}")
                await dash.get_by_text("Mutu B").wait_for()
                drawn = await dash.evaluate(
                    "() => !!window.Chart && !!Chart.getChart(document.getElementById('trend-chart'))"
                )
                assert drawn
                await dash.screenshot(path=str(tmp_path / "ikm-360.png"), full_page=True)
            finally:
                await browser.close()
