"""The HTTP API and pages in-process (real PostgreSQL): 422s, 409 on a repeat, 429 on a flood, honeypot,
escaped free text, auth on staff routes, and the 360 aggregate appearing only from the third rater."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openpyxl
import pytest

from kinerja_feedback.bootstrap import DEFINITION
from kinerja_feedback.settings import FeedbackSettings
from kinerja_shared.auth import Role
from kinerja_shared.db import connect
from kinerja_shared.devissuer import ensure_keypair, mint_token
from kinerja_shared.runtime import build_app
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.testing.plugin import MakeDatabase, ProvisionedDatabase

from ..conftest import Org, rows, seed_org

pytestmark = pytest.mark.postgres

GOOD = [4, 3, 3, 4, 3, 4, 4, 3, 2]


@dataclass
class Api:
    db: ProvisionedDatabase
    org: Org
    settings: FeedbackSettings
    key: Path
    app: object

    def client(self, source: str = "10.0.0.1") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(source, 40000))  # type: ignore[arg-type]
        return httpx.AsyncClient(transport=transport, base_url="http://feedback.test")

    def token(self, asn_id: uuid.UUID | None, *roles: Role) -> dict[str, str]:
        t = mint_token(
            self.key,
            sub=str(asn_id or uuid.uuid4()),
            roles=roles or (Role.ASN,),
            regency_id=self.org.regency_id,
            asn_id=asn_id,
            name="Penguji",
            issuer=self.settings.jwt_issuer,
            audience=self.settings.jwt_audience,
        )
        return {"authorization": f"Bearer {t}"}


@pytest.fixture
async def api(make_database: MakeDatabase, kafka: KafkaSettings, tmp_path: Path) -> AsyncIterator[Api]:
    db = await make_database()
    key = tmp_path / "dev-issuer.pem"
    ensure_keypair(key)
    settings = FeedbackSettings(
        database_url=db.app_url,
        migration_database_url=db.owner_url,
        kafka=kafka,
        dev_issuer_key_file=key,
        environment="test",
        survey_burst=5,
        survey_rate_per_minute=6,
    )
    app = build_app(DEFINITION, settings, worker=False)
    async with app.router.lifespan_context(app):
        conn = await connect(db.owner_url)
        try:
            org = await seed_org(conn)
        finally:
            await conn.close()
        yield Api(db, org, settings, key, app)


async def test_a_repeat_from_the_same_device_gets_a_clear_409_and_other_citizens_are_unaffected(api: Api) -> None:
    url = f"/api/survei/{api.org.unit_id}"
    async with api.client("10.0.0.1") as siti, api.client("10.0.0.2") as budi:
        first = await siti.post(url, json={"answers": GOOD})
        assert first.status_code == 201, first.text
        assert "skm_perangkat" in first.cookies  # the device token rides in a cookie from now on
        again = await siti.post(url, json={"answers": [1] * 9})
        assert again.status_code == 409
        assert "sudah mengisi survei" in again.json()["detail"]
        assert (await budi.post(url, json={"answers": GOOD})).status_code == 201
    stored = await rows(api.db, "SELECT answers FROM survey_response")
    assert sorted(r["answers"] for r in stored) == [GOOD, GOOD]


async def test_the_html_form_works_without_javascript_and_explains_a_repeat(api: Api) -> None:
    async with api.client() as phone:
        page = await phone.get(f"/survei/{api.org.unit_id}")
        assert page.status_code == 200 and "<script" not in page.text and "stylesheet" not in page.text
        assert len(page.content) < 20_000  # one small page for a cheap phone on a slow network
        form = {f"u{i + 1}": str(a) for i, a in enumerate(GOOD)} | {"suggestion": "Ruang tunggu panas"}
        done = await phone.post(f"/survei/{api.org.unit_id}", data=form)
        assert done.status_code == 200 and "Terima kasih" in done.text
        repeat = await phone.post(f"/survei/{api.org.unit_id}", data=form)
        assert repeat.status_code == 409 and "sudah mengisi survei" in repeat.text
        missing = await phone.post(f"/survei/{api.org.unit_id}", data={"u1": "4"})
        assert missing.status_code == 422 and "Pilih salah satu jawaban" in missing.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answers": [4] * 8}, "answers"),
        ({"answers": [4, 4, 5, 4, 4, 4, 4, 4, 4]}, "answers.2"),
        ({"answers": [0, 4, 4, 4, 4, 4, 4, 4, 4]}, "answers.0"),
        ({"answers": GOOD, "suggestion": "x" * 2001}, "suggestion"),
        ({"answers": GOOD, "umur": 30}, "umur"),
        ({}, "answers"),
    ],
)
async def test_bad_survey_input_is_a_422_naming_the_field(api: Api, body: dict[str, object], field: str) -> None:
    async with api.client() as c:
        r = await c.post(f"/api/survei/{api.org.unit_id}", json=body)
    assert r.status_code == 422
    assert field in [d["field"] for d in r.json()["detail"]]
    assert await rows(api.db, "SELECT 1 FROM survey_response") == []


async def test_an_unknown_unit_is_a_422_and_nothing_already_accepted_is_lost(api: Api) -> None:
    async with api.client() as c:
        assert (await c.post(f"/api/survei/{api.org.unit_id}", json={"answers": GOOD})).status_code == 201
        r = await c.post(f"/api/survei/{uuid.uuid4()}", json={"answers": GOOD})
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == "unit_id"
    assert len(await rows(api.db, "SELECT 1 FROM survey_response")) == 1


async def test_a_malformed_unit_id_or_a_nul_character_is_a_422_naming_the_field(api: Api) -> None:
    async with api.client() as c:
        bad_id = await c.post("/api/survei/puskesmas-1", json={"answers": GOOD})
        nul = await c.post(f"/api/survei/{api.org.unit_id}", json={"answers": GOOD, "suggestion": "baik\u0000"})
    assert bad_id.status_code == 422 and bad_id.json()["detail"][0]["field"] == "unit_id"
    assert nul.status_code == 422 and nul.json()["detail"][0]["field"] == "suggestion"
    assert await rows(api.db, "SELECT 1 FROM survey_response") == []


async def test_each_survey_event_continues_the_trace_of_the_request_that_sent_it(api: Api) -> None:
    traces = [uuid.uuid4().hex for _ in range(3)]
    for i, trace in enumerate(traces):
        async with api.client(f"10.0.1.{i}") as c:
            r = await c.post(
                f"/api/survei/{api.org.unit_id}",
                json={"answers": GOOD},
                headers={"traceparent": f"00-{trace}-{'a' * 16}-01"},
            )
            assert r.status_code == 201, r.text
    events = await rows(api.db, "SELECT headers FROM outbox ORDER BY id")
    assert [dict(e["headers"])["ce_traceparent"].split("-")[1] for e in events] == traces


async def test_a_flooding_source_gets_429_while_another_source_is_served(api: Api) -> None:
    url = f"/api/survei/{api.org.unit_id}"
    async with api.client("10.9.9.9") as abuser, api.client("10.0.0.7") as citizen:
        codes = [(await abuser.post(url, json={"answers": GOOD})).status_code for _ in range(12)]
        assert codes[0] == 201 and codes.count(429) >= 6  # burst of 5, then refused (device repeats are 409)
        limited = await abuser.post(url, json={"answers": GOOD})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert "Terlalu banyak kiriman" in limited.json()["detail"]
        assert limited.headers["x-content-type-options"] == "nosniff"  # security headers on the fast path too
        assert (await citizen.post(url, json={"answers": GOOD})).status_code == 201


async def test_the_honeypot_answers_like_success_and_stores_nothing(api: Api) -> None:
    async with api.client() as bot:
        r = await bot.post(f"/api/survei/{api.org.unit_id}", json={"answers": GOOD, "website": "http://spam"})
        assert r.status_code == 201
        page = await bot.post(f"/survei/{api.org.unit_id}", data={"website": "x"})
        assert page.status_code == 200
    assert await rows(api.db, "SELECT 1 FROM survey_response") == []
    assert await rows(api.db, "SELECT 1 FROM outbox") == []


async def test_script_in_free_text_is_stored_as_given_and_rendered_escaped(api: Api) -> None:
    evil = '<script>alert("x")</script>'
    async with api.client() as c:
        filed = await c.post(
            "/api/pengaduan",
            json={"unit_id": str(api.org.unit_id), "subject": f"Judul {evil}", "body": f"Isi pengaduan {evil}"},
        )
        assert filed.status_code == 201
        code = filed.json()["tracking_code"]
        page = await c.get("/lacak", params={"kode": code})
        thread = await c.post(
            f"/api/units/{api.org.unit_id}/forum", json={"title": f"Tanya {evil}", "body": evil, "author_name": evil}
        )
        forum_page = await c.get(f"/forum/topik/{thread.json()['thread_id']}")
    [stored] = await rows(api.db, "SELECT subject, body FROM complaint")
    assert stored["body"] == f"Isi pengaduan {evil}"  # kept exactly as the citizen typed it
    for html in (page.text, forum_page.text):
        assert evil not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


async def test_complaint_api_validates_and_staff_routes_need_the_units_staff(api: Api) -> None:
    async with api.client() as c:
        short = await c.post("/api/pengaduan", json={"unit_id": str(api.org.unit_id), "subject": "Hi", "body": "x"})
        assert short.status_code == 422 and {d["field"] for d in short.json()["detail"]} == {"subject", "body"}
        huge = await c.post(
            "/api/pengaduan", json={"unit_id": str(api.org.unit_id), "subject": "Judul", "body": "x" * 4001}
        )
        assert huge.status_code == 422
        filed = await c.post(
            "/api/pengaduan",
            json={"unit_id": str(api.org.unit_id), "subject": "Obat habis", "body": "Obat hipertensi kosong."},
        )
        cid = filed.json()["complaint_id"]
        assert (await c.get(f"/api/units/{api.org.unit_id}/pengaduan")).status_code == 401
        outsider = api.token(uuid.uuid4())
        assert (await c.get(f"/api/units/{api.org.unit_id}/pengaduan", headers=outsider)).status_code == 403
        staff = api.token(api.org.staff[0])
        listed = await c.get(f"/api/units/{api.org.unit_id}/pengaduan", headers=staff)
        assert listed.status_code == 200 and listed.json()[0]["overdue"] is False
        answered = await c.post(
            f"/api/pengaduan/id/{cid}/tanggapan", json={"body": "Stok datang besok."}, headers=staff
        )
        assert answered.status_code == 200 and answered.json()["status"] == "diproses"
        early = await c.post(
            f"/api/pengaduan/{filed.json()['tracking_code']}/tinjauan", json={"verdict": "dikonfirmasi"}
        )
        assert early.status_code == 409
        public = await c.get(f"/api/pengaduan/{filed.json()['tracking_code']}")
        assert "reporter_contact" not in public.json()


async def test_360_api_shows_nothing_with_two_raters_and_the_aggregate_with_three(api: Api) -> None:
    org = api.org
    ratee = org.staff[0]
    async with api.client() as c:
        invite = await c.post(
            "/api/360/undangan",
            json={
                "asn_id": str(ratee),
                "period": "2026-Q4",
                "raters": [{"asn_id": str(r), "relation": "rekan"} for r in org.staff[1:4]],
            },
            headers=api.token(org.head, Role.ATASAN),
        )
        assert invite.status_code == 201, invite.text
        self_invite = await c.post(
            "/api/360/undangan",
            json={"asn_id": str(ratee), "period": "2026-Q4", "raters": [{"asn_id": str(ratee), "relation": "rekan"}]},
            headers=api.token(org.head, Role.ATASAN),
        )
        assert self_invite.status_code == 422
        seen = []
        for i, rater in enumerate(org.staff[1:4]):
            h = api.token(rater)
            [inv] = (await c.get("/api/360/undangan", headers=h)).json()
            body = {
                "ratings": dict.fromkeys(
                    ["berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal", "adaptif", "kolaboratif"],
                    ["di_atas", "sesuai", "di_bawah"][i],
                ),
                "comment": "Selalu membantu",
            }
            assert (
                await c.post(f"/api/360/undangan/{inv['invitation_id']}/penilaian", json=body, headers=h)
            ).status_code == 201
            again = await c.post(f"/api/360/undangan/{inv['invitation_id']}/penilaian", json=body, headers=h)
            assert again.status_code in (404, 409)
            seen.append((await c.get(f"/api/360/{ratee}/2026-Q4", headers=api.token(ratee))).json())
        assert [s["visible"] for s in seen] == [False, False, True]
        assert seen[1]["values"] is None and seen[1]["comments"] == []
        kompeten = next(v for v in seen[2]["values"] if v["value"] == "kompeten")
        assert (kompeten["di_atas"], kompeten["sesuai"], kompeten["di_bawah"], kompeten["score"]) == (1, 1, 1, "76.67")
        text = str(seen)
        assert not any(str(r) in text for r in org.staff[1:4])  # no API answer names a rater
        page = await c.get(f"/360/ringkasan/{ratee}/2026-Q4", headers=api.token(ratee) | {"accept": "text/html"})
        assert page.status_code == 200 and "Kompeten" in page.text
        colleague = await c.get(f"/api/360/{ratee}/2026-Q4", headers=api.token(org.staff[4]))
        assert colleague.status_code == 403


async def test_ikm_page_export_and_home(api: Api) -> None:
    async with api.client() as c:
        for i in range(3):
            async with api.client(f"10.1.0.{i}") as phone:
                assert (await phone.post(f"/api/survei/{api.org.unit_id}", json={"answers": GOOD})).status_code == 201
        data = (await c.get(f"/api/units/{api.org.unit_id}/ikm")).json()
        # Σ NRR = 30 → 30/9 × 25 = 83.33, mutu B; 3 of the 384 needed without a population
        assert (data["ikm"], data["mutu"], data["sample_note"]) == ("83.33", "B", "sampel belum memadai")
        assert data["weakest"] == ["U9"]
        page = await c.get(f"/ikm/{api.org.unit_id}", params={"periode": data["period"]})
        assert page.status_code == 200 and "83,33" in page.text and "vendor/chart.umd.min.js" in page.text
        csv = await c.get(f"/api/units/{api.org.unit_id}/ikm.csv", params={"period": data["period"]})
        assert "IKM (konversi x 25),83.33" in csv.text
        xlsx = await c.get(f"/api/units/{api.org.unit_id}/ikm.xlsx", params={"period": data["period"]})
        import io

        wb = openpyxl.load_workbook(io.BytesIO(xlsx.content))
        assert wb["Responden"].max_row == 4
        home = await c.get("/", params={"q": "muara"}, headers={"accept": "text/html"})
        assert home.status_code == 200 and "Puskesmas Muara Tebo" in home.text and "Sekretariat" not in home.text
        qr = await c.get(f"/survei/{api.org.unit_id}/qr.svg")
        assert qr.status_code == 200 and qr.text.startswith("<svg")
        poster = await c.get(f"/survei/{api.org.unit_id}/cetak")
        assert poster.status_code == 200 and "<svg" in poster.text


async def test_a_flood_is_refused_before_routing_with_the_routes_answer_and_headers(api: Api) -> None:
    url = f"/api/survei/{api.org.unit_id}"
    async with api.client("10.9.9.8") as abuser, api.client("10.0.0.8") as citizen:
        codes = [(await abuser.post(url, json={"answers": GOOD})).status_code for _ in range(8)]
        # burst of 5: one token per request, whether the guard or the route looked (a repeat device is a 409)
        assert codes[:5] == [201, 409, 409, 409, 409] and codes[5:] == [429, 429, 429]
        limited = await abuser.post(url, json={"answers": [9]})  # refused before its body is even read
        assert limited.status_code == 429 and limited.headers["content-security-policy"].startswith("default-src")
        assert limited.json()["detail"].startswith("Terlalu banyak") and int(limited.headers["retry-after"]) >= 1
        # the HTML form and other paths are not the guard's: a JSON 429 there would be the wrong answer
        assert (await abuser.post("/api/survei/x/y", json={})).status_code in {404, 405}
        assert (await citizen.post(url, json={"answers": GOOD})).status_code == 201
