"""The HTTP API and pages in-process on real PostgreSQL: auth (401/403/404), 422 with field and reason, pages."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kinerja_evaluation.bootstrap import DEFINITION
from kinerja_evaluation.examples import example_skp, roster_csv
from kinerja_evaluation.settings import EvaluationSettings
from kinerja_shared.devissuer import ensure_keypair, mint_token
from kinerja_shared.runtime import build_app
from kinerja_shared.testing.plugin import MakeDatabase

from ..conftest import KADIS, PEER, PROVINCE, SEKDA, STAFF, small_roster

pytestmark = pytest.mark.postgres


@dataclass
class Api:
    http: httpx.AsyncClient
    key: Path
    settings: Any
    regency: uuid.UUID

    def token(self, roles: list[str], *, asn: uuid.UUID | None = None, regency: uuid.UUID | None = None,
              province: uuid.UUID | None = None, name: str = "Pengguna") -> dict[str, str]:  # fmt: skip
        tok = mint_token(self.key, sub=str(asn or uuid.uuid4()), roles=roles, regency_id=regency or self.regency,
                         asn_id=asn, name=name, issuer=self.settings.jwt_issuer, audience=self.settings.jwt_audience,
                         province_id=province)  # fmt: skip
        return {"authorization": f"Bearer {tok}"}

    def admin(self, regency: uuid.UUID | None = None) -> dict[str, str]:
        return self.token(["admin_bkpsdm"], regency=regency, name="Admin BKPSDM")


@pytest.fixture
async def api(make_database: MakeDatabase, tmp_path: Path) -> AsyncIterator[Api]:
    db = await make_database(DEFINITION.migrations_dir, prefix="evaluation")
    key = tmp_path / "dev-issuer.pem"
    ensure_keypair(key)
    settings = EvaluationSettings(database_url=db.app_url, migration_database_url=db.owner_url,
                                  dev_issuer_key_file=key, environment="test")  # fmt: skip
    app = build_app(DEFINITION, settings, worker=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            a = Api(http, key, settings, uuid.uuid4())
            prov = a.token(["admin_provinsi"], regency=None, province=PROVINCE)
            body = {"province_id": str(PROVINCE), "province_name": "Provinsi Jambi", "name": "Kabupaten Tebo",
                    "code": "15.09"}  # fmt: skip
            assert (await http.put(f"/api/regencies/{a.regency}", json=body, headers=prov)).status_code == 200
            yield a


async def _office(api: Api) -> dict[str, uuid.UUID]:
    files = {"file": ("pegawai.csv", roster_csv(small_roster()), "text/csv")}
    r = await api.http.post("/api/org/import", files=files, headers=api.admin())
    assert r.status_code == 200, r.text
    rows = (await api.http.get("/api/org/assessors", headers=api.admin())).json()
    by_nip = {x["nip"]: uuid.UUID(x["asn_id"]) for x in rows}
    return {"sekda": by_nip[SEKDA], "kadis": by_nip[KADIS], "staff": by_nip[STAFF], "peer": by_nip[PEER]}


async def test_import_endpoint_answers_422_with_every_bad_row(api: Api) -> None:
    rows = small_roster()
    rows[2]["nip"] = "1975"  # line 4
    rows[3]["lokasi"] = "bulan"  # line 5
    files = {"file": ("pegawai.csv", roster_csv(rows), "text/csv")}
    r = await api.http.post("/api/org/import", files=files, headers=api.admin())
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert [(d["line"], d["column"]) for d in detail] == [(4, "nip"), (5, "lokasi")]
    assert all(d["reason"] and d["message_id"].startswith("Baris") for d in detail)
    assert (await api.http.get("/api/org/units", headers=api.admin())).json() == []
    asn = api.token(["asn"], asn=uuid.uuid4())
    assert (await api.http.post("/api/org/import", files=files, headers=asn)).status_code == 403
    assert (await api.http.post("/api/org/import", files=files)).status_code == 401


async def test_bad_skp_input_is_422_with_field_and_reason_and_loses_nothing(api: Api) -> None:
    o = await _office(api)
    staff = api.token(["asn"], asn=o["staff"], name="Staf")
    good = example_skp("transport_officer", 2026)
    r = await api.http.post("/api/skp", json=good, headers=staff)
    assert r.status_code == 201, r.text
    skp_id = r.json()["id"]

    def with_indicator(**over: Any) -> dict[str, Any]:
        ind = good["rhk"][0]["indicators"][0] | over
        return {"rhk": [good["rhk"][0] | {"indicators": [ind]}]}

    cases = [
        (with_indicator(target="-5"), "rhk.0.indicators.0.target"),
        (with_indicator(target="dua puluh"), "rhk.0.indicators.0.target"),
        (with_indicator(unit="ekor"), "rhk.0.indicators.0.unit"),
        ({"rhk": [good["rhk"][0] | {"parent_rhk_id": str(uuid.uuid4())}]}, "rhk.0.parent_rhk_id"),
    ]
    for body, field in cases:
        r = await api.http.put(f"/api/skp/{skp_id}/content", json=body, headers=staff)
        assert r.status_code == 422, (field, r.text)
        [d] = r.json()["detail"]
        assert d["field"] == field and d["reason"] and d["message_id"]
    r = await api.http.post("/api/skp", json={"year": 2027, "period_start": "2026-12-01"}, headers=staff)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "period_start"
    view = (await api.http.get(f"/api/skp/{skp_id}", headers=staff)).json()
    assert [(i["target"], i["unit"]) for i in view["rhk"][0]["indicators"]] == [("20", "kejadian")]


async def test_approval_and_visibility_rules(api: Api) -> None:
    o = await _office(api)
    staff = api.token(["asn"], asn=o["staff"], name="Staf")
    peer = api.token(["asn", "atasan"], asn=o["peer"], name="Rekan")
    kadis = api.token(["asn", "atasan"], asn=o["kadis"], name="Kadis")
    sekda = api.token(["asn", "atasan"], asn=o["sekda"], name="Sekda")
    skp_id = (await api.http.post("/api/skp", json=example_skp("permit_officer", 2026), headers=staff)).json()["id"]
    assert (await api.http.post(f"/api/skp/{skp_id}/submit", headers=staff)).status_code == 204

    r = await api.http.post(f"/api/skp/{skp_id}/approve", headers=staff)
    assert r.status_code == 403 and "sendiri" in r.json()["detail"]
    assert (await api.http.post(f"/api/skp/{skp_id}/approve", headers=peer)).status_code == 403
    assert (await api.http.get(f"/api/skp/{skp_id}", headers=peer)).status_code == 403
    assert (await api.http.post(f"/api/skp/{skp_id}/approve", headers=sekda)).status_code == 403  # sees, not assessor
    assert (await api.http.get(f"/api/skp/{skp_id}", headers=sekda)).status_code == 200  # superior chain may see

    other = api.admin(regency=uuid.uuid4())
    assert (await api.http.get(f"/api/skp/{skp_id}", headers=other)).status_code == 404
    assert (await api.http.get("/api/org/units", headers=other)).json() == []
    assert (await api.http.get(f"/api/skp/{skp_id}", headers=api.admin())).status_code == 200
    province = api.token(["inspektorat"], regency=None, province=PROVINCE)
    assert (await api.http.get(f"/api/skp/{skp_id}", headers=province)).status_code == 200
    elsewhere = api.token(["inspektorat"], regency=None, province=uuid.uuid4())
    assert (await api.http.get(f"/api/skp/{skp_id}", headers=elsewhere)).status_code == 404
    assert (await api.http.get(f"/api/skp/{skp_id}")).status_code == 401

    r = await api.http.post(f"/api/skp/{skp_id}/revision", json={"comment": " "}, headers=kadis)
    assert r.status_code == 422
    assert (await api.http.post(f"/api/skp/{skp_id}/approve", headers=kadis)).status_code == 204
    assert (await api.http.post(f"/api/skp/{skp_id}/approve", headers=kadis)).status_code == 409
    subs = (await api.http.get("/api/subordinates?year=2026", headers=kadis)).json()
    assert {s["name"]: s["status"] for s in subs} == {"Staf (contoh)": "approved", "Rekan (contoh)": None}


async def test_pages_per_role_in_bahasa_indonesia(api: Api) -> None:
    o = await _office(api)
    html = {"accept": "text/html"}
    staff = api.token(["asn"], asn=o["staff"], name="Staf") | html
    kadis = api.token(["asn", "atasan"], asn=o["kadis"], name="Kadis") | html
    home = await api.http.get("/", headers=html)
    assert home.status_code == 200 and "Silakan masuk" in home.text
    assert "SKP Saya" in (await api.http.get("/", headers=staff)).text
    assert "Impor data pegawai" in (await api.http.get("/", headers=api.admin() | html)).text
    r = await api.http.get("/skp-saya?tahun=2026", headers=staff)
    assert r.status_code == 200 and "belum memiliki SKP tahun 2026" in r.text
    r = await api.http.post("/skp-saya/buat", data={"year": "2026"}, headers=staff)
    assert r.status_code == 303
    page = await api.http.get("/skp-saya?tahun=2026", headers=staff)
    assert "Tambah RHK" in page.text and "Draf" in page.text
    skp_id = (await api.http.get("/api/skp/mine?year=2026", headers=staff)).json()["skp_id"]
    form = {"kind": "utama", "description": "Menurunnya kecelakaan lalu lintas", "name": "Kecelakaan per triwulan",
            "target": "-3", "unit": "kejadian", "aspect": "kuantitas", "direction": "lower",
            "weight": "100"}  # fmt: skip
    r = await api.http.post(f"/skp/{skp_id}/rhk", data=form, headers=staff)
    assert r.status_code == 422 and "Target" in r.text and "Belum dapat disimpan" in r.text
    r = await api.http.post(f"/skp/{skp_id}/rhk", data=form | {"target": "20"}, headers=staff)
    assert r.status_code == 303
    assert (await api.http.post(f"/skp/{skp_id}/ajukan", headers=staff)).status_code == 303
    bawahan = await api.http.get("/skp-bawahan?tahun=2026", headers=kadis)
    assert "Staf (contoh)" in bawahan.text and "Tinjau" in bawahan.text
    review = await api.http.get(f"/skp/{skp_id}", headers=kadis)
    assert "Setujui SKP" in review.text
    assert (await api.http.post(f"/skp/{skp_id}/setujui", headers=staff)).status_code == 403
    assert (await api.http.post(f"/skp/{skp_id}/setujui", headers=kadis)).status_code == 303
    assert "Disetujui" in (await api.http.get(f"/skp/{skp_id}", headers=staff)).text
    admin = await api.http.get("/admin", headers=api.admin() | html)
    assert admin.status_code == 200 and "Riwayat impor" in admin.text
    assert (await api.http.get("/admin", headers=staff)).status_code == 403
    units = await api.http.get("/admin/unit", headers=api.admin() | html)
    assert "Dinas Perhubungan &gt; Bidang Lalu Lintas" in units.text
    assert "Kadis (contoh)" in (await api.http.get("/admin/penilai", headers=api.admin() | html)).text
    bad = roster_csv([small_roster()[0] | {"kelas_jabatan": "99"}])
    r = await api.http.post("/admin/impor", files={"file": ("x.csv", bad, "text/csv")}, headers=api.admin() | html)
    assert r.status_code == 422 and "Berkas ditolak" in r.text and "kelas jabatan" in r.text
