"""Issue 10 on the evaluation side, in-process on real PostgreSQL: the bulk SKP endpoint the demo loader uses
(created, submitted and approved through the outbox; 422 per item; safe to repeat), the province's regency
comparison page, and the penilaian form opened from a bare link (no ?period=)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import pytest

from kinerja_evaluation.examples import example_skp
from kinerja_shared.db import ALL_REGENCIES, set_tenant
from kinerja_shared.devissuer import mint_token
from kinerja_shared.web import JAKARTA

from ..conftest import PROVINCE
from .test_scoring_api import PERIOD, Api, evaluation
from .test_scoring_api import api as api  # noqa: F401 - the fixture, shared

pytestmark = pytest.mark.postgres
YEAR = datetime.now(JAKARTA).year


def _admin(api: Api) -> dict[str, str]:
    return api.token(["admin_bkpsdm"], name="Admin BKPSDM")


def _item(asn: uuid.UUID, **over: Any) -> dict[str, Any]:
    return {"asn_id": str(asn)} | example_skp("puskesmas_staff", YEAR) | over


async def _events(api: Api) -> list[tuple[str, dict[str, Any]]]:
    async with api.pool.acquire() as conn, conn.transaction():
        await set_tenant(conn, ALL_REGENCIES)
        rows = await conn.fetch("SELECT headers, payload FROM outbox WHERE sent_at IS NULL ORDER BY id")
    out = []
    for r in rows:
        kind = next(v for k, v in r["headers"] if k == "ce_type")
        body = json.loads(r["payload"]) if isinstance(r["payload"], (str, bytes)) else r["payload"]
        out.append((kind, body))
    return out


async def test_bulk_skp_422_per_item_then_approved_through_the_outbox_and_safe_to_repeat(api: Api) -> None:
    peer, staff, sekda = api.ids["peer"], api.ids["staff"], api.ids["sekda"]
    await api.feed_outbox()  # start from an empty outbox
    bad_indicator = example_skp("puskesmas_staff", YEAR)["rhk"]
    bad_indicator = [dict(bad_indicator[0], indicators=[dict(bad_indicator[0]["indicators"][0], target="-5")])]
    body = {"items": [_item(peer), _item(staff, rhk=bad_indicator), _item(uuid.uuid4()), _item(sekda)]}
    r = await api.http.post("/api/skp/bulk", json=body, headers=_admin(api))
    assert r.status_code == 422, r.text
    fields = {d["field"] for d in r.json()["detail"]}
    assert any(f.startswith("items.1.rhk.0.indicators.0") for f in fields), fields
    assert len(fields) == 1  # the pure checks come first: nothing was looked up, nothing written
    r = await api.http.post("/api/skp/bulk", json={"items": [_item(peer), _item(uuid.uuid4()), _item(sekda)]},
                            headers=_admin(api))  # fmt: skip
    assert r.status_code == 422, r.text
    assert {d["field"] for d in r.json()["detail"]} == {"items.1.asn_id", "items.2.asn_id"}  # unknown; no assessor
    assert (await api.http.get("/api/skp/mine", params={"year": YEAR}, headers=api.who("peer"))).status_code == 404

    # only regency HR may do this
    r = await api.http.post("/api/skp/bulk", json={"items": [_item(peer)]}, headers=api.who("kadis"))
    assert r.status_code == 403

    r = await api.http.post("/api/skp/bulk", json={"items": [_item(peer), _item(staff)]}, headers=_admin(api))
    assert r.status_code == 200, r.text
    res = r.json()
    assert (res["created"], res["existing"]) == (2, 0)
    item = next(x for x in res["items"] if x["asn_id"] == str(peer))
    assert item["status"] == "approved" and item["created"] and item["rhk"][0]["indicators"][0]["indicator_id"]
    view = (await api.http.get("/api/skp/mine", params={"year": YEAR}, headers=api.who("peer"))).json()
    assert view["status"] == "approved" and view["skp_id"] == item["skp_id"]
    kinds = [k for k, _ in await _events(api)]
    assert kinds.count("id.kinerja.evaluation.skp_submitted.v1") == 2, kinds
    approved = [b for k, b in await _events(api) if k == "id.kinerja.evaluation.skp_approved.v1"]
    assert len(approved) == 2
    peer_event = next(b for b in approved if b["asn_id"] == str(peer))
    assert peer_event["approver_id"] == str(api.ids["kadis"])  # the assessor the SKP was agreed with
    ind_ids = {i["indicator_id"] for rhk in item["rhk"] for i in rhk["indicators"]}
    assert {i["indicator_id"] for i in peer_event["indicators"]} == ind_ids

    # a repeat is answered with what is there, and publishes nothing new
    await api.feed_outbox()
    r = await api.http.post("/api/skp/bulk", json={"items": [_item(peer), _item(staff)]}, headers=_admin(api))
    assert r.status_code == 200 and (r.json()["created"], r.json()["existing"]) == (0, 2), r.text
    again = next(x for x in r.json()["items"] if x["asn_id"] == str(peer))
    assert again["skp_id"] == item["skp_id"] and not again["created"] and again["rhk"] == item["rhk"]
    assert [k for k, _ in await _events(api) if ".skp_" in k] == []


async def test_province_compares_its_regencies_with_a_chart(api: Api) -> None:
    staff = api.ids["staff"]
    r = await api.http.post(f"/api/v1/evaluations/{staff}", json=evaluation(), headers=api.who("kadis"))
    assert r.status_code == 201, r.text
    await api.feed_outbox()
    tok = mint_token(api.key, sub="prov", roles=["admin_provinsi"], province_id=PROVINCE, name="Provinsi",
                     regency_id=None, asn_id=None, issuer=api.settings.jwt_issuer,
                     audience=api.settings.jwt_audience)  # fmt: skip
    r = await api.http.get(f"/provinsi?periode={PERIOD}", headers={"authorization": f"Bearer {tok}"})
    assert r.status_code == 200, r.text
    assert "Kabupaten Tebo" in r.text and 'id="regency-score-chart"' in r.text
    spread = r.text.split('id="regency-predikat-chart"', 1)[1].split("data-chart='", 1)[1].split("'", 1)[0]
    chart = json.loads(spread.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&"))
    assert chart["data"]["labels"] == ["Kabupaten Tebo"]
    by_label = {d["label"]: d["data"] for d in chart["data"]["datasets"]}
    assert by_label["Butuh Perbaikan"] == [100.0], by_label  # the one scored ASN (Table P1: di bawah × sesuai)
    row = r.text.split(f'data-regency="{api.regency}"', 1)[1].split("</tr>", 1)[0]
    assert "<td>4</td><td>1</td>" in row  # 4 ASN on the roster, 1 with a predikat
    # a regency user is refused; a bad period falls back to the current one
    assert (await api.http.get("/provinsi", headers=api.who("kadis"))).status_code == 403
    r = await api.http.get("/provinsi?periode=kemarin", headers={"authorization": f"Bearer {tok}"})
    assert r.status_code == 200 and PERIOD in r.text


async def test_penilaian_without_period_opens_the_current_one_with_labelled_reasons(api: Api) -> None:
    staff = api.ids["staff"]
    r = await api.http.get(f"/penilaian/{staff}", headers=api.who("kadis") | {"accept": "text/html"})
    assert r.status_code == 200, r.text[:300]
    assert f'name="period" value="{PERIOD}"' in r.text
    for name in ("hasil_reason", "perilaku_reason", "note"):
        before = r.text.split(f'name="{name}"', 1)[0]
        assert before.rfind("<label") > before.rfind("</label>"), name  # the input sits inside its label
