"""R1 follow-up on real PostgreSQL: cases open exactly once from the scoring engine's requests; awards need BKPSDM
approval and give a verifiable piagam and an incentive in the TPP export; pembinaan and sanction cases are worked by
people; training credits JP and feeds the D1 equal-access report."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal

import pytest

from kinerja_evaluation.domain.errors import Conflict, InvalidInput, NotAllowed
from kinerja_evaluation.service import pembinaan, rewards, tpp, training
from kinerja_evaluation.service.pembinaan import PlanIn
from kinerja_evaluation.service.rewards import AwardDecisionIn
from kinerja_evaluation.service.training import CourseIn

from ..conftest import Env
from .followup_fixtures import at, periodic, r1_request

pytestmark = [pytest.mark.postgres]


async def test_r1_requests_open_cases_once_and_nothing_more(env: Env, office: dict[str, uuid.UUID]) -> None:
    for kind in ("mentoring_needed", "award_candidate", "sanction_review", "target_at_risk"):
        await r1_request(env, office["staff"], kind, "2026-Q1")
    await r1_request(env, office["staff"], "mentoring_needed", "2026-Q1")  # a second request: same case
    counts = {
        t: len(await env.owner_rows(f"SELECT 1 FROM {t}"))
        for t in ("pembinaan_plan", "award", "sanction_case", "sanction_history")
    }
    assert counts == {"pembinaan_plan": 1, "award": 1, "sanction_case": 1, "sanction_history": 1}
    plan = (await env.owner_rows("SELECT * FROM pembinaan_plan"))[0]
    assert (plan["status"], plan["mentor_id"]) == ("dibuka", None)  # opened, nobody assigned automatically


async def test_award_approval_piagam_verification_and_incentive(env: Env, office: dict[str, uuid.UUID]) -> None:
    await r1_request(env, office["staff"], "award_candidate", "2026-Q1")
    admin = env.admin()
    [cand] = await rewards.listing(env.pool, admin, "kandidat")
    with pytest.raises(NotAllowed):
        await rewards.decide(env.pool, env.asn(office["kadis"], superior=True), cand["award_id"], AwardDecisionIn(True))
    with pytest.raises(InvalidInput) as bad:
        await rewards.decide(env.pool, admin, cand["award_id"], AwardDecisionIn(True, incentive=Decimal("10.5")))
    assert bad.value.field == "incentive"
    out = await rewards.decide(
        env.pool,
        admin,
        cand["award_id"],
        AwardDecisionIn(True, "Pegawai Teladan Triwulan I", Decimal(750_000)),
        now=at("2026-03-20"),
    )
    code = out["verification_code"]
    assert rewards.CODE.match(code)
    with pytest.raises(Conflict):
        await rewards.decide(env.pool, admin, cand["award_id"], AwardDecisionIn(False))
    pdf, same = await rewards.certificate(env.pool, env.asn(office["staff"]), cand["award_id"], "https://k.id/v")
    assert same == code and pdf.startswith(b"%PDF") and len(pdf) > 2000
    with pytest.raises(NotAllowed):
        await rewards.certificate(env.pool, env.asn(office["peer"]), cand["award_id"], "https://k.id/v")
    checked = await rewards.verify(env.pool, code.lower().replace("-", " "))
    assert checked is not None
    assert (checked["recipient"], checked["title"], checked["period"]) == (
        "Staf (contoh)",  # the bracketed note is not part of the name: kept
        "Pegawai Teladan Triwulan I",
        "Triwulan I 2026",
    )
    assert await rewards.verify(env.pool, "AAAA-BBBB-CCCC") is None
    await periodic(env, office["staff"], "2026-Q1", "A", "A", "95")
    body, _ = await tpp.export(env.pool, admin, tpp.parse_month("2026-03"), "csv")
    rows = {r["Nama"]: r for r in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))}
    assert rows["Staf (contoh)"]["Usulan insentif"] == "750000"
    assert rows["Rekan (contoh)"]["Usulan insentif"] == "0"


async def test_pembinaan_plan_is_worked_by_people_and_sanction_cases_keep_history(
    env: Env, office: dict[str, uuid.UUID]
) -> None:
    await r1_request(env, office["staff"], "mentoring_needed", "2026-Q1")
    await r1_request(env, office["peer"], "sanction_review", "2026-Q1")
    kadis = env.asn(office["kadis"], "Kadis", superior=True)
    [plan] = await pembinaan.plans(env.pool, kadis)
    pid = plan["plan_id"]
    assert await pembinaan.plans(env.pool, env.asn(office["peer"])) == []  # not theirs
    with pytest.raises(NotAllowed):
        await pembinaan.set_plan(env.pool, env.asn(office["peer"]), pid, PlanIn(office["peer"], "Sasaran apa saja"))
    with pytest.raises(Conflict):
        await pembinaan.close(env.pool, kadis, pid, "membaik", "Belum ada mentor ditetapkan.")
    await pembinaan.set_plan(env.pool, kadis, pid, PlanIn(office["peer"], "Waktu tunggu layanan turun ke 3 hari."))
    await pembinaan.check_in(env.pool, env.asn(office["peer"]), pid, "Pertemuan pertama: rencana kerja disusun.")
    await pembinaan.close(env.pool, kadis, pid, "membaik", "Target waktu tunggu tercapai dua bulan berturut-turut.")
    done = await pembinaan.plan(env.pool, env.asn(office["staff"]), pid)
    assert (done["status"], done["closing_result"], len(done["checkin_list"])) == ("selesai", "membaik", 1)
    with pytest.raises(Conflict):
        await pembinaan.check_in(env.pool, kadis, pid, "Terlambat dicatat.")

    admin = env.admin()
    [case] = await pembinaan.sanction_cases(env.pool, admin)
    await pembinaan.sanction_step(env.pool, admin, case["case_id"], "ditelaah", "Dokumen penilaian diminta.")
    await pembinaan.sanction_step(env.pool, admin, case["case_id"], "ditutup", "Tidak ada pelanggaran disiplin.")
    [case] = await pembinaan.sanction_cases(env.pool, admin)
    assert case["status"] == "ditutup"
    assert [h["action"] for h in case["history"]] == ["dibuka", "ditelaah", "ditutup"]
    with pytest.raises(NotAllowed):
        await pembinaan.sanction_cases(env.pool, kadis)


async def test_training_jp_recommendations_and_equal_access(env: Env, office: dict[str, uuid.UUID]) -> None:
    admin = env.admin()
    big = await training.add_course(env.pool, admin, CourseIn("Manajemen Kinerja", "klasikal", 24, 3, ("hasil_kerja",)))
    small = await training.add_course(
        env.pool, admin, CourseIn("Pelayanan Prima", "e_learning", 8, 1, ("berorientasi_pelayanan",))
    )
    with pytest.raises(InvalidInput) as bad:
        await training.add_course(env.pool, admin, CourseIn("X", "webinar", 2))
    assert bad.value.field == "kind"
    staff = env.asn(office["staff"])
    await training.enrol(env.pool, staff, big)
    with pytest.raises(Conflict):
        await training.enrol(env.pool, staff, big)
    with pytest.raises(NotAllowed):
        await training.enrol(env.pool, staff, small, office["peer"])
    await training.enrol(env.pool, admin, small, office["peer"])
    await training.record_attendance(env.pool, admin, big, office["staff"], 2)
    with pytest.raises(InvalidInput) as incomplete:
        await training.complete(env.pool, admin, big, office["staff"])
    assert incomplete.value.field == "attended"
    await training.record_attendance(env.pool, admin, big, office["staff"], 3)
    assert await training.complete(env.pool, admin, big, office["staff"], now=at("2026-05-01")) == 24
    await training.record_attendance(env.pool, admin, small, office["peer"], 1)
    await training.complete(env.pool, admin, small, office["peer"])
    year = at("2026-05-01").year
    mine = await training.development_of(env.pool, staff, office["staff"], year)
    assert (mine["jp"], mine["right"]) == (24, 20)
    report = await training.equal_access_report(env.pool, admin, year)
    assert report["overall"] == {"group": "semua", "total": 4, "reached": 1, "share": "25.00", "mean_jp": "8.0"}
    units = {g["group"]: g for g in report["dimensions"]["unit"]}
    assert units["Dinas Perhubungan"]["reached"] == 1 and units["Dinas Perhubungan"]["total"] == 3
    with pytest.raises(NotAllowed):
        await training.equal_access_report(env.pool, staff, year)
