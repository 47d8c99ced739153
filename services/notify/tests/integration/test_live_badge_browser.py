"""The Notifikasi page in Chromium at phone width: the badge and the list update without a reload (SSE)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from kinerja_notify.service.intake import Links, accept_requests
from kinerja_notify.settings import NotifySettings
from kinerja_shared.auth import Role
from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.db import ALL_REGENCIES, create_pool, tenant_transaction
from kinerja_shared.devissuer import mint_token
from kinerja_shared.testing.plugin import MakeDatabase, MakeNamespace

from ..support import NOW, REGENCY, load_org, notify_database, notify_process, org_facts

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.kafka]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip


async def test_badge_and_list_update_live(
    make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    db = await notify_database(make_database)
    kafka = await make_namespace()
    org = org_facts(1)
    await load_org(db, [org.unit, org.head, org.superior, *org.staff])
    me = org.staff[0].asn_id
    async with notify_process("api", db, kafka, tmp_path) as (_, base):
        s = NotifySettings()
        token = mint_token(tmp_path / "dev-issuer.pem", sub="siti", roles=[Role.ASN], regency_id=REGENCY, asn_id=me,
                           name="Siti Rahmawati (contoh)", issuer=s.jwt_issuer, audience=s.jwt_audience)  # fmt: skip
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            try:
                ctx = await browser.new_context(viewport={"width": 360, "height": 640})
                await ctx.add_cookies([{"name": "kinerja_session", "value": token, "url": base}])
                page = await ctx.new_page()
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                await page.goto(base + "/notify/")
                await expect(page.get_by_role("heading", name="Notifikasi")).to_be_visible()
                await expect(page.locator("#lencana")).to_be_hidden()
                await expect(page.get_by_text("Belum ada notifikasi.")).to_be_visible()
                pool = await create_pool(db.app_url)
                try:
                    async with tenant_transaction(pool, ALL_REGENCIES) as conn:
                        await accept_requests(conn, [NotificationRequested(
                            regency_id=REGENCY, occurred_at=NOW, notification_id=uuid.uuid4(), asn_id=me,
                            kind="award_candidate", params={"periode": "2026-Y"})],
                            now=datetime.now(UTC), links=Links(base))  # fmt: skip
                finally:
                    await pool.close()
                # no reload: the stream pushes the count, the list refreshes itself
                await expect(page.locator("#lencana")).to_have_text("1", timeout=15_000)
                await expect(page.get_by_text("Anda kandidat penghargaan", exact=True)).to_be_visible(timeout=15_000)
                width = await page.evaluate("document.documentElement.scrollWidth")
                assert width <= 360  # nothing overflows a phone screen
                await page.screenshot(path=str(tmp_path / "notifikasi-360.png"))
                await page.get_by_role("button", name="Tandai semua sudah dibaca").click()
                await expect(page.locator("#lencana")).to_be_hidden()
                assert errors == []  # e.g. a script the CSP refused
            finally:
                await browser.close()
