"""SKP workflow on real PostgreSQL: cascade links, approval rules, versions, realisasi and capaian (Table P3)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import orjson
import pytest

from kinerja_evaluation.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kinerja_evaluation.examples import example_skp, roster_csv
from kinerja_evaluation.service import realisasi as real
from kinerja_evaluation.service import skp as svc
from kinerja_evaluation.service.models import RealisasiIn, RhkIn, SkpContentIn, SkpIn
from kinerja_evaluation.service.org import assign_acting_superior, import_roster

from ..conftest import NOW, Env, new_regency, small_roster

pytestmark = pytest.mark.postgres

Office = dict[str, UUID]


def kadis_plan() -> SkpIn:
    return SkpIn.model_validate(example_skp("transport_officer", 2026))


async def approved_kadis_skp(env: Env, office: Office) -> UUID:
    kadis = env.asn(office["kadis"], "Kadis", superior=True)
    skp_id = await svc.create_skp(env.pool, kadis, kadis_plan(), now=NOW)
    await svc.submit_skp(env.pool, kadis, skp_id, now=NOW)
    await svc.approve_skp(env.pool, env.asn(office["sekda"], "Sekda", superior=True), skp_id, now=NOW)
    return skp_id


async def outbox_types(env: Env) -> list[str]:
    rows = await env.owner_rows("SELECT headers FROM outbox ORDER BY id")
    return [dict(r["headers"])["ce_type"].split(".")[-2] for r in rows]


async def test_cascade_link_must_be_to_the_direct_superiors_rhk(env: Env, office: Office) -> None:
    kadis_skp = await approved_kadis_skp(env, office)
    view = await svc.get_skp(env.pool, env.asn(office["kadis"]), kadis_skp, today=NOW.date())
    kadis_rhk = view.rhk[0].rhk_id
    staff, peer = env.asn(office["staff"], "Staf"), env.asn(office["peer"], "Rekan")
    peer_skp = await svc.create_skp(env.pool, peer, kadis_plan(), now=NOW)
    peer_rhk = (await svc.get_skp(env.pool, peer, peer_skp, today=NOW.date())).rhk[0].rhk_id

    body = kadis_plan()
    body.rhk[0].parent_rhk_id = peer_rhk
    with pytest.raises(InvalidInput) as e:
        await svc.create_skp(env.pool, staff, body, now=NOW)
    assert e.value.field == "rhk.0.parent_rhk_id"
    assert await env.owner_rows("SELECT 1 FROM skp WHERE asn_id = $1", office["staff"]) == []

    body.rhk[0].parent_rhk_id = kadis_rhk
    skp_id = await svc.create_skp(env.pool, staff, body, now=NOW)
    tree = await svc.cascade(env.pool, env.admin(), await unit_of(env, office["kadis"]), 2026)
    assert [(n["owner"], n["depth"]) for n in tree][:2] == [("Kadis (contoh)", 0), ("Staf (contoh)", 1)]
    assert skp_id


async def unit_of(env: Env, asn_id: UUID) -> UUID:
    [row] = await env.owner_rows("SELECT unit_id FROM asn WHERE asn_id = $1", asn_id)
    return row["unit_id"]  # type: ignore[no-any-return]


async def test_approval_rules_and_revision_round_trip(env: Env, office: Office) -> None:
    staff = env.asn(office["staff"], "Staf")
    kadis = env.asn(office["kadis"], "Kadis", superior=True)
    peer = env.asn(office["peer"], "Rekan", superior=True)
    skp_id = await svc.create_skp(env.pool, staff, kadis_plan(), now=NOW)
    with pytest.raises(Conflict):
        await svc.approve_skp(env.pool, kadis, skp_id, now=NOW)  # still a draft
    await svc.submit_skp(env.pool, staff, skp_id, now=NOW)
    with pytest.raises(NotAllowed, match="sendiri"):
        await svc.approve_skp(env.pool, staff, skp_id, now=NOW)
    with pytest.raises(NotAllowed):
        await svc.approve_skp(env.pool, peer, skp_id, now=NOW)  # a peer is not in the chain: may not even see it
    with pytest.raises(NotAllowed):
        await svc.approve_skp(env.pool, env.asn(office["sekda"], superior=True), skp_id, now=NOW)  # sees, not assessor
    with pytest.raises(NotAllowed):
        await svc.get_skp(env.pool, peer, skp_id)
    with pytest.raises(Conflict):
        await svc.replace_content(env.pool, staff, skp_id, SkpContentIn(rhk=kadis_plan().rhk), now=NOW)

    await svc.request_revision(env.pool, kadis, skp_id, "Target kecelakaan terlalu longgar, turunkan ke 15.", now=NOW)
    body = kadis_plan()
    body.rhk[0].indicators[0].target = Decimal(15)
    await svc.replace_content(env.pool, staff, skp_id, SkpContentIn(rhk=body.rhk), now=NOW)
    await svc.submit_skp(env.pool, staff, skp_id, now=NOW)
    await svc.approve_skp(env.pool, kadis, skp_id, now=NOW)

    view = await svc.get_skp(env.pool, staff, skp_id)
    assert view.status == "approved" and view.rhk[0].indicators[0].target == 15
    assert [h.action for h in view.history] == [
        "SKP dibuat", "Diajukan ke atasan", "Dikembalikan untuk perbaikan", "Isi SKP diubah", "Diajukan ke atasan",
        "Disetujui (melewati batas waktu)",  # 2 March, after the regency's default deadline of 31 January
    ]  # fmt: skip
    assert "turunkan" in view.history[2].comment
    assert await outbox_types(env) == ["regency_upserted", *["unit_upserted"] * 3, *["asn_upserted"] * 4,
        "skp_submitted", "skp_revision_requested", "skp_submitted", "skp_approved"]  # fmt: skip
    [approved] = await env.owner_rows("SELECT key, payload FROM outbox ORDER BY id DESC LIMIT 1")
    payload = orjson.loads(approved["payload"])
    assert approved["key"] == str(office["staff"])
    assert [(i["target"], i["direction"], i["unit"]) for i in payload["indicators"]] == [("15", "lower", "kejadian")]


async def test_acting_superior_decides_only_within_their_dates(env: Env, office: Office) -> None:
    staff = env.asn(office["staff"], "Staf")
    acting = env.asn(office["peer"], "Plt", superior=True)
    await assign_acting_superior(env.pool, env.admin(), asn_id=office["staff"], acting_superior_id=office["peer"],
                                 valid_from=date(2026, 3, 1), valid_until=date(2026, 3, 31), now=NOW)  # fmt: skip
    skp_id = await svc.create_skp(env.pool, staff, kadis_plan(), now=NOW)
    await svc.submit_skp(env.pool, staff, skp_id, now=NOW)
    with pytest.raises(NotAllowed):
        await svc.approve_skp(env.pool, acting, skp_id, now=NOW + timedelta(days=40))  # after the range
    await svc.approve_skp(env.pool, acting, skp_id, now=NOW)


async def test_mid_year_change_is_a_new_version_and_history_is_kept(env: Env, office: Office) -> None:
    staff, kadis = env.asn(office["staff"], "Staf"), env.asn(office["kadis"], "Kadis", superior=True)
    v1 = await svc.create_skp(env.pool, staff, kadis_plan(), now=NOW)
    await svc.submit_skp(env.pool, staff, v1, now=NOW)
    await svc.approve_skp(env.pool, kadis, v1, now=NOW)
    with pytest.raises(InvalidInput) as e:
        await svc.revise_skp(env.pool, staff, v1, "Mutasi jabatan", date(2027, 1, 1), now=NOW)
    assert e.value.field == "effective_from"
    later = NOW.replace(month=7)
    v2 = await svc.revise_skp(env.pool, staff, v1, "Mutasi ke bidang angkutan", date(2026, 7, 1), now=later)
    assert (await svc.get_skp(env.pool, staff, v1)).status == "approved"  # in force until v2 is approved
    await svc.add_rhk(env.pool, staff, v2, RhkIn.model_validate(
        {"kind": "tambahan", "description": "Uji KIR angkutan umum",
         "indicators": [{"name": "Kendaraan diuji", "target": "120", "unit": "unit"}]}), now=later)  # fmt: skip
    await svc.submit_skp(env.pool, staff, v2, now=later)
    await svc.approve_skp(env.pool, kadis, v2, now=later)
    old, new = await svc.get_skp(env.pool, staff, v1), await svc.get_skp(env.pool, staff, v2)
    assert (old.status, old.period_end) == ("superseded", date(2026, 6, 30))
    assert (new.version, new.status, new.period_start, len(new.rhk)) == (2, "approved", date(2026, 7, 1), 2)
    assert [v[1] for v in new.versions] == [1, 2]
    assert "Versi baru dibuka (perubahan di tengah tahun)" in [h.action for h in new.history]
    assert any(h.action.startswith("Disetujui") for h in new.history[:4])  # v1's history is shown with v2's


async def test_realisasi_confirmed_gives_table_p3_capaian(env: Env, office: Office) -> None:
    staff, kadis = env.asn(office["staff"], "Staf"), env.asn(office["kadis"], "Kadis", superior=True)
    body = SkpIn.model_validate(example_skp("permit_officer", 2026))
    skp_id = await svc.create_skp(env.pool, staff, body, now=NOW)
    await svc.submit_skp(env.pool, staff, skp_id, now=NOW)
    with pytest.raises(Conflict):
        ind_id = (await svc.get_skp(env.pool, staff, skp_id)).rhk[0].indicators[0].indicator_id
        await real.report_realisasi(env.pool, staff, ind_id, RealisasiIn(period="2026-Q1", value=Decimal(4)), now=NOW)
    await svc.approve_skp(env.pool, kadis, skp_id, now=NOW)
    days, permits = [i.indicator_id for i in (await svc.get_skp(env.pool, staff, skp_id)).rhk[0].indicators]
    for bad in ("2025-Q4", "2026-M01", "2026-Q3"):  # other year, monthly in a quarterly regency, not started yet
        with pytest.raises(InvalidInput) as e:
            await real.report_realisasi(env.pool, staff, days, RealisasiIn(period=bad, value=Decimal(4)), now=NOW)
        assert e.value.field == "period"
    evidence = ["https://sicantik.example.id/laporan/q1"]
    first = RealisasiIn.model_validate({"period": "2026-Q1", "value": "4", "evidence_links": evidence})
    await real.report_realisasi(env.pool, staff, days, first, now=NOW)
    await real.report_realisasi(env.pool, staff, permits, RealisasiIn(period="2026-Q1", value=Decimal(270)), now=NOW)
    with pytest.raises(NotAllowed):
        await real.confirm_realisasi(env.pool, staff, days, "2026-Q1", now=NOW)
    await real.confirm_realisasi(env.pool, kadis, days, "2026-Q1", now=NOW)
    await real.return_realisasi(env.pool, kadis, permits, "2026-Q1", "Lampirkan rekap izin dari SiCantik.", now=NOW)

    view = await real.capaian_of(env.pool, staff, skp_id, "2026-Q1", confirmed_only=True, now=NOW)
    [rhk] = view.rhk
    # lower is better, (2 × 5 − 4) / 5 × 100 = 120 (Table P3); the returned indicator does not count
    assert [i.capaian for i in rhk.indicators] == [Decimal("120.00"), None]
    assert rhk.capaian == Decimal("120.00") and rhk.proposed_rating == "di_atas_ekspektasi"
    await real.report_realisasi(env.pool, staff, permits, RealisasiIn(period="2026-Q1", value=Decimal(240)), now=NOW)
    await real.confirm_realisasi(env.pool, kadis, permits, "2026-Q1", now=NOW)
    [rhk] = (await real.capaian_of(env.pool, staff, skp_id, "2026-Q1", now=NOW)).rhk
    assert rhk.capaian == Decimal("108.00")  # (120 × 70 + 80 × 30) / 100
    assert rhk.proposed_rating == "sesuai_ekspektasi"
    types = await outbox_types(env)
    assert types[-6:] == ["realisasi_reported", "realisasi_reported", "realisasi_confirmed", "realisasi_returned",
                          "realisasi_reported", "realisasi_confirmed"]  # fmt: skip
    assert types.count("realisasi_confirmed") == 2 and types.count("realisasi_returned") == 1


async def test_another_regency_sees_nothing(env: Env, office: Office) -> None:
    staff = env.asn(office["staff"], "Staf")
    skp_id = await svc.create_skp(env.pool, staff, kadis_plan(), now=NOW)
    other = await new_regency(env.pool, "Kabupaten Bungo", "15.08")
    assert (await import_roster(env.pool, env.admin(other), "p.csv", roster_csv(small_roster()), now=NOW)).accepted
    with pytest.raises(NotFound):
        await svc.get_skp(env.pool, env.admin(other), skp_id)
    # the same NIPs in another regency are other records (NIP unique per regency)
    assert len(await env.owner_rows("SELECT 1 FROM asn")) == 8
    assert (await svc.get_skp(env.pool, env.admin(), skp_id)).asn_name == "Staf (contoh)"


async def test_bad_content_saves_nothing(env: Env, office: Office) -> None:
    staff = env.asn(office["staff"], "Staf")
    skp_id = await svc.create_skp(env.pool, staff, kadis_plan(), now=NOW)
    bad = kadis_plan()
    bad.rhk[0].indicators[0].unit = "ekor"
    with pytest.raises(InvalidInput) as e:
        await svc.replace_content(env.pool, staff, skp_id, SkpContentIn(rhk=bad.rhk), now=NOW)
    assert e.value.field == "rhk.0.indicators.0.unit"
    view = await svc.get_skp(env.pool, staff, skp_id)
    assert view.rhk[0].indicators[0].unit == "kejadian"
    with pytest.raises(InvalidInput) as e:
        await svc.create_skp(env.pool, env.asn(office["peer"]), SkpIn(year=2026, period_start=date(2025, 12, 1)),
                             now=NOW)  # fmt: skip
    assert e.value.field == "period_start"
    _ = datetime


async def test_bulk_skp_drafts_all_or_nothing(env: Env, office: Office) -> None:
    from kinerja_evaluation.service.bulk import bulk_create_skps

    plan = kadis_plan()
    bad = plan.model_copy(deep=True)
    bad.rhk[0].indicators[0].unit = "ekor"
    report = await bulk_create_skps(env.pool, env.admin(), [(office["staff"], plan), (office["peer"], bad)], now=NOW)
    assert report.errors == [(1, "rhk.0.indicators.0.unit", "Satuan 'ekor' tidak dikenal; pilih dari daftar satuan.")]
    assert await env.owner_rows("SELECT 1 FROM skp") == []
    with pytest.raises(NotAllowed):
        await bulk_create_skps(env.pool, env.asn(office["staff"]), [(office["staff"], plan)], now=NOW)
    ok = await bulk_create_skps(env.pool, env.admin(), [(office["staff"], plan), (office["peer"], plan)], now=NOW)
    assert (ok.created, ok.rhk, ok.indicators, ok.errors) == (2, 2, 2, [])
    again = await bulk_create_skps(env.pool, env.admin(), [(office["staff"], plan)], now=NOW)
    assert again.errors == [(0, "year", "SKP tahun ini sudah ada")]
    view = await svc.get_skp(env.pool, env.asn(office["staff"]), (await env.owner_rows(
        "SELECT skp_id FROM skp WHERE asn_id = $1", office["staff"]))[0]["skp_id"])  # fmt: skip
    assert view.status == "draft" and view.rhk[0].indicators[0].unit == "kejadian"
