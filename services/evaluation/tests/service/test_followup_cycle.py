"""The follow-up on real PostgreSQL: annual proposal and rating, curve flags, idempotent finalisation, the rule
version a final result keeps, keberatan deadlines and deciders, TPP with export, and bad input saving nothing."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kinerja_evaluation.domain.capaian import Rating
from kinerja_evaluation.domain.errors import Conflict, InvalidInput, NotAllowed
from kinerja_evaluation.domain.predikat import Predikat
from kinerja_evaluation.domain.rules import DEFAULT_RULES, RuleSet, RulesInvalid
from kinerja_evaluation.service import annual, keberatan, tpp
from kinerja_evaluation.service import rules as rules_service
from kinerja_evaluation.service.annual import AnnualRatingIn, CurveViolations
from kinerja_evaluation.service.keberatan import DecisionIn, KeberatanIn

from ..conftest import Env
from .followup_fixtures import at, attendance, march_days, periodic

pytestmark = [pytest.mark.postgres]


async def snapshot(env: Env) -> dict[str, object]:
    """Everything a finalisation may write."""
    return {
        "final": [tuple(r) for r in await env.owner_rows("SELECT * FROM final_result ORDER BY asn_id, period")],
        "runs": len(await env.owner_rows("SELECT 1 FROM finalisation")),
        "outbox": await env.outbox_count(),
        "audit": len(await env.owner_rows("SELECT 1 FROM audit_log")),
        "rules": len(await env.owner_rows("SELECT 1 FROM rule_set")),
    }


async def rate_team(env: Env, office: dict[str, uuid.UUID]) -> None:
    for q, (h, p) in zip(("Q1", "Q2", "Q3", "Q4"), (("S", "S"), ("A", "S"), ("A", "A"), ("S", "A")), strict=True):
        await periodic(env, office["staff"], f"2026-{q}", h, p, "85")
        await periodic(env, office["peer"], f"2026-{q}", "B", "S", "60")
    kadis = env.asn(office["kadis"], "Kadis", superior=True)
    await annual.rate_annual(env.pool, kadis, office["staff"], 2026, AnnualRatingIn(Rating.DI_ATAS, Rating.DI_ATAS))
    await annual.rate_annual(env.pool, kadis, office["peer"], 2026, AnnualRatingIn(Rating.DI_BAWAH, Rating.SESUAI))


async def test_annual_proposal_shows_how_and_only_the_pejabat_penilai_rates(
    env: Env, office: dict[str, uuid.UUID]
) -> None:
    await rate_team(env, office)
    kadis = env.asn(office["kadis"], "Kadis", superior=True)
    team = {m["asn_id"]: m for m in await annual.annual_overview(env.pool, kadis, 2026)}
    staff = team[office["staff"]]
    assert staff["proposal"]["predikat"] == "baik"  # hasil tie → Q4 Sesuai; perilaku tie → Q4 Di Atas
    assert any("seri" in line for line in staff["proposal"]["explanation"])
    assert staff["rating"]["predikat"] == "sangat_baik"  # the pejabat penilai decided otherwise, allowed
    assert team[office["peer"]]["proposal"]["predikat"] == "butuh_perbaikan"
    sekda = env.asn(office["sekda"], "Sekda", superior=True)
    with pytest.raises(NotAllowed):
        await annual.rate_annual(env.pool, sekda, office["staff"], 2026, AnnualRatingIn(Rating.SESUAI, Rating.SESUAI))


async def test_finalising_the_regency_flags_the_curve_then_a_rerun_changes_nothing(
    env: Env, office: dict[str, uuid.UUID]
) -> None:
    await rate_team(env, office)
    admin = env.admin()
    before = await snapshot(env)
    # the Bidang's two people: Sangat Baik 50% in a unit rated Baik is fine; rated Butuh Perbaikan it is not
    unit = (await env.owner_rows("SELECT unit_id FROM asn WHERE asn_id = $1", office["staff"]))[0]["unit_id"]
    await annual.set_unit_rating(env.pool, admin, unit, "2026-Y", annual.OrgRating.BUTUH_PERBAIKAN)
    curve = {u.unit_id: u for u in await annual.curve_report(env.pool, admin, "2026-Y")}[unit]
    assert curve.distribution[Predikat.SANGAT_BAIK] == Decimal("50.00")
    assert curve.violations == [
        "Distribusi melanggar kurva: Butuh Perbaikan ≥ 60%, aktual 50.00%",
        "Distribusi melanggar kurva: Sangat Baik ≤ 10%, aktual 50.00%",
    ]
    with pytest.raises(CurveViolations) as refused:
        await annual.finalise(env.pool, admin, "2026-Y")
    assert [u.unit_id for u in refused.value.units] == [unit]
    assert await snapshot(env) == before  # refused: nothing written, predikat untouched

    report = await annual.finalise(env.pool, admin, "2026-Y", acknowledge_violations=True, now=at("2027-01-10"))
    assert (report.finalised, report.without_predikat, report.rule_version) == (2, 2, 1)  # sekda, kadis not rated
    assert report.violations[0]["unit_id"] == str(unit)
    finals = {r["asn_id"]: r for r in await env.owner_rows("SELECT * FROM final_result")}
    assert finals[office["staff"]]["predikat"] == "sangat_baik"  # never corrected to fit the curve
    assert finals[office["staff"]]["score"] == Decimal("85.00")  # mean of the periodic scores
    types = [r["topic"] for r in await env.owner_rows("SELECT topic FROM outbox")]
    assert types.count("kinerja.public.performance.v1") == 2

    after = await snapshot(env)
    again = await annual.finalise(env.pool, admin, "2026-Y", acknowledge_violations=True, now=at("2027-01-11"))
    assert (again.finalised, again.already_final, again.run_id) == (0, 2, None)
    assert await snapshot(env) == after  # a re-run changes nothing at all
    # a unit finalisation of the same people is a no-op as well
    assert (await annual.finalise(env.pool, admin, "2026-Y", unit_id=unit, acknowledge_violations=True)).finalised == 0
    assert await snapshot(env) == after
    with pytest.raises(Conflict):
        await annual.rate_annual(
            env.pool,
            env.asn(office["kadis"], superior=True),
            office["staff"],
            2026,
            AnnualRatingIn(Rating.SESUAI, Rating.SESUAI),
        )


async def test_a_period_finalised_under_rule_version_1_keeps_its_result_after_version_2(
    env: Env, office: dict[str, uuid.UUID]
) -> None:
    admin = env.admin()
    v1 = await rules_service.save(env.pool, admin, DEFAULT_RULES, base_version=0, note="awal tahun")
    assert v1 == 1
    await periodic(env, office["staff"], "2026-Q1", "S", "S", "80")
    await periodic(env, office["staff"], "2026-Q2", "S", "S", "80")
    await attendance(env, office["staff"], march_days())
    april = [(d + timedelta(days=35), s, m) for d, s, m in march_days()]
    await attendance(env, office["staff"], april)
    await annual.finalise(env.pool, admin, "2026-Q1", acknowledge_violations=True, now=at("2026-04-05"))

    async def staff_tpp(month: str) -> tpp.TppRow:
        return await tpp.explain(env.pool, admin, office["staff"], tpp.parse_month(month))

    march_v1 = await staff_tpp("2026-03")
    april_v1 = await staff_tpp("2026-04")
    curve_v1 = [u.as_json() for u in await annual.curve_report(env.pool, admin, "2026-Q1")]
    final_v1 = await env.owner_rows("SELECT * FROM final_result")
    # Table T1 under v1: class 7 base 3,200,000 × (0.6 × 1 + 0.4 × (1 − 0.04)) = 3,148,800
    assert (march_v1.amount, march_v1.rule_version, march_v1.source) == (Decimal(3_148_800), 1, "final")

    v2 = RuleSet(
        kinerja_share=Decimal(50),
        disiplin_share=Decimal(50),
        objection_days=30,
        lateness_ladder=((60, Decimal(1)), (90, Decimal(2))),
        over_ladder_or_no_record=Decimal(3),
        curve=dict(DEFAULT_RULES.curve) | {annual.OrgRating.BAIK: (Decimal(40),)},
        tpp_base=dict(DEFAULT_RULES.tpp_base) | {7: Decimal(4_000_000), 8: Decimal(4_100_000)},
    )
    assert await rules_service.save(env.pool, admin, v2, base_version=1, note="perubahan") == 2

    march_v2 = await staff_tpp("2026-03")
    assert (march_v2.amount, march_v2.rule_version, march_v2.lines) == (march_v1.amount, 1, march_v1.lines)
    assert [u.as_json() for u in await annual.curve_report(env.pool, admin, "2026-Q1")] == curve_v1
    assert await env.owner_rows("SELECT * FROM final_result") == final_v1
    # a period not final yet follows the current rules: 4,000,000 × (0.5 + 0.5 × (1 − 0.04)) = 3,920,000
    april_v2 = await staff_tpp("2026-04")
    assert (april_v2.amount, april_v2.rule_version) == (Decimal(3_920_000), 2)
    assert april_v2.amount != april_v1.amount
    # the scoring engine follows the new weights/thresholds through its own config row
    cfg = await env.owner_rows("SELECT w_hasil FROM scoring_config WHERE regency_id = $1", env.regency_id)
    assert cfg[0]["w_hasil"] == Decimal(50)


async def test_bad_rules_and_a_stale_editor_save_nothing(env: Env) -> None:
    admin = env.admin()
    assert await rules_service.save(env.pool, admin, DEFAULT_RULES, base_version=0) == 1
    bad_weights = RuleSet(weights=dict(DEFAULT_RULES.weights) | {"inovasi": Decimal(15)})
    with pytest.raises(RulesInvalid) as e:
        await rules_service.save(env.pool, admin, bad_weights, base_version=1)
    assert e.value.errors[0].field == "weights"
    bad_ladder = RuleSet(lateness_ladder=((30, Decimal(1)), (60, Decimal("0.5"))))
    with pytest.raises(RulesInvalid):
        await rules_service.save(env.pool, admin, bad_ladder, base_version=1)
    assert await rules_service.save(env.pool, admin, RuleSet(objection_days=21), base_version=1) == 2
    with pytest.raises(Conflict):  # someone saved version 2 since this editor opened version 1
        await rules_service.save(env.pool, admin, RuleSet(objection_days=10), base_version=1)
    cur, history = await rules_service.read(env.pool, admin)
    assert (cur.version, cur.rules.objection_days, len(history)) == (2, 21, 2)
    with pytest.raises(NotAllowed):
        await rules_service.save(env.pool, env.asn(uuid.uuid4()), DEFAULT_RULES, base_version=2)


async def test_keberatan_window_decider_and_deadline(env: Env, office: dict[str, uuid.UUID]) -> None:
    await rate_team(env, office)
    admin = env.admin()
    await annual.finalise(env.pool, admin, "2026-Y", acknowledge_violations=True, now=at("2027-01-10"))
    staff, peer = env.asn(office["staff"]), env.asn(office["peer"])
    kadis = env.asn(office["kadis"], "Kadis", superior=True)
    sekda = env.asn(office["sekda"], "Sekda", superior=True)
    reasons = "Capaian indikator waktu tunggu sudah di atas target, bukti terlampir."

    with pytest.raises(InvalidInput) as late:  # window: 14 days → closes at the end of 24 January
        await keberatan.file(env.pool, peer, KeberatanIn("2026-Y", reasons), now=at("2027-01-25", 0))
    assert late.value.field == "period" and "lewat" in late.value.reason
    with pytest.raises(InvalidInput) as short:
        await keberatan.file(env.pool, peer, KeberatanIn("2026-Y", "tidak setuju"), now=at("2027-01-12"))
    assert short.value.field == "reasons"

    filed = await keberatan.file(
        env.pool, peer, KeberatanIn("2026-Y", reasons, ("https://contoh.id/bukti.pdf",)), now=at("2027-01-24", 23)
    )
    kid = uuid.UUID(filed["keberatan_id"])
    with pytest.raises(Conflict):
        await keberatan.file(env.pool, peer, KeberatanIn("2026-Y", reasons), now=at("2027-01-24", 23))
    decision = DecisionIn(True, "Bukti capaian meyakinkan.", Predikat.BAIK)
    with pytest.raises(NotAllowed):  # the pejabat penilai himself is not the one who decides
        await keberatan.decide(env.pool, kadis, kid, decision, now=at("2027-01-26"))
    with pytest.raises(NotAllowed):
        await keberatan.decide(env.pool, staff, kid, decision, now=at("2027-01-26"))
    with pytest.raises(InvalidInput) as overdue:  # 7 days from 24 January → end of 31 January
        await keberatan.decide(env.pool, sekda, kid, decision, now=at("2027-02-01", 0))
    assert overdue.value.field == "keberatan_id"
    with pytest.raises(InvalidInput) as same:
        await keberatan.decide(
            env.pool,
            sekda,
            kid,
            DecisionIn(True, "Dikabulkan tanpa perubahan.", Predikat.BUTUH_PERBAIKAN),
            now=at("2027-01-27"),
        )
    assert same.value.field == "new_predikat"
    # nothing saved is lost: the objection is still there, open, after every refused attempt
    row = (await env.owner_rows("SELECT status, reasons, evidence_links FROM keberatan"))[0]
    assert (row["status"], row["reasons"], row["evidence_links"]) == (
        "diajukan",
        reasons,
        ["https://contoh.id/bukti.pdf"],
    )

    out = await keberatan.decide(env.pool, sekda, kid, decision, now=at("2027-01-31", 23))
    assert out["predikat"] == "baik"
    final = (await env.owner_rows("SELECT * FROM final_result WHERE asn_id = $1", office["peer"]))[0]
    assert (final["predikat"], final["original_predikat"], final["changed_by_keberatan"]) == (
        "baik",
        "butuh_perbaikan",
        kid,
    )
    public = [
        json.loads(r["payload"])
        for r in await env.owner_rows(
            "SELECT payload FROM outbox WHERE topic = 'kinerja.public.performance.v1' ORDER BY id"
        )
    ]
    assert [(p["predikat"], p["revision"]) for p in public][-1] == ("baik", 2)
    assert public[-1]["pseudonym"] in {p["pseudonym"] for p in public[:-1]}  # the same pseudonym, corrected
    with pytest.raises(Conflict):
        await keberatan.decide(env.pool, sekda, kid, decision, now=at("2027-01-31", 23))
    lists = await keberatan.listing(env.pool, sekda)
    assert lists["to_decide"] == []


async def test_tpp_export_csv_and_xlsx_explain_every_row(env: Env, office: dict[str, uuid.UUID]) -> None:
    await periodic(env, office["staff"], "2026-Q1", "S", "S", "80")
    await periodic(env, office["peer"], "2026-Q1", "B", "B", "40")
    await attendance(env, office["staff"], march_days())
    admin = env.admin()
    body, n = await tpp.export(env.pool, admin, tpp.parse_month("2026-03"), "csv")
    rows = {r["Nama"]: r for r in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))}
    assert n == 4
    assert rows["Staf (contoh)"]["TPP diterima"] == "3148800"
    assert rows["Staf (contoh)"]["Potongan disiplin (%)"] == "4"
    # Sangat Kurang: 3,200,000 × (0.6 × 0.4 + 0.4) = 2,048,000
    assert rows["Rekan (contoh)"]["TPP diterima"] == "2048000"
    assert rows["Sekda (contoh)"]["TPP diterima"] == "" and "belum ada predikat" in rows["Sekda (contoh)"]["Keterangan"]
    xlsx, _ = await tpp.export(env.pool, admin, tpp.parse_month("2026-03"), "xlsx")
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "NIP" and len(values) == 5
    staf = next(v for v in values if v[1] == "Staf (contoh)")
    assert (staf[11], staf[10], isinstance(staf[0], str)) == (3148800, 4, True)  # numbers as numbers, NIP as text
    audit = await env.owner_rows("SELECT action FROM audit_log WHERE action = 'tpp.export'")
    assert len(audit) == 2
    with pytest.raises(NotAllowed):
        await tpp.export(env.pool, env.asn(office["staff"]), tpp.parse_month("2026-03"), "csv")
    with pytest.raises(NotAllowed):  # a peer may not read another's TPP
        await tpp.explain(env.pool, env.asn(office["peer"]), office["staff"], tpp.parse_month("2026-03"))
    own = await tpp.explain(env.pool, env.asn(office["staff"]), office["staff"], tpp.parse_month("2026-03"))
    assert [label for label, _ in [(x.label, x.value) for x in own.lines]][-1] == "TPP diterima"
    assert sum(v for _, v in own.day_lines) == Decimal("0.04")
