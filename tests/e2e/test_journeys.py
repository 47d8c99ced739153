"""Every role's journey in a real browser (Debian Chromium) against the full stack behind the front door.

The stack is real: the four services as their own processes (api + worker each) on fresh databases and a fresh
Kafka topic namespace, Debian's nginx as the front door routing /activity, /evaluation, /feedback, /notify, and a
small demo province loaded by the demo loader through the front door (public APIs and Kafka only). Screenshots go
to the test's tmp dir (pytest --basetemp to keep them). CI-sized: two regencies, a few dozen ASN.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from kinerja_evaluation.domain.scoring_rules import period_label
from kinerja_local import frontdoor
from kinerja_local.config import SERVICES, Paths
from kinerja_local.demo.client import Api
from kinerja_local.demo.loader import JAKARTA, Loader, Options, Summary, quarter
from kinerja_local.state import State
from kinerja_shared.db import provision_database
from kinerja_shared.devissuer import DEMO_USERS_FILE, ensure_keypair
from kinerja_shared.messaging.admin import ensure_topics
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.testing.helpers import wait_until
from kinerja_shared.testing.plugin import TEST_APP, TEST_OWNER, TEST_PASSWORD, Infra, ProvisionedDatabase
from kinerja_shared.testing.processes import free_port, service_env
from kinerja_shared.topics import Topic, all_topic_specs

ISSUER = "http://127.0.0.1/dev-issuer"
AUDIENCE = "kinerja"


@dataclass
class Stack:
    url: str  # the front door, http://127.0.0.1:<port>
    key: Path
    tmp: Path
    ports: dict[str, int]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    summary: Summary | None = None
    loader: Loader | None = None

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")[-3000:]


async def _namespace(kafka: KafkaSettings) -> KafkaSettings:
    ns = f"j{secrets.token_hex(4)}."
    specs = [
        Topic(
            ns + t.name,
            owner=t.owner,
            description=t.description,
            partitions=min(2, t.partitions),
            compacted=t.compacted,
            retention_ms=t.retention_ms,
        )  # fmt: skip
        for t in all_topic_specs()
    ]
    await ensure_topics(kafka, specs)
    return kafka.model_copy(update={"topic_namespace": ns})


async def _database(infra: Infra) -> ProvisionedDatabase:
    host = infra.pg_admin_dsn.split("@", 1)[1].rsplit("/", 1)[0]
    name = f"t_{secrets.token_hex(6)}"
    await provision_database(infra.pg_admin_dsn, name, owner=TEST_OWNER, app_role=TEST_APP)
    return ProvisionedDatabase(
        name,
        app_url=f"postgresql://{TEST_APP}:{TEST_PASSWORD}@{host}/{name}",
        owner_url=f"postgresql://{TEST_OWNER}:{TEST_PASSWORD}@{host}/{name}",
    )


@asynccontextmanager
async def full_stack(infra: Infra, kafka: KafkaSettings, tmp: Path, opts: Options) -> AsyncIterator[Stack]:
    """Start everything at once (processes in parallel), wait until ready, load the demo, yield; stop it all."""
    key = tmp / "dev-issuer.pem"
    ensure_keypair(key)
    ns = await _namespace(kafka)
    dbs = dict(zip(SERVICES, await asyncio.gather(*(_database(infra) for _ in SERVICES)), strict=True))
    ports = {f"{svc}-{role}": free_port() for svc in SERVICES for role in ("api", "worker")}
    stack = Stack("", key, tmp, ports)
    fd = Paths(tmp / "frontdoor")
    try:
        for svc in SERVICES:
            for role in ("api", "worker"):
                name = f"{svc}-{role}"
                env = service_env(svc, role, dbs[svc], ns, tmp, ports[name]) | {
                    "KINERJA_ENV": "development",  # the dev sign-in page, as in the demo
                    "ACTIVITY_EVIDENCE_DIR": str(tmp / "bukti"),
                    "PYTHONUNBUFFERED": "1",
                }
                with open(tmp / f"{name}.log", "wb") as log:
                    stack.procs[name] = subprocess.Popen(
                        [sys.executable, "-m", f"kinerja_{svc}", role], env=env, stdout=log, stderr=log
                    )
        async with httpx.AsyncClient(timeout=5) as client:
            for name, proc in stack.procs.items():
                last: list[str] = []

                async def ready(name: str = name, proc: subprocess.Popen[bytes] = proc, last: list[str] = last) -> bool:
                    if proc.poll() is not None:
                        raise AssertionError(f"{name} exited during start-up: {stack.log(name)}")
                    try:
                        r = await client.get(f"http://127.0.0.1:{ports[name]}/health/ready")
                    except httpx.TransportError as e:
                        last[:] = [repr(e)]
                        return False
                    last[:] = [r.text]
                    return r.status_code == 200

                try:
                    await wait_until(ready, timeout=400, what=f"{name} ready")
                except AssertionError as e:
                    raise AssertionError(f"{e}: {last} {stack.log(name)}") from None
        port, _ = frontdoor.ensure(fd, State(fd), {svc: ports[f"{svc}-api"] for svc in SERVICES}, lambda _m: None)
        stack.url = f"http://127.0.0.1:{port}"
        async with Api(stack.url, key, ISSUER, AUDIENCE, concurrency=8) as api:
            opts = dataclasses.replace(opts, users_file=key.parent / DEMO_USERS_FILE)  # the sign-in picker reads it
            stack.loader = Loader(api, opts, lambda *_: None)
            stack.summary = await stack.loader.run()
        yield stack
    finally:
        frontdoor.stop(fd)
        for proc in stack.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in stack.procs.values():
            try:
                await asyncio.to_thread(proc.wait, 30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if os.environ.get("KINERJA_TEST_KEEP_DATABASES") != "1":
            import asyncpg

            conn = await asyncpg.connect(infra.pg_admin_dsn)
            try:
                for db in dbs.values():
                    await conn.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
            finally:
                await conn.close()


pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.postgres, pytest.mark.timeout(1200)]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip
PHONE = {"width": 360, "height": 640}
CI_SIZE = Options(asn=60, regencies=2, detail_share=0.3, surveys_per_unit=(3, 6), wait_seconds=120)


@pytest.fixture(scope="module")
async def stack(infra: Infra, kafka: KafkaSettings, _test_roles: None, tmp_path_factory: pytest.TempPathFactory
                ) -> AsyncIterator[Stack]:  # fmt: skip
    tmp = tmp_path_factory.mktemp("journeys")
    async with full_stack(infra, kafka, tmp, CI_SIZE) as s:
        yield s


async def test_front_door_routes_every_prefix_and_the_demo_is_loaded(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as client:
        root = await client.get("/")
        assert root.status_code == 302 and root.headers["location"].endswith("/evaluation/")
        citizens = await client.get("/warga")
        assert citizens.status_code == 302 and citizens.headers["location"].endswith("/feedback/")
        for svc in SERVICES:
            live = await client.get(f"/{svc}/health/live")
            assert live.status_code == 200, (svc, live.text)
            page = await client.get(f"/{svc}/", headers={"Accept": "text/html"})
            assert page.status_code == 200, (svc, page.status_code)
            assert f'href="/{svc}/static/' in page.text  # the service saw its prefix and built links with it
    s = stack.summary
    assert s is not None
    assert s.regencies == 2 and s.asn >= 60 and s.skp_approved > 0 and s.activities > 0 and s.surveys > 0, s


# ---- browser journeys ---------------------------------------------------------------------------------------


def _user(stack: Stack, label: str) -> dict[str, str]:
    users = json.loads((stack.key.parent / "demo-users.json").read_text())["users"]
    return next(u for u in users if u["label"] == label)


@asynccontextmanager
async def _browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def _sign_in(browser: Any, stack: Stack, label: str, next_path: str, *, phone: bool = True) -> Any:
    """A fresh browser context signed in through the demo picker (the dev issuer behind the front door)."""
    ctx = await browser.new_context(viewport=PHONE if phone else {"width": 1280, "height": 900}, locale="id-ID")
    ctx.set_default_timeout(30_000)
    page = await ctx.new_page()
    await page.goto(f"{stack.url}/evaluation/dev/login?next={next_path}")
    await page.get_by_role("button", name=f"Masuk sebagai {label}", exact=True).click()
    await page.wait_for_url(f"**{next_path}*")
    return page


async def _shot(page: Any, stack: Stack, name: str) -> None:
    await page.screenshot(path=str(stack.tmp / f"{name}.png"), full_page=True)


async def _no_sideways_scroll(page: Any) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"page is {width} px wide at {PHONE['width']} px"


async def test_asn_reports_on_a_phone_and_the_superior_verifies(stack: Stack) -> None:
    asn = _user(stack, "ASN")
    text = "Pemeriksaan pasien lansia di posyandu (perjalanan uji)"
    async with _browser() as browser:
        # the superior's team view is open before anything happens: it must update by itself (SSE via nginx)
        sup = await _sign_in(browser, stack, "Atasan", "/activity/tim")
        await sup.get_by_text(asn["name"]).first.wait_for()

        page = await _sign_in(browser, stack, "ASN", "/activity/kegiatan")
        await _shot(page, stack, "01-asn-kegiatan")
        await _no_sideways_scroll(page)
        await page.get_by_text("+ Tambah kegiatan").click()  # the form folds away once the day has entries
        form = page.locator("#form-kegiatan")
        await form.get_by_label("Indikator/RHK").select_option(index=1)
        await form.get_by_label("Uraian kegiatan").fill(text)
        await form.get_by_label("Mulai").fill("06:00")
        await form.get_by_label("Selesai").fill("07:00")
        await form.get_by_role("button", name="Simpan kegiatan").click()
        await page.locator("article.act", has_text=text).wait_for()
        assert "Menunggu verifikasi" in await page.locator("article.act", has_text=text).inner_text()
        await _shot(page, stack, "02-asn-kegiatan-tersimpan")

        await sup.get_by_text(text).first.wait_for(timeout=30_000)  # no reload: pushed through the front door
        await _shot(sup, stack, "03-atasan-tim-langsung")

        await sup.goto(f"{stack.url}/activity/verifikasi")
        item = sup.locator("label.pick", has_text=text)
        await item.wait_for()
        await _shot(sup, stack, "04-atasan-antrean")
        await item.locator("input[name=ids]").check()
        await sup.get_by_role("button", name="Setujui terpilih").click()
        await sup.wait_for_load_state()
        assert await sup.locator("label.pick", has_text=text).count() == 0
        await _shot(sup, stack, "05-atasan-antrean-setelah")

        # the ASN sees it verified, and her score page (evaluation, fed by Kafka) answers with her name
        await page.goto(f"{stack.url}/activity/kegiatan")
        assert "Diverifikasi" in await page.locator("article.act", has_text=text).inner_text()
        await page.goto(f"{stack.url}/evaluation/kinerja-saya")
        await page.get_by_text(asn["name"]).first.wait_for()
        await _shot(page, stack, "06-asn-kinerja-saya")


async def test_citizen_fills_the_survey_from_the_qr_link_and_files_a_complaint(stack: Stack) -> None:
    loader = stack.loader
    assert loader is not None
    asn, _ = loader.demo_pair()
    unit = asn.unit_id
    async with httpx.AsyncClient(base_url=stack.url, timeout=20) as client:
        before = (await client.get(f"/feedback/api/units/{unit}/ikm")).json()["respondents"]
        svg = (await client.get(f"/feedback/survei/{unit}/qr.svg")).text
        assert "<svg" in svg
    async with _browser() as browser:
        ctx = await browser.new_context(viewport=PHONE, locale="id-ID")
        page = await ctx.new_page()
        await page.goto(f"{stack.url}/feedback/survei/{unit}")
        await _shot(page, stack, "10-warga-survei")
        await _no_sideways_scroll(page)
        for n in range(1, 10):
            await page.locator(f"input[type=radio][name=u{n}][value='4']").check()
        await page.get_by_role("button", name="Kirim jawaban").click()
        await page.wait_for_load_state()
        await _shot(page, stack, "11-warga-survei-terkirim")

        async with httpx.AsyncClient(base_url=stack.url, timeout=20) as client:

            async def counted() -> bool:
                return (await client.get(f"/feedback/api/units/{unit}/ikm")).json()["respondents"] == before + 1

            await wait_until(counted, timeout=30, what="the survey in the IKM")
        await page.goto(f"{stack.url}/feedback/ikm/{unit}")
        shown = page.locator("article", has=page.locator("header", has_text="Responden")).locator("strong")
        assert (await shown.inner_text()).strip() == str(before + 1)
        await _shot(page, stack, "12-warga-ikm")

        await page.goto(f"{stack.url}/feedback/pengaduan/{unit}/baru")
        await page.get_by_label("Judul singkat").fill("Obat habis di apotek puskesmas")
        await page.get_by_label("Isi pengaduan").fill("Sudah tiga hari obat hipertensi tidak tersedia di apotek.")
        await page.get_by_role("button", name="Kirim pengaduan").click()
        code = await page.get_by_text("ADU-").first.inner_text()
        code = next(w for w in code.split() if w.startswith("ADU-")).strip(".,")
        await _shot(page, stack, "13-warga-kode-pengaduan")

        head = await _sign_in(browser, stack, "Atasan", f"/feedback/staf/unit/{unit}/pengaduan")
        await head.get_by_role("link", name=code).click()  # the desk lists complaints by tracking code
        await head.get_by_label("Tanggapan kepada pelapor").fill("Stok obat datang besok pagi; mohon maaf.")
        await head.get_by_role("button", name="Kirim tanggapan").click()
        await head.wait_for_load_state()
        await _shot(head, stack, "14-unit-menanggapi")

        await page.goto(f"{stack.url}/feedback/lacak?kode={code}")
        await page.get_by_text("Stok obat datang besok pagi").first.wait_for()
        await _shot(page, stack, "15-warga-lacak")


async def test_superior_evaluates_and_the_asn_is_notified_with_predikat(stack: Stack) -> None:
    asn = _user(stack, "ASN")
    async with _browser() as browser:
        period = quarter(datetime.now(JAKARTA).date())
        sup = await _sign_in(
            browser, stack, "Atasan", f"/evaluation/penilaian/{asn['asn_id']}?period={period}", phone=False
        )
        for select in await sup.locator("select[data-value]").all():
            await select.select_option("sesuai_ekspektasi")
        await _shot(sup, stack, "20-atasan-penilaian")
        await sup.get_by_role("button", name="Kirim penilaian").click()
        await sup.wait_for_load_state()
        await _shot(sup, stack, "21-atasan-penilaian-terkirim")

        page = await _sign_in(browser, stack, "ASN", "/notify/")

        async def notified() -> bool:
            await page.reload()
            return await page.get_by_text("Hasil evaluasi periode", exact=False).count() > 0

        await wait_until(notified, timeout=60, interval=2, what="the evaluation in the ASN's inbox")
        await _shot(page, stack, "22-asn-notifikasi")
        await page.goto(f"{stack.url}/evaluation/kinerja-saya")
        predikat = page.get_by_test_id("predikat")
        await predikat.wait_for()
        assert (await predikat.inner_text()).strip() in {"Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang/Misconduct",
                                                          "Sangat Kurang", "Kurang / Misconduct"}  # fmt: skip
        await _shot(page, stack, "23-asn-predikat")


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && e.offsetParent !== null && !e.closest('[aria-hidden=true]'))
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
  .map(e => e.name || e.id || e.outerHTML.slice(0, 60))"""


async def test_main_pages_weight_labels_and_keyboard_at_360_px(stack: Stack) -> None:
    """Bytes transferred on a cold first visit (gzip through the front door) for the main pages, every visible
    input labelled, and the activity form's submit button reachable with Tab alone."""
    loader = stack.loader
    assert loader is not None
    asn, _ = loader.demo_pair()
    unit = asn.unit_id
    pages = {
        "warga: beranda layanan publik": ("", "/feedback/"),
        "warga: survei SKM (dari QR)": ("", f"/feedback/survei/{unit}"),
        "warga: IKM unit": ("", f"/feedback/ikm/{unit}"),
        "warga: pengaduan baru": ("", f"/feedback/pengaduan/{unit}/baru"),
        "masuk (pilih pengguna demo)": ("", "/evaluation/dev/login"),
        "ASN: beranda per peran": ("ASN", "/evaluation/"),
        "ASN: kegiatan harian": ("ASN", "/activity/kegiatan"),
        "ASN: kinerja saya": ("ASN", "/evaluation/kinerja-saya"),
        "ASN: notifikasi": ("ASN", "/notify/"),
        "atasan: verifikasi": ("Atasan", "/activity/verifikasi"),
        "atasan: tim hari ini": ("Atasan", "/activity/tim"),
        "atasan: penilaian (tautan tanpa periode)": ("Atasan", f"/evaluation/penilaian/{asn.asn_id}"),
        "BKPSDM: admin (impor pegawai)": ("Admin BKPSDM", "/evaluation/admin"),
        "provinsi: perbandingan kabupaten/kota": ("Admin provinsi", "/evaluation/provinsi"),
    }
    signed = {"Admin BKPSDM": loader.bkpsdm(asn.regency_id), "Admin provinsi": loader.province_admin}
    weights: dict[str, int] = {}
    unlabelled: dict[str, list[str]] = {}
    async with _browser() as browser:
        for title, (who, path) in pages.items():
            ctx = await browser.new_context(viewport=PHONE, locale="id-ID")
            if who:
                u = _user(stack, who)  # a cold cache, signed in: the session cookie the picker would set
                as_who = signed.get(who) or next(a.who for a in loader.asn.values() if str(a.asn_id) == u["asn_id"])
                token = loader.api.token(as_who)
                await ctx.add_cookies([{"name": "kinerja_session", "value": token, "url": stack.url}])
            page = await ctx.new_page()
            sizes: list[Any] = []
            page.on("requestfinished", lambda req, sizes=sizes: sizes.append(req))
            answer = await page.goto(stack.url + path, wait_until="load")
            assert answer is not None and answer.status == 200, (title, answer and answer.status)
            total = 0
            for req in sizes:
                s = await req.sizes()
                total += s["responseBodySize"] + s["responseHeadersSize"]
            weights[title] = total
            bad = await page.evaluate(UNLABELLED)
            if bad:
                unlabelled[title] = bad
            await _no_sideways_scroll(page)
            await ctx.close()

        page = await _sign_in(browser, stack, "ASN", "/activity/kegiatan")
        focused = "document.activeElement && document.activeElement.textContent.trim()"
        for _ in range(80):
            await page.keyboard.press("Tab")
            now = await page.evaluate(focused)
            if now == "+ Tambah kegiatan":
                await page.keyboard.press("Enter")  # opens the folded form, as a keyboard user would
            if now == "Simpan kegiatan":
                break
        else:
            raise AssertionError("the 'Simpan kegiatan' button is not reachable with the keyboard")
    report = "\n".join(f"{t:<34} {w / 1024:7.1f} kB" for t, w in weights.items())
    (stack.tmp / "page-weight.txt").write_text(report + "\n")
    print("\n" + report)  # noqa: T201 - figures for docs/demo.md
    assert all(w < 400 * 1024 for w in weights.values()), report
    assert not unlabelled, f"inputs without a label: {unlabelled}"


async def test_province_admin_compares_regencies(stack: Stack) -> None:
    s = stack.summary
    assert s is not None
    async with _browser() as browser:
        page = await _sign_in(browser, stack, "Admin provinsi", "/feedback/provinsi", phone=False)
        table = page.locator("table")
        await table.wait_for()
        names = [r.regency.name for r in stack.loader.rosters] if stack.loader else []
        for name in names:
            row = table.locator("tbody tr", has_text=name)
            assert await row.count() == 1, name
            cells = await row.locator("td").all_inner_texts()
            assert cells[0] != "—" and int(cells[2].replace(".", "")) > 0, (name, cells)  # an IKM from answers
        await page.locator("#ikm-regency-chart").wait_for()
        await _shot(page, stack, "30-provinsi-perbandingan")

        # performance side by side: from the role landing to the regency comparison (scores and predikat, Chart.js)
        await page.goto(f"{stack.url}/evaluation/")
        await page.locator("a", has_text="Bandingkan kabupaten/kota").click()
        await page.wait_for_url("**/evaluation/provinsi*")
        scored_cells = page.locator("#regency-table tbody tr td:nth-of-type(2)")

        async def every_regency_scored() -> bool:  # the scores come from the engine via Kafka: allow it to catch up
            await page.reload()
            got = [int(t.replace(".", "")) for t in await scored_cells.all_inner_texts()]
            return len(got) == len(names) and all(n > 0 for n in got)

        await wait_until(every_regency_scored, timeout=60, interval=2, what="a predikat in every regency")
        for name in names:
            row = page.locator("#regency-table tbody tr", has_text=name)
            assert await row.count() == 1, name
            cells = await row.locator("td").all_inner_texts()
            assert int(cells[0].replace(".", "")) > 0 and cells[2] != "—", (name, cells)  # ASN, average score
        for chart_id in ("regency-score-chart", "regency-predikat-chart"):
            drawn = page.locator(f"canvas#{chart_id}[data-drawn='1']")
            await drawn.wait_for()  # kinerja.js drew it from data-chart (no inline script under the CSP)
            labels = await page.evaluate(f"Chart.getChart(document.getElementById('{chart_id}')).data.labels")
            assert sorted(labels) == sorted(names), (chart_id, labels)
        values = await page.evaluate(
            "Chart.getChart(document.getElementById('regency-score-chart')).data.datasets[0].data"
        )
        assert len(values) == len(names) and all(v is not None and v > 0 for v in values), values
        await _shot(page, stack, "31-provinsi-skor-kabupaten")
        # a regency user is refused with a clear Indonesian page, not a stack trace
        asn = await _sign_in(browser, stack, "ASN", "/feedback/")
        refused = await asn.goto(f"{stack.url}/feedback/provinsi")
        assert refused is not None and refused.status == 403
        assert "Akses ditolak" in await asn.content()


async def test_hr_admin_imports_changes_a_rule_finalises_approves_an_award_that_verifies(stack: Stack) -> None:
    loader = stack.loader
    assert loader is not None
    demo, boss = loader.demo_pair()
    header = "nip;nama;email;unit_kerja;jabatan;kelas_jabatan;golongan;jenis_kelamin;lokasi;nip_atasan;status"
    rows = [
        f"199203142020122001;Nur Lestari (contoh);nur.lestari@kinerja-demo.id;{demo.person.unit};Bidan Ahli Pertama;"
        f"8;III/a;P;perdesaan;{boss.person.nip};aktif",
        f"199511052021011003;Eko Saputra (contoh);;{demo.person.unit};Perawat Terampil;7;II/c;L;perdesaan;"
        f"{boss.person.nip};aktif",
    ]
    roster = ("\n".join([header, *rows]) + "\n").encode()
    async with _browser() as browser:
        page = await _sign_in(browser, stack, "Admin BKPSDM", "/evaluation/admin", phone=False)
        await page.locator("input[type=file][name=file]").set_input_files(
            files=[{"name": "pegawai-baru.csv", "mimeType": "text/csv", "buffer": roster}]
        )
        await page.get_by_role("button", name="Periksa dan impor").click()
        await page.wait_for_load_state()
        await _shot(page, stack, "40-bkpsdm-impor")
        # the new ASN are registered: the head of the puskesmas now assesses them
        async with httpx.AsyncClient(base_url=stack.url, timeout=20) as client:
            token = loader.api.token(loader.bkpsdm(demo.regency_id))
            who = (
                await client.get("/evaluation/api/org/assessors", headers={"Authorization": f"Bearer {token}"})
            ).json()
            new = {x["name"]: x for x in who if x["name"] in ("Nur Lestari (contoh)", "Eko Saputra (contoh)")}
            assert len(new) == 2 and all(x["superior_id"] == str(boss.asn_id) for x in new.values()), new

        # a rule of the regency: the capaian cap (Table P3, config) from 120 to 115
        await page.goto(f"{stack.url}/evaluation/admin")
        await page.get_by_label("Batas atas capaian (%)").fill("115")
        await page.get_by_role("button", name="Simpan konfigurasi").click()
        await page.wait_for_load_state()
        await page.goto(f"{stack.url}/evaluation/admin")
        assert await page.get_by_label("Batas atas capaian (%)").input_value() in ("115", "115.00", "115,00")
        await _shot(page, stack, "41-bkpsdm-aturan")

        # finalise the quarter against the distribution curve (Table K1), acknowledging what the curve flags
        period = quarter(datetime.now(JAKARTA).date())
        await page.goto(f"{stack.url}/evaluation/tindak-lanjut/kurva?periode={period}")
        await page.locator("canvas.curve[data-drawn='1']").first.wait_for()
        await _shot(page, stack, "42-bkpsdm-kurva")
        final = page.locator("form", has=page.get_by_role("button", name="Finalisasi", exact=True))
        await final.get_by_label("Saya sudah meninjau pelanggaran kurva", exact=False).check()
        await final.get_by_role("button", name="Finalisasi", exact=True).click()
        await page.wait_for_load_state()
        said = await page.get_by_role("status").inner_text()
        m = re.search(r"Finalisasi: (\d+) hasil menjadi final", said)
        assert m is not None and int(m.group(1)) > 0, said
        await _shot(page, stack, "43-bkpsdm-finalisasi")

        # approve an award candidate (Table R1: a Sangat Baik result nominates) → a piagam with a code
        await page.goto(f"{stack.url}/evaluation/tindak-lanjut/penghargaan")
        approve = page.get_by_role("button", name="Setujui", exact=True)

        async def nominated() -> bool:
            await page.reload()
            return await approve.count() > 0

        await wait_until(nominated, timeout=60, interval=2, what="an award candidate")
        card = page.locator("article", has=approve).first
        winner = (await card.locator("header strong").inner_text()).strip()
        award_path = await card.locator("form").get_attribute("action")
        assert award_path is not None
        await card.get_by_label("Usulan insentif (Rp, opsional)").fill("500000")
        await card.get_by_role("button", name="Setujui", exact=True).click()
        await page.wait_for_load_state()
        assert "Keputusan penghargaan disimpan" in await page.get_by_role("status").inner_text()
        piagam = page.locator(f"a[href='{award_path}/piagam.pdf']")
        done = page.locator("article", has=piagam)
        code_m = re.search(r"kode ([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})", await done.inner_text())
        assert code_m is not None, await done.inner_text()
        code = code_m.group(1)
        await _shot(page, stack, "44-bkpsdm-penghargaan")
        pdf = await page.request.get(stack.url + award_path + "/piagam.pdf")
        assert pdf.status == 200 and pdf.headers["content-type"].startswith("application/pdf"), pdf.status
        assert (await pdf.body()).startswith(b"%PDF")

        # anyone holding the paper verifies it publicly, no account, typing the code as printed (case, spaces)
        public = await browser.new_context(viewport=PHONE, locale="id-ID")
        visitor = await public.new_page()
        await visitor.goto(f"{stack.url}/evaluation/verifikasi")
        await visitor.get_by_label("Kode verifikasi").fill(code.lower().replace("-", " "))
        await visitor.get_by_role("button", name="Periksa").click()
        await visitor.get_by_text("Piagam sah").wait_for()
        shown = await visitor.locator("article").inner_text()
        assert winner.split()[0] in shown and period_label(period) in shown, shown
        assert winner not in shown  # the name is masked (first name and initials)
        await _no_sideways_scroll(visitor)
        await _shot(visitor, stack, "45-publik-verifikasi-piagam")
        wrong = await visitor.goto(f"{stack.url}/evaluation/verifikasi/{code[::-1]}")
        assert wrong is not None and wrong.status == 404 and "Kode tidak dikenal" in await visitor.content()
