"""The scoring API and pages in-process on real PostgreSQL: auth (401/403), 422 with field and reason, the
penilaian form (proposals, P1 preview, immutable versions), Kinerja Saya, Kinerja Unit, and the R1 sweep.

The org facts the roster import publishes are taken from the service's own outbox and fed to the engine, as the
worker would get them back from kinerja.org.v1.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from kinerja_evaluation.bootstrap import DEFINITION
from kinerja_evaluation.examples import roster_csv
from kinerja_evaluation.service.scoring_sweep import sweep_targets
from kinerja_evaluation.settings import EvaluationSettings
from kinerja_shared.contracts import Envelope
from kinerja_shared.db import ALL_REGENCIES, create_pool, set_tenant
from kinerja_shared.devissuer import ensure_keypair, mint_token
from kinerja_shared.runtime import build_app
from kinerja_shared.testing.plugin import MakeDatabase
from kinerja_shared.web import JAKARTA

from ..conftest import KADIS, PEER, PROVINCE, SEKDA, STAFF, small_roster
from ..service.test_scoring_engine import D, Office, deliver

pytestmark = pytest.mark.postgres
NOW = datetime.now(JAKARTA)
PERIOD = f"{NOW.year}-Q{(NOW.month - 1) // 3 + 1}"
SESUAI, DI_ATAS, DI_BAWAH = "sesuai_ekspektasi", "di_atas_ekspektasi", "di_bawah_ekspektasi"
VALUES = ["berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal", "adaptif", "kolaboratif"]


@dataclass
class Api:
    http: httpx.AsyncClient
    key: Path
    settings: Any
    regency: uuid.UUID
    pool: asyncpg.Pool
    ids: dict[str, uuid.UUID]
    indicator: uuid.UUID

    def token(self, roles: list[str], *, asn: uuid.UUID | None = None, name: str = "Pengguna") -> dict[str, str]:
        tok = mint_token(self.key, sub=str(asn or uuid.uuid4()), roles=roles, regency_id=self.regency, asn_id=asn,
                         name=name, issuer=self.settings.jwt_issuer, audience=self.settings.jwt_audience)  # fmt: skip
        return {"authorization": f"Bearer {tok}"}

    def who(self, person: str) -> dict[str, str]:
        return self.token(["asn", "atasan"], asn=self.ids[person], name=person.title())

    async def feed_outbox(self) -> int:
        """Deliver the service's own unsent outbox to the engine (what the worker gets back from Kafka)."""
        async with self.pool.acquire() as conn, conn.transaction():
            await set_tenant(conn, ALL_REGENCIES)
            rows = await conn.fetch("SELECT id, key, headers, payload FROM outbox WHERE sent_at IS NULL ORDER BY id")
            await conn.execute("UPDATE outbox SET sent_at = now() WHERE sent_at IS NULL")
        envs = [Envelope.from_kafka(r["key"].encode(), r["payload"], [(k, v.encode()) for k, v in r["headers"]])
                for r in rows]  # fmt: skip
        wanted = [e for e in envs if e.decode().topic.split(".")[1] in ("org", "evaluation")]
        return await deliver(self.pool, wanted) if wanted else 0


@pytest.fixture
async def api(make_database: MakeDatabase, tmp_path: Path) -> AsyncIterator[Api]:
    db = await make_database(None, prefix="evaluation")
    key = tmp_path / "dev-issuer.pem"
    ensure_keypair(key)
    settings = EvaluationSettings(database_url=db.app_url, migration_database_url=db.owner_url,
                                  dev_issuer_key_file=key, environment="test")  # fmt: skip
    app = build_app(DEFINITION, settings, worker=False)
    async with app.router.lifespan_context(app):
        pool = await create_pool(db.app_url, max_size=2)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            regency = uuid.uuid4()
            a = Api(http, key, settings, regency, pool, {}, uuid.uuid4())
            prov = mint_token(key, sub="prov", roles=["admin_provinsi"], province_id=PROVINCE, name="Provinsi",
                              regency_id=None, asn_id=None,
                              issuer=settings.jwt_issuer, audience=settings.jwt_audience)  # fmt: skip
            body = {"province_id": str(PROVINCE), "province_name": "Provinsi Jambi", "name": "Kabupaten Tebo",
                    "code": "15.09"}  # fmt: skip
            r = await http.put(f"/api/regencies/{regency}", json=body, headers={"authorization": f"Bearer {prov}"})
            assert r.status_code == 200, r.text
            admin = a.token(["admin_bkpsdm"], name="Admin BKPSDM")
            files = {"file": ("pegawai.csv", roster_csv(small_roster()), "text/csv")}
            assert (await http.post("/api/org/import", files=files, headers=admin)).status_code == 200
            rows = (await http.get("/api/org/assessors", headers=admin)).json()
            by_nip = {x["nip"]: uuid.UUID(x["asn_id"]) for x in rows}
            a.ids = {"sekda": by_nip[SEKDA], "kadis": by_nip[KADIS], "staff": by_nip[STAFF], "peer": by_nip[PEER]}
            await a.feed_outbox()
            # the staff's approved SKP and a confirmed realisasi, as issue 4's workflow publishes them
            o = Office(regency=regency, at=NOW)
            rhk = uuid.uuid4()
            await deliver(pool, [o.skp(a.ids["staff"], [(D(10), "higher", D(100))], ids=[a.indicator], rhk=[rhk]),
                                 o.confirmed(a.ids["staff"], a.indicator, 8, "80.00", period=PERIOD),
                                 o.peer(a.ids["staff"], [100, 100, 80, 80, 80, 80, 50], period=PERIOD)])  # fmt: skip
            try:
                yield a
            finally:
                await pool.close()


def evaluation(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"period": PERIOD, "hasil_rating": DI_BAWAH, "values": dict.fromkeys(VALUES, SESUAI),
                            "perilaku_rating": SESUAI}  # fmt: skip
    return body | over


async def test_score_api_auth_and_explanation(api: Api) -> None:
    staff = api.ids["staff"]
    assert (await api.http.get(f"/api/v1/scores/{staff}")).status_code == 401
    assert (await api.http.get(f"/api/v1/scores/{staff}", headers=api.who("peer"))).status_code == 403
    r = await api.http.get(f"/api/v1/scores/{staff}", headers=api.who("staff"))
    assert r.status_code == 200, r.text
    cur = r.json()["current"]
    assert cur["period"] == PERIOD and cur["status"] == "dihitung" and Decimal(cur["hasil_capaian"]) == 80
    assert cur["inputs"]["hasil_kerja.points"] == "80.00"
    assert any("Indikator" in m for m in r.json()["improve"])
    # the superior chain may look (Kadis and Sekda), HR too
    assert (await api.http.get(f"/api/v1/scores/{staff}", headers=api.who("sekda"))).status_code == 200


async def test_penilaian_form_proposals_and_403(api: Api) -> None:
    staff = api.ids["staff"]
    url = f"/api/v1/evaluations/{staff}/form?period={PERIOD}"
    assert (await api.http.get(url, headers=api.who("peer"))).status_code == 403
    r = await api.http.get(url, headers=api.who("kadis"))
    assert r.status_code == 200, r.text
    f = r.json()
    assert f["proposed_hasil"] == DI_BAWAH  # capaian 80 < 90 (Table P3)
    assert f["peer_raters"] == 3 and len(f["values"]) == 7
    assert f["proposed_perilaku"] == SESUAI  # 360: one value below, two above → Sesuai (Kinerja's proposal rule)
    r = await api.http.get(f"/api/v1/evaluations/predikat?hasil={DI_BAWAH}&perilaku={SESUAI}",
                           headers=api.who("kadis"))  # fmt: skip
    assert r.json() == {"predikat": "butuh_perbaikan", "label": "Butuh Perbaikan"}  # Table P1


async def test_submit_422s_then_versions_are_immutable(api: Api) -> None:
    staff, kadis = api.ids["staff"], api.who("kadis")
    url = f"/api/v1/evaluations/{staff}"
    r = await api.http.post(url, json=evaluation(hasil_rating=SESUAI), headers=kadis)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "hasil_reason"
    r = await api.http.post(url, json=evaluation(values={"akuntabel": SESUAI}), headers=kadis)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "values"
    r = await api.http.post(url, json=evaluation(perilaku_rating="luar_biasa"), headers=kadis)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "perilaku_rating"
    assert (await api.http.post(url, json=evaluation(), headers=api.who("peer"))).status_code == 403
    r = await api.http.post(url, json=evaluation(), headers=kadis)
    assert r.status_code == 201, r.text
    assert (r.json()["version"], r.json()["predikat"]) == (1, "butuh_perbaikan")
    assert await api.feed_outbox() == 1  # PeriodicEvaluationSubmitted back into the engine
    s = (await api.http.get(f"/api/v1/scores/{staff}", headers=api.who("staff"))).json()["current"]
    assert s["predikat"] == "butuh_perbaikan" and s["detail"]["official"] is True
    r = await api.http.post(url, json=evaluation(), headers=kadis)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "correction_reason"
    r = await api.http.post(url, json=evaluation(hasil_rating=SESUAI, hasil_reason="bukti tambahan diterima",
                                                 correction_reason="salah input"), headers=kadis)  # fmt: skip
    assert r.status_code == 201 and r.json()["version"] == 2 and r.json()["predikat"] == "baik"
    async with api.pool.acquire() as conn, conn.transaction():
        await set_tenant(conn, [api.regency])
        with pytest.raises(asyncpg.RaiseError, match="immutable"):
            await conn.execute("UPDATE scoring_evaluation SET predikat = 'sangat_baik'")


async def test_pages_kinerja_saya_penilaian_unit(api: Api) -> None:
    staff = api.ids["staff"]
    r = await api.http.get("/kinerja-saya", headers=api.who("staff"))
    assert r.status_code == 200 and "Mengapa skor ini?" in r.text and "Capaian per indikator" in r.text
    r = await api.http.get(f"/penilaian/{staff}?period={PERIOD}", headers=api.who("kadis"))
    assert r.status_code == 200 and "Usulan" in r.text.title() and "Berorientasi Pelayanan" in r.text
    form = {"period": PERIOD, "hasil_rating": DI_ATAS, "perilaku_rating": SESUAI, "aksi": "pratinjau"}
    r = await api.http.post(f"/penilaian/{staff}", data=form, headers=api.who("kadis"))
    assert r.status_code == 200 and '<strong id="predikat" data-testid="pratinjau">Baik</strong>' in r.text
    form = {"period": PERIOD, "hasil_rating": DI_ATAS, "perilaku_rating": SESUAI, "aksi": "kirim"}
    r = await api.http.post(f"/penilaian/{staff}", data=form, headers=api.who("kadis"))
    assert r.status_code == 422 and "Nilai BerAKHLAK belum diisi" in r.text
    form |= {f"value_{v}": SESUAI for v in VALUES} | {"hasil_rating": DI_BAWAH}
    r = await api.http.post(f"/penilaian/{staff}", data=form, headers=api.who("kadis"))
    assert r.status_code == 303, r.text
    r = await api.http.get("/penilaian", headers=api.who("kadis"))
    assert r.status_code == 200 and "Koreksi" in r.text
    r = await api.http.get("/unit-kinerja", headers=api.token(["admin_bkpsdm"], name="Admin"))
    assert r.status_code == 200 and "Kinerja Unit" in r.text
    assert (await api.http.get("/unit-kinerja", headers=api.who("peer"))).status_code == 403


async def test_table_r1_target_at_risk_sweep_from_mid_period(api: Api) -> None:
    """R1 target_at_risk: projected capaian at period end < 90% from mid-period; requested once."""
    peer, ind, act = api.ids["peer"], uuid.uuid4(), uuid.uuid4()
    o = Office(regency=api.regency, at=datetime(2026, 1, 5, tzinfo=JAKARTA))
    # 2 of 10 done by mid-February: heading for about 36% at the end of Q1 (2026's SKP, as the builders make it)
    await deliver(api.pool, [o.skp(peer, [(D(10), "higher", D(100))], ids=[ind]),
                             o.reported(peer, act, ind, 2, day=date(2026, 1, 6)),
                             o.verified(peer, act, day=date(2026, 1, 6))])  # fmt: skip
    assert await sweep_targets(api.pool, date(2026, 2, 1)) == 0  # before mid-period: not judged yet
    assert await sweep_targets(api.pool, date(2026, 2, 20)) == 1
    assert await sweep_targets(api.pool, date(2026, 3, 1)) == 0  # deterministic id: never twice
    async with api.pool.acquire() as conn, conn.transaction():
        await set_tenant(conn, ALL_REGENCIES)
        [n] = await conn.fetch("SELECT kind, period, params FROM scoring_notification WHERE asn_id = $1", peer)
    assert (n["kind"], n["period"]) == ("target_at_risk", "2026-Q1") and n["params"]["periode"] == "Triwulan I 2026"
    # on track (10 of 10 already): no request
    staff_ok, ind2, act2 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await deliver(api.pool, [o.unit_fact(), o.asn_fact(staff_ok), o.skp(staff_ok, [(D(10), "higher", D(100))],
                                                                          ids=[ind2]),
                             o.reported(staff_ok, act2, ind2, 10, day=date(2026, 1, 6)),
                             o.verified(staff_ok, act2, day=date(2026, 1, 6))])  # fmt: skip
    assert await sweep_targets(api.pool, date(2026, 2, 21)) == 0
