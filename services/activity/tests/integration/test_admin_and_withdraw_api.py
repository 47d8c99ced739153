"""In-process API and pages on real PostgreSQL: withdraw (409 when decided), BKPSDM settings / holidays / PIN
mapping (403 for others, 422 with field), PIN-based fingerprint import, the team chart, audit rows."""

from __future__ import annotations

import json
import uuid

import pytest

from kinerja_shared.auth import Role
from kinerja_shared.testing.plugin import ProvisionedDatabase

from ..conftest import Org, owner
from ..service.test_activities import item
from .test_api import Api, api  # noqa: F401 - fixture

pytestmark = pytest.mark.postgres
HTML = {"accept": "text/html"}


def admin_token(api: Api, org: Org) -> str:  # noqa: F811
    return api.token(None, roles=(Role.ADMIN_BKPSDM,), regency=org.regency_id)


async def audit_actions(db: ProvisionedDatabase) -> list[str]:
    conn = await owner(db)
    try:
        return [r["action"] for r in await conn.fetch("SELECT action FROM audit_log ORDER BY seq")]
    finally:
        await conn.close()


async def test_withdraw_api_and_button(api: Api, org: Org, db: ProvisionedDatabase) -> None:  # noqa: F811
    a = (await api.call("POST", "/api/activities", org.staff, json=item(org, 0))).json()
    b = (await api.call("POST", "/api/activities", org.staff, json=item(org, 1))).json()
    assert (await api.call("POST", f"/api/activities/{a['id']}/withdraw", org.staff2)).status_code == 404
    r = await api.call("POST", f"/api/activities/{a['id']}/withdraw", org.staff)
    assert r.status_code == 200 and r.json()["status"] == "ditarik"
    ok = await api.call("POST", f"/api/activities/{b['id']}/decision", org.superior, json={"approve": True})
    assert ok.status_code == 200
    late = await api.call("POST", f"/api/activities/{b['id']}/withdraw", org.staff)
    assert late.status_code == 409 and "diverifikasi" in late.json()["detail"]
    # the page shows a Tarik button only on pending activities, and the form withdraws
    c = (await api.call("POST", "/api/activities", org.staff, json=item(org, 2))).json()
    page = await api.call("GET", "/kegiatan", org.staff, headers=HTML)
    assert page.text.count('class="tarik"') == 1 and f"/kegiatan/{c['id']}/tarik" in page.text
    done = await api.call("POST", f"/kegiatan/{c['id']}/tarik", org.staff, headers=HTML)
    assert done.status_code == 303 and "ditarik" in done.headers["location"]
    assert "Ditarik" in (await api.call("GET", "/kegiatan", org.staff, headers=HTML)).text
    assert await audit_actions(db) == ["activity.withdraw", "activity.verify", "activity.withdraw"]


async def test_settings_api_is_bkpsdm_only_validated_and_audited(
    api: Api,  # noqa: F811
    org: Org,
    db: ProvisionedDatabase,
) -> None:
    token = admin_token(api, org)
    assert (await api.call("GET", "/api/settings", org.superior)).status_code == 403
    got = await api.call("GET", "/api/settings", None, token=token)
    assert got.status_code == 200 and got.json()["monthly_quota_minutes"] == 6750
    new = got.json() | {"monthly_quota_minutes": 6000, "office_start": "08:00", "alpa_start": "2026-11-02"}
    saved = await api.call("PUT", "/api/settings", None, token=token, json=new)
    assert saved.status_code == 200
    bad = await api.call("PUT", "/api/settings", None, token=token, json=new | {"office_end": "07:00"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "office_end"
    neg = await api.call("PUT", "/api/settings", None, token=token, json=new | {"monthly_quota_minutes": -5})
    assert neg.status_code == 422 and neg.json()["detail"][0]["field"] == "monthly_quota_minutes"
    again = (await api.call("GET", "/api/settings", None, token=token)).json()
    assert (again["monthly_quota_minutes"], again["office_start"], again["alpa_start"]) == (
        6000,
        "08:00",
        "2026-11-02",
    )
    summary = (await api.call("GET", "/api/summary", org.staff)).json()
    assert summary["quota_minutes"] == 6000  # the domain reads the saved quota
    assert await audit_actions(db) == ["activity_settings.change"]


async def test_holidays_api_and_page(api: Api, org: Org) -> None:  # noqa: F811
    token = admin_token(api, org)
    add = await api.call("POST", "/api/holidays", None, token=token, json={"day": "2026-12-24", "name": "Cuti bersama"})
    assert add.status_code == 201
    weekend = await api.call("POST", "/api/holidays", None, token=token, json={"day": "2026-12-26", "name": "Sabtu"})
    assert weekend.status_code == 422 and weekend.json()["detail"][0]["field"] == "day"
    assert (
        await api.call("POST", "/api/holidays", org.staff, json={"day": "2026-12-24", "name": "x"})
    ).status_code == 403
    listed = (await api.call("GET", "/api/holidays?year=2026", None, token=token)).json()
    assert listed == [{"day": "2026-12-24", "name": "Cuti bersama"}]
    page = await api.call("GET", "/pengaturan?tahun=2026", None, token=token, headers=HTML)
    assert page.status_code == 200 and "Cuti bersama" in page.text and 'name="monthly_quota_minutes"' in page.text
    form = await api.call(
        "POST", "/pengaturan/libur", None, token=token, headers=HTML, data={"day": "2026-12-31", "name": "Akhir tahun"}
    )
    assert form.status_code == 303
    bad = await api.call("POST", "/pengaturan", None, token=token, headers=HTML, data={"monthly_quota_minutes": "x"})
    assert bad.status_code == 422 and "Kuota menit per bulan" in bad.text
    gone = await api.call("POST", "/pengaturan/libur/2026-12-24/hapus", None, token=token, headers=HTML)
    assert gone.status_code == 303
    assert (await api.call("DELETE", "/api/holidays/2026-12-24", None, token=token)).status_code == 404
    listed = (await api.call("GET", "/api/holidays?year=2026", None, token=token)).json()
    assert [h["day"] for h in listed] == ["2026-12-31"]


async def test_pin_mapping_and_a_pin_export_reports_unmapped_pins_per_line(
    api: Api,  # noqa: F811
    org: Org,
    db: ProvisionedDatabase,
) -> None:
    token = admin_token(api, org)
    ok = await api.call("PUT", "/api/fingerprint-pins/101", None, token=token, json={"asn_id": str(org.staff.asn_id)})
    assert ok.status_code == 200
    unknown = await api.call("PUT", "/api/fingerprint-pins/102", None, token=token, json={"asn_id": str(uuid.uuid4())})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "asn_id"
    bad_pin = await api.call(
        "PUT", "/api/fingerprint-pins/a b", None, token=token, json={"asn_id": str(org.staff.asn_id)}
    )
    assert bad_pin.status_code == 422
    mapping = f"pin;asn_id\n102;{org.staff2.asn_id}\n103;bukan\n"
    up = await api.call("POST", "/api/fingerprint-pins/import", None, token=token, files={"file": ("m.csv", mapping)})
    assert up.json() == {
        "saved": 1,
        "errors": [{"line": 3, "field": "asn_id", "reason": "Bukan UUID pegawai yang sah.", "type": "uuid_parsing"}],
    }
    export = "pin,waktu\n101,2026-11-26 07:40\n102,2026-11-26 07:20\n999,2026-11-26 07:00\n101,2026-11-26 16:05\n"
    res = await api.call("POST", "/api/attendance/import", None, token=token, files={"file": ("x.csv", export)})
    body = res.json()
    assert body["days_changed"] == 2 and body["rows"] == 4
    assert [(e["line"], e["type"]) for e in body["errors"]] == [(4, "unmapped_pin")]
    conn = await owner(db)
    try:
        late = await conn.fetchval("SELECT late_minutes FROM attendance_day WHERE asn_id = $1", org.staff.asn_id)
        payloads = [json.loads(r["payload"]) for r in await conn.fetch("SELECT payload FROM outbox")]
    finally:
        await conn.close()
    assert late == 10
    assert all("101" not in json.dumps(p) for p in payloads if "work_date" in p)  # PINs stay out of events
    # the page: the picker lists names, the report lists the unmapped line
    page = await api.call("GET", "/sidik-jari", None, token=token, headers=HTML)
    assert "Siti Rahmawati (contoh)" in page.text and 'data-pin="101"' in page.text
    report = await api.call(
        "POST", "/sidik-jari/impor", None, token=token, headers=HTML, files={"berkas": ("x.csv", export)}
    )
    assert report.status_code == 200 and "Baris 4: PIN 999 belum dipetakan ke pegawai." in report.text
    saved = await api.call(
        "POST",
        "/sidik-jari/pin",
        None,
        token=token,
        headers=HTML,
        data={"pin": "104", "asn_id": str(org.stranger.asn_id)},
    )
    assert saved.status_code == 303
    assert (await api.call("GET", "/sidik-jari", org.staff, headers=HTML)).status_code == 403
    assert "fingerprint_pin.change" in await audit_actions(db)


async def test_team_page_charts_today_status_and_verified_minutes(
    api: Api,  # noqa: F811
    org: Org,
    db: ProvisionedDatabase,
) -> None:
    a = (await api.call("POST", "/api/activities", org.staff, json=item(org, 0, end_time="01:30"))).json()
    await api.call("POST", f"/api/activities/{a['id']}/decision", org.superior, json={"approve": True})
    await api.call("POST", "/api/attendance/check-in", org.staff)
    page = await api.call("GET", "/tim", org.superior, headers=HTML)
    assert page.status_code == 200 and "vendor/chart.umd.min.js" in page.text
    status = json.loads(page.text.split('id="grafik-status"', 1)[1].split("data-chart='", 1)[1].split("'", 1)[0])
    counts = status["data"]["datasets"][0]["data"]
    assert sum(counts) == 2 and counts[4] >= 1  # staff2 has not checked in
    minutes = json.loads(page.text.split('id="grafik-menit"', 1)[1].split("data-chart='", 1)[1].split("'", 1)[0])
    by_name = dict(zip(minutes["data"]["labels"], minutes["data"]["datasets"][0]["data"], strict=True))
    assert by_name == {"Bambang Wijaya (contoh)": 0, "Siti Rahmawati (contoh)": 90}
    assert minutes["data"]["datasets"][1]["data"] == [6750, 6750]
