"""The scoring engine on real PostgreSQL: facts in any order → period state, scores (S1), predikat (P1), R1 triggers.

Batches are applied the way the consumer does it (one transaction: inbox claim + handler), without Kafka; the
Kafka path is in tests/integration/test_scoring_kafka.py.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from kinerja_evaluation.bootstrap import DEFINITION
from kinerja_evaluation.domain.scoring_rules import notification_id
from kinerja_evaluation.entrypoints.scoring_subscribers import on_scoring_facts
from kinerja_evaluation.service import scoring_engine
from kinerja_evaluation.service.scoring_engine import rescore
from kinerja_shared.contracts import Envelope
from kinerja_shared.contracts.activity import (
    ActivityRejected,
    ActivityReported,
    ActivityVerificationOverdue,
    ActivityVerified,
    AttendanceRecorded,
    AttendanceStatus,
)
from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.evaluation import (
    Aspect,
    Direction,
    ExpectationRating,
    IndicatorTarget,
    InnovationVerified,
    PeriodicEvaluationSubmitted,
    PredikatKinerja,
    RealisasiConfirmed,
    SkpApproved,
    ValueAssessment,
)
from kinerja_shared.contracts.feedback import BerakhlakValue, PeerFeedbackSummarized, SurveySubmitted, ValueSummary
from kinerja_shared.contracts.org import AsnUpserted, Gender, Location, UnitUpserted
from kinerja_shared.db import ALL_REGENCIES, create_pool, load_migrations, migrate, set_tenant, shared_migrations
from kinerja_shared.errors import PermanentHandlerError
from kinerja_shared.messaging.consumer import Received
from kinerja_shared.messaging.inbox import claim
from kinerja_shared.readmodels.org import MIGRATIONS_DIR as ORG_MIGRATIONS
from kinerja_shared.testing.plugin import MakeDatabase, ProvisionedDatabase

pytestmark = [pytest.mark.postgres]

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
RATING = {"A": ExpectationRating.DI_ATAS, "S": ExpectationRating.SESUAI, "B": ExpectationRating.DI_BAWAH}


async def scoring_database(make_database: MakeDatabase) -> ProvisionedDatabase:
    """What the worker migrates: plumbing, the shared org read model, then the service's own files."""
    db = await make_database(None, prefix="evaluation")
    await migrate(
        db.owner_url,
        shared_migrations()
        + load_migrations(ORG_MIGRATIONS, "shared-org")
        + load_migrations(DEFINITION.migrations_dir, "evaluation"),
    )
    return db


@dataclass
class Scoring:
    db: ProvisionedDatabase
    pool: asyncpg.Pool

    async def rows(self, sql: str, *args: object) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn, conn.transaction():
            await set_tenant(conn, ALL_REGENCIES)
            return list(await conn.fetch(sql, *args))

    async def score(self, asn: uuid.UUID, period: str) -> asyncpg.Record | None:
        rows = await self.rows("SELECT * FROM scoring_score WHERE asn_id = $1 AND period = $2", asn, period)
        return rows[0] if rows else None

    async def outbox(self, type_suffix: str) -> list[asyncpg.Record]:
        rows = await self.rows("SELECT * FROM outbox ORDER BY id")
        return [r for r in rows if dict(r["headers"])["ce_type"].endswith(type_suffix)]


@pytest.fixture
async def sc(make_database: MakeDatabase) -> AsyncIterator[Scoring]:
    db = await scoring_database(make_database)
    pool = await create_pool(db.app_url, max_size=3)
    try:
        yield Scoring(db, pool)
    finally:
        await pool.close()


def received(events: Sequence[Event | Envelope]) -> list[Received]:
    out = []
    for i, e in enumerate(events):
        env = e if isinstance(e, Envelope) else Envelope.wrap(e)
        out.append(Received(env, env.decode(), env.event_uuid(), "test", 0, i, 0))
    return out


async def deliver(pool: asyncpg.Pool, events: Sequence[Event | Envelope], consumer: str = "evaluation") -> int:
    """One batch as the BatchConsumer applies it: inbox claim and handler in one transaction."""
    batch = received(events)
    async with pool.acquire() as conn, conn.transaction():
        await set_tenant(conn, ALL_REGENCIES)
        fresh = await claim(conn, consumer, [r.event_id for r in batch])
        todo = [r for r in batch if r.event_id in fresh]
        if todo:
            await on_scoring_facts(conn, todo)
        return len(todo)


@dataclass
class Office:
    """Builds facts for one regency: a public-facing unit with ASN and an approved SKP each."""

    regency: uuid.UUID = field(default_factory=uuid.uuid4)
    unit: uuid.UUID = field(default_factory=uuid.uuid4)
    public_facing: bool = True
    at: datetime = T0

    def unit_fact(self) -> UnitUpserted:
        return UnitUpserted(regency_id=self.regency, occurred_at=self.at, unit_id=self.unit, name="Puskesmas Tebo",
                            kind="puskesmas", public_facing=self.public_facing)  # fmt: skip

    def asn_fact(self, asn: uuid.UUID, superior: uuid.UUID | None = None, name: str = "Pegawai") -> AsnUpserted:
        return AsnUpserted(regency_id=self.regency, occurred_at=self.at, asn_id=asn, name=name, unit_id=self.unit,
                           position_title="Perawat", grade="III/a", position_class=8, superior_id=superior,
                           gender=Gender.P, location=Location.RURAL)  # fmt: skip

    def skp(self, asn: uuid.UUID, specs: Sequence[tuple[Decimal, str, Decimal]], *, version: int = 1,
            rhk: Sequence[uuid.UUID] | None = None, ids: Sequence[uuid.UUID] | None = None) -> SkpApproved:  # fmt: skip
        """specs: (target, direction, weight) per indicator."""
        inds = tuple(
            IndicatorTarget(
                indicator_id=ids[i] if ids else uuid.uuid4(),
                rhk_id=rhk[i] if rhk else uuid.uuid4(),
                name=f"Indikator {i + 1}",
                target=t,
                unit="pasien",
                aspect=Aspect.KUANTITAS,
                direction=Direction(d),
                weight=w,
            )
            for i, (t, d, w) in enumerate(specs)
        )
        return SkpApproved(regency_id=self.regency, occurred_at=self.at, skp_id=uuid.uuid4(), asn_id=asn,
                           approver_id=uuid.uuid4(), year=2026, version=version, indicators=inds)  # fmt: skip

    def reported(self, asn: uuid.UUID, activity: uuid.UUID, indicator: uuid.UUID | None, qty: int, *,
                 day: date = date(2026, 2, 3), minutes: int = 60, revision: int = 1) -> ActivityReported:  # fmt: skip
        return ActivityReported(regency_id=self.regency, occurred_at=self.at, activity_id=activity, asn_id=asn,
                                activity_date=day, minutes=minutes, indicator_id=indicator, quantity=Decimal(qty),
                                revision=revision)  # fmt: skip

    def verified(self, asn: uuid.UUID, activity: uuid.UUID, *, day: date = date(2026, 2, 3),
                 minutes: int = 60, indicator: uuid.UUID | None = None) -> ActivityVerified:  # fmt: skip
        return ActivityVerified(regency_id=self.regency, occurred_at=self.at, activity_id=activity, asn_id=asn,
                                verifier_id=uuid.uuid4(), activity_date=day, minutes=minutes,
                                indicator_id=indicator)  # fmt: skip

    def attendance(self, asn: uuid.UUID, day: date, status: str = "hadir", late: int = 0,
                   at: datetime | None = None) -> AttendanceRecorded:  # fmt: skip
        return AttendanceRecorded(regency_id=self.regency, occurred_at=at or self.at, asn_id=asn, work_date=day,
                                  status=AttendanceStatus(status), late_minutes=late)  # fmt: skip

    def survey(self, answers: Sequence[int], period: str = "2026-Q1") -> SurveySubmitted:
        return SurveySubmitted.model_construct(
            regency_id=self.regency,
            occurred_at=self.at,
            response_id=uuid.uuid4(),
            unit_id=self.unit,
            period=period,
            answers=tuple(answers),
        )

    def peer(self, asn: uuid.UUID, scores: Sequence[int], *, version: int = 1, period: str = "2026-Q1"
             ) -> PeerFeedbackSummarized:  # fmt: skip
        values = tuple(
            ValueSummary(value=v, di_atas=1, sesuai=1, di_bawah=1, score=Decimal(s))
            for v, s in zip(BerakhlakValue, scores, strict=True)
        )
        return PeerFeedbackSummarized(regency_id=self.regency, occurred_at=self.at, request_id=uuid.uuid4(),
                                      asn_id=asn, period=period, raters=3, version=version, values=values)  # fmt: skip

    def evaluation(self, asn: uuid.UUID, hasil: str, perilaku: str, predikat: PredikatKinerja, *,
                   period: str = "2026-Q1", version: int = 1, values: str = "SSSSSSS",
                   integrity: bool = False) -> PeriodicEvaluationSubmitted:  # fmt: skip
        return PeriodicEvaluationSubmitted(
            regency_id=self.regency, occurred_at=self.at, evaluation_id=uuid.uuid4(), asn_id=asn,
            assessor_id=uuid.uuid4(), period=period, version=version, hasil_rating=RATING[hasil],
            values=tuple(ValueAssessment(value=v.value, rating=RATING[c]) for v, c in zip(BerakhlakValue, values,
                                                                                        strict=True)),
            perilaku_rating=RATING[perilaku], predikat=predikat, integrity_finding=integrity,
        )  # fmt: skip

    def confirmed(self, asn: uuid.UUID, indicator: uuid.UUID, realisasi: int, capaian: str,
                  period: str = "2026-Q1") -> RealisasiConfirmed:  # fmt: skip
        return RealisasiConfirmed(regency_id=self.regency, occurred_at=self.at, asn_id=asn, indicator_id=indicator,
                                  period=period, realisasi=Decimal(realisasi), capaian=Decimal(capaian),
                                  confirmed_by=uuid.uuid4())  # fmt: skip

    def innovation(self, asn: uuid.UUID, period: str = "2026-Q1") -> InnovationVerified:
        return InnovationVerified(regency_id=self.regency, occurred_at=self.at, innovation_id=uuid.uuid4(),
                                  asn_id=asn, period=period, title="Antrean daring",
                                  verified_by=uuid.uuid4())  # fmt: skip


def D(v: Any) -> Decimal:  # noqa: N802 - reads like a literal
    return Decimal(str(v))


# ---------------------------------------------------------------- tests
async def test_verified_activity_counts_once_even_before_its_report(sc: Scoring) -> None:
    o = Office()
    asn, ind, act = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await deliver(sc.pool, [o.unit_fact(), o.asn_fact(asn), o.skp(asn, [(D(10), "higher", D(100))], ids=[ind])])
    # the verification arrives first: minutes count, the quantity waits for the report
    await deliver(sc.pool, [o.verified(asn, act, minutes=90)])
    [p] = await sc.rows("SELECT * FROM scoring_period WHERE asn_id = $1", asn)
    assert (p["period"], p["verified_minutes"], p["verified_activities"]) == ("2026-Q1", 90, 1)
    s = await sc.score(asn, "2026-Q1")
    assert s is not None and s["status"] == "dihitung" and s["hasil_capaian"] == D("0.00")
    waiting = await sc.rows("SELECT kind FROM scoring_waiting WHERE asn_id = $1", asn)
    assert [w["kind"] for w in waiting] == ["activity"]
    await deliver(sc.pool, [o.reported(asn, act, ind, 5)])
    s = await sc.score(asn, "2026-Q1")
    assert s is not None and s["hasil_capaian"] == D("50.00")  # 5 of 10, Table P3
    assert not await sc.rows("SELECT 1 FROM scoring_waiting WHERE asn_id = $1", asn)
    [m] = await sc.rows("SELECT minutes, activities FROM activity_minutes WHERE asn_id = $1", asn)
    assert (m["minutes"], m["activities"]) == (90, 1)
    # a second verification fact of the same activity (another event id) changes nothing
    before = len(await sc.outbox("score.updated.v1"))
    await deliver(sc.pool, [o.verified(asn, act, minutes=90)])
    [p] = await sc.rows("SELECT * FROM scoring_period WHERE asn_id = $1", asn)
    assert p["verified_minutes"] == 90
    assert len(await sc.outbox("score.updated.v1")) == before


async def test_pending_and_rejected_activities(sc: Scoring) -> None:
    o = Office()
    asn, a1, a2 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await deliver(sc.pool, [o.asn_fact(asn), o.reported(asn, a1, None, 0), o.reported(asn, a2, None, 0)])
    [p] = await sc.rows("SELECT pending_activities FROM scoring_period WHERE asn_id = $1", asn)
    assert p["pending_activities"] == 2
    # rejected, then revised (revision 2): pending again; the rejection may even arrive after the revision
    await deliver(sc.pool, [o.reported(asn, a1, None, 0, revision=2)])
    await deliver(sc.pool, [ActivityRejected(regency_id=o.regency, occurred_at=T0, activity_id=a1, asn_id=asn,
                                             verifier_id=uuid.uuid4(), reason="bukti kurang")])  # fmt: skip
    await deliver(sc.pool, [ActivityRejected(regency_id=o.regency, occurred_at=T0, activity_id=a2, asn_id=asn,
                                             verifier_id=uuid.uuid4(), reason="bukti kurang")])  # fmt: skip
    [p] = await sc.rows("SELECT pending_activities FROM scoring_period WHERE asn_id = $1", asn)
    assert p["pending_activities"] == 1


async def test_realisasi_before_its_skp_waits_then_counts(sc: Scoring) -> None:
    o = Office(public_facing=False)
    asn, ind = uuid.uuid4(), uuid.uuid4()
    await deliver(sc.pool, [o.unit_fact(), o.asn_fact(asn), o.confirmed(asn, ind, 12, "120.00")])
    s = await sc.score(asn, "2026-Q1")
    assert s is not None and s["status"] == "menunggu_skp" and s["score"] is None
    assert [w["kind"] for w in await sc.rows("SELECT kind FROM scoring_waiting WHERE asn_id = $1", asn)] == [
        "realisasi",
        "score",
    ]
    assert not await sc.outbox("score.updated.v1")  # never a score without its SKP
    await deliver(sc.pool, [o.skp(asn, [(D(10), "higher", D(100))], ids=[ind])])
    s = await sc.score(asn, "2026-Q1")
    assert s is not None and s["status"] == "dihitung" and s["hasil_capaian"] == D("120.00")
    # Table S1: hasil full marks; perilaku/kehadiran/kepuasan do not apply; inovasi 0 → hasil 50/55, inovasi 5/55
    assert s["score"] == D("90.91")
    assert s["inputs"]["hasil_kerja.weight"] == "90.91" and s["inputs"]["inovasi.weight"] == "9.09"
    [ev] = await sc.outbox("score.updated.v1")
    assert ev["key"] == f"{asn}:2026-Q1"


async def test_unknown_asn_waits_and_is_scored_once_org_facts_arrive(sc: Scoring) -> None:
    o = Office()
    asn, ind = uuid.uuid4(), uuid.uuid4()
    await deliver(sc.pool, [o.skp(asn, [(D(10), "higher", D(100))], ids=[ind]), o.confirmed(asn, ind, 10, "100")])
    s = await sc.score(asn, "2026-Q1")
    assert s is not None and s["status"] == "menunggu_pegawai"
    await deliver(sc.pool, [o.unit_fact(), o.asn_fact(asn)])
    s = await sc.score(asn, "2026-Q1")
    assert s is not None and s["status"] == "dihitung" and s["score"] is not None


async def test_table_s1_all_components_with_unit_ikm_table_q1(sc: Scoring) -> None:
    """S1 default weights 50/25/10/10/5 with every component present; IKM by Table Q1 (exactly 1/9)."""
    o = Office()
    asn, ind = uuid.uuid4(), uuid.uuid4()
    days = [date(2026, 2, d) for d in (2, 3, 4, 5)]
    await deliver(
        sc.pool,
        [o.unit_fact(), o.asn_fact(asn), o.skp(asn, [(D(10), "higher", D(100))], ids=[ind]),
         o.confirmed(asn, ind, 10, "100.00"), o.peer(asn, [100, 80, 80, 80, 80, 80, 50]),
         o.attendance(asn, days[0]), o.attendance(asn, days[1]), o.attendance(asn, days[2], late=15),
         o.attendance(asn, days[3], "cuti"), o.innovation(asn),
         o.survey([4, 4, 4, 4, 4, 4, 4, 4, 4]), o.survey([3, 3, 3, 3, 3, 3, 3, 3, 3])],
    )  # fmt: skip
    s = await sc.score(asn, "2026-Q1")
    assert s is not None
    i = s["inputs"]
    # IKM: NRR 3.5 each → 3.5 × 9 × 1/9 × 25 = 87.50; kehadiran 2 of 3 working days (cuti excused) on time
    assert i["unit_ikm"] == "87.50" and i["kehadiran.points"] == "66.67" and i["working_days"] == "3"
    assert i["perilaku_points"] == "78.57"  # 360 mean (100+80×5+50)/7 before the superior rates
    assert i["inovasi.points"] == "70.00"
    expected = D(100) * D("0.5") + D("78.57") * D("0.25") + D(2) / D(3) * 100 * D("0.10") + D("87.5") * D("0.1") \
        + D(70) * D("0.05")  # fmt: skip
    assert s["score"] == expected.quantize(D("0.01"))
    assert s["predikat"] is None  # official only once the pejabat penilai submits


async def test_score_weights_are_regency_config(sc: Scoring) -> None:
    o = Office(public_facing=False)
    asn, ind = uuid.uuid4(), uuid.uuid4()
    async with sc.pool.acquire() as conn, conn.transaction():
        await set_tenant(conn, [o.regency])
        await conn.execute(
            "INSERT INTO scoring_config (regency_id, w_hasil, w_perilaku, w_kehadiran, w_kepuasan, w_inovasi)"
            " VALUES ($1, 60, 20, 10, 10, 0)",
            o.regency,
        )
    await deliver(sc.pool, [o.unit_fact(), o.asn_fact(asn), o.skp(asn, [(D(10), "higher", D(100))], ids=[ind]),
                            o.confirmed(asn, ind, 9, "90.00"), o.peer(asn, [80] * 7)])  # fmt: skip
    s = await sc.score(asn, "2026-Q1")
    assert s is not None
    # kehadiran and kepuasan absent, inovasi weight 0: hasil 60/80 = 75%, perilaku 20/80 = 25%
    assert s["score"] == (D(90) * D("0.75") + D(80) * D("0.25")).quantize(D("0.01"))


async def test_score_updated_only_when_score_or_predikat_changes(sc: Scoring) -> None:
    o = Office(public_facing=False)
    asn, ind = uuid.uuid4(), uuid.uuid4()
    await deliver(sc.pool, [o.unit_fact(), o.asn_fact(asn), o.skp(asn, [(D(10), "higher", D(100))], ids=[ind])])
    assert len(await sc.outbox("score.updated.v1")) == 1
    # verified minutes without a quantity do not move the score: no event
    a = uuid.uuid4()
    await deliver(sc.pool, [o.reported(asn, a, None, 0), o.verified(asn, a)])
    assert len(await sc.outbox("score.updated.v1")) == 1
    await deliver(sc.pool, [o.confirmed(asn, ind, 10, "100.00")])
    assert len(await sc.outbox("score.updated.v1")) == 2
    [s] = await sc.rows("SELECT changes FROM scoring_score WHERE asn_id = $1", asn)
    assert s["changes"] == 2


async def test_impossible_facts_are_refused_for_the_dlq(sc: Scoring) -> None:
    o = Office()
    with pytest.raises(PermanentHandlerError, match="SKM answers"):
        await deliver(sc.pool, [o.survey([4, 4, 4, 4, 4, 4, 4, 4, 7])])
    with pytest.raises(PermanentHandlerError, match="minutes"):
        await deliver(sc.pool, [o.attendance(uuid.uuid4(), date(2026, 2, 2), "alpa", late=30)])
    assert not await sc.rows("SELECT 1 FROM scoring_unit_survey")  # rolled back with the inbox claim


async def test_redelivery_is_a_no_op(sc: Scoring) -> None:
    o = Office()
    asn, ind = uuid.uuid4(), uuid.uuid4()
    facts = [o.unit_fact(), o.asn_fact(asn), o.skp(asn, [(D(10), "higher", D(100))], ids=[ind]),
             o.survey([4] * 9), o.attendance(asn, date(2026, 2, 2))]  # fmt: skip
    envs = [Envelope.wrap(e) for e in facts]
    assert await deliver(sc.pool, envs) == 5
    before = await sc.rows("SELECT * FROM scoring_score")
    assert await deliver(sc.pool, envs) == 0
    assert await sc.rows("SELECT * FROM scoring_score") == before
    [u] = await sc.rows("SELECT responses FROM scoring_unit_survey")
    assert u["responses"] == 1


async def test_attendance_latest_record_of_a_day_wins_in_any_order(sc: Scoring) -> None:
    o = Office()
    asn = uuid.uuid4()
    day = date(2026, 2, 2)
    late = o.attendance(asn, day, late=40, at=T0)
    fixed = o.attendance(asn, day, late=0, at=T0 + timedelta(hours=2))  # corrected later that day
    await deliver(sc.pool, [fixed])
    await deliver(sc.pool, [late])
    [p] = await sc.rows("SELECT working_days, days_on_time, late_days FROM scoring_period WHERE asn_id = $1", asn)
    assert (p["working_days"], p["days_on_time"], p["late_days"]) == (1, 1, 0)


async def _full_rescore(sc: Scoring) -> int:
    """Rescore every key as if all its inputs had changed; returns how many ScoreUpdated that staged."""
    async with sc.pool.acquire() as conn, conn.transaction():
        await set_tenant(conn, ALL_REGENCIES)
        keys = [(r["asn_id"], r["period"]) for r in await conn.fetch("SELECT asn_id, period FROM scoring_period")]
        return await rescore(conn, keys)


async def test_keys_whose_score_inputs_did_not_change_are_not_rescored_yet_end_as_if_they_were(
    sc: Scoring, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unverified reports, rejections, a superseded attendance record, verified minutes and a survey that leaves
    the unit's IKM where it was move only the period's counts: the engine patches them into the explanation
    instead of rescoring (S1 inputs are unchanged), and the result equals a full rescore of every key. Keys are
    rescored in chunks (here of one key) to bound memory."""
    monkeypatch.setattr(scoring_engine, "RESCORE_CHUNK", 1)
    o = Office()
    asn, other, ind = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    a1, a2, a3, a4 = (uuid.uuid4() for _ in range(4))
    day = date(2026, 2, 2)
    await deliver(sc.pool, [o.unit_fact(), o.asn_fact(asn), o.asn_fact(other),
                            o.skp(asn, [(D(10), "higher", D(100))], ids=[ind]),
                            o.attendance(asn, day, at=T0 + timedelta(hours=1)), o.survey([4] * 9)])  # fmt: skip
    first = await sc.score(asn, "2026-Q1")
    assert first is not None and first["detail"]["pending_activities"] == 0
    updates = len(await sc.outbox("score.updated.v1"))
    await deliver(sc.pool, [o.reported(asn, a1, ind, 3), o.reported(asn, a2, None, 0), o.reported(other, a4, None, 0),
                            o.survey([4] * 9)])  # the unit's IKM stays 100.00 (Table Q1)  # fmt: skip
    await deliver(sc.pool, [ActivityRejected(regency_id=o.regency, occurred_at=T0, activity_id=a2, asn_id=asn,
                                             verifier_id=uuid.uuid4(), reason="bukti kurang"),
                            o.verified(asn, a3, minutes=45),  # minutes without a report: no quantity yet
                            o.attendance(asn, day, late=30, at=T0)])  # older than the day's record  # fmt: skip
    s = await sc.score(asn, "2026-Q1")
    assert s is not None and s["score"] == first["score"] and s["changes"] == first["changes"]
    assert (s["detail"]["pending_activities"], s["detail"]["verified_minutes"]) == (1, 45)
    # a brand-new key (another ASN's first activity) still gets its score row
    assert (await sc.score(other, "2026-Q1")) is not None
    assert len(await sc.outbox("score.updated.v1")) == updates
    before = await sc.rows("SELECT * FROM scoring_score ORDER BY asn_id, period")
    assert await _full_rescore(sc) == 0
    assert await sc.rows("SELECT * FROM scoring_score ORDER BY asn_id, period") == before
    # the verification of a reported quantity does move S1 (Table P3: 3 of 10)
    await deliver(sc.pool, [o.verified(asn, a1)])
    s = await sc.score(asn, "2026-Q1")
    assert s is not None and s["hasil_capaian"] == D("30.00") and s["detail"]["verified_activities"] == 2
    assert len(await sc.outbox("score.updated.v1")) == updates + 1
    # so does a revision that takes the quantity back to zero; a zero quantity adds nothing
    await deliver(sc.pool, [o.reported(asn, a1, ind, 0, revision=2), o.reported(asn, a3, ind, 0)])
    s = await sc.score(asn, "2026-Q1")
    assert s is not None and s["hasil_capaian"] == D("0.00")
    before = await sc.rows("SELECT * FROM scoring_score ORDER BY asn_id, period")
    assert await _full_rescore(sc) == 0
    assert await sc.rows("SELECT * FROM scoring_score ORDER BY asn_id, period") == before


# ---------------------------------------------------------------- Table R1 through the engine
async def _official(sc: Scoring, o: Office, asn: uuid.UUID, ind: uuid.UUID, capaian: str, hasil: str,
                    perilaku: str, predikat: PredikatKinerja, period: str, **kw: Any) -> None:  # fmt: skip
    await deliver(sc.pool, [o.confirmed(asn, ind, 1, capaian, period=period),
                            o.evaluation(asn, hasil, perilaku, predikat, period=period, **kw)])  # fmt: skip


async def kinds(sc: Scoring, asn: uuid.UUID, period: str) -> list[str]:
    rows = await sc.rows("SELECT kind FROM scoring_notification WHERE asn_id = $1 AND period = $2", asn, period)
    return sorted(r["kind"] for r in rows)


async def test_table_r1_evaluation_finalized_and_mentoring_needed(sc: Scoring) -> None:
    o = Office(public_facing=False)
    asn, ind = uuid.uuid4(), uuid.uuid4()
    await deliver(sc.pool, [o.unit_fact(), o.asn_fact(asn), o.skp(asn, [(D(10), "higher", D(100))], ids=[ind])])
    await _official(sc, o, asn, ind, "80.00", "B", "S", PredikatKinerja.BUTUH_PERBAIKAN, "2026-Q1")
    assert await kinds(sc, asn, "2026-Q1") == ["evaluation_finalized", "mentoring_needed"]
    s = await sc.score(asn, "2026-Q1")
    assert s is not None and s["predikat"] == "butuh_perbaikan" and s["detail"]["official"] is True
    notes = await sc.outbox("notification.requested.v1")
    assert {n["event_id"] for n in notes} == {
        __import__("kinerja_evaluation.domain.scoring_rules", fromlist=["x"]).outbox_event_id(
            notification_id(k, asn, "2026-Q1", "v1" if k == "evaluation_finalized" else "")
        )
        for k in ("evaluation_finalized", "mentoring_needed")
    }
    # a correction (version 2) finalizes again but does not open a second pembinaan
    await _official(sc, o, asn, ind, "80.00", "B", "B", PredikatKinerja.SANGAT_KURANG, "2026-Q1", version=2)
    assert await kinds(sc, asn, "2026-Q1") == ["evaluation_finalized", "evaluation_finalized", "mentoring_needed"]
    # an older version arriving late changes nothing
    await deliver(sc.pool, [o.evaluation(asn, "A", "A", PredikatKinerja.SANGAT_BAIK, version=1)])
    s = await sc.score(asn, "2026-Q1")
    assert s is not None and s["predikat"] == "sangat_kurang"


async def test_table_r1_award_candidate_sangat_baik_or_jump(sc: Scoring) -> None:
    o = Office(public_facing=False)
    a, b, ia, ib = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await deliver(sc.pool, [o.unit_fact(), o.asn_fact(a), o.asn_fact(b),
                            o.skp(a, [(D(10), "higher", D(100))], ids=[ia]),
                            o.skp(b, [(D(10), "higher", D(100))], ids=[ib])])  # fmt: skip
    await _official(sc, o, a, ia, "115.00", "A", "A", PredikatKinerja.SANGAT_BAIK, "2026-Q1", values="AAAAAAA")
    assert "award_candidate" in await kinds(sc, a, "2026-Q1")
    # b: Q1 low, Q2 up ≥ 10 points with Baik → award; Q1 not
    await _official(sc, o, b, ib, "60.00", "B", "S", PredikatKinerja.BUTUH_PERBAIKAN, "2026-Q1")
    await _official(sc, o, b, ib, "100.00", "S", "S", PredikatKinerja.BAIK, "2026-Q2")
    assert "award_candidate" not in await kinds(sc, b, "2026-Q1")
    assert "award_candidate" in await kinds(sc, b, "2026-Q2")


async def test_table_r1_sanction_review_two_periods_or_integrity(sc: Scoring) -> None:
    o = Office(public_facing=False)
    a, b, ia, ib = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await deliver(sc.pool, [o.unit_fact(), o.asn_fact(a), o.asn_fact(b),
                            o.skp(a, [(D(10), "higher", D(100))], ids=[ia]),
                            o.skp(b, [(D(10), "higher", D(100))], ids=[ib])])  # fmt: skip
    await _official(sc, o, a, ia, "100.00", "S", "B", PredikatKinerja.KURANG, "2026-Q1", values="BBSSSSS")
    assert "sanction_review" not in await kinds(sc, a, "2026-Q1")
    await _official(sc, o, a, ia, "100.00", "S", "B", PredikatKinerja.KURANG, "2026-Q2", values="BBSSSSS")
    assert "sanction_review" in await kinds(sc, a, "2026-Q2")
    await _official(sc, o, b, ib, "100.00", "S", "S", PredikatKinerja.BAIK, "2026-Q1", integrity=True)
    assert "sanction_review" in await kinds(sc, b, "2026-Q1")


async def test_table_r1_verification_pending_once_per_activity(sc: Scoring) -> None:
    o = Office()
    asn, sup, act, done = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def overdue(activity: uuid.UUID) -> ActivityVerificationOverdue:
        return ActivityVerificationOverdue(regency_id=o.regency, occurred_at=T0, activity_id=activity, asn_id=asn,
                                           superior_id=sup, activity_date=date(2026, 2, 3), reported_at=T0,
                                           pending_working_days=3)  # fmt: skip

    await deliver(sc.pool, [o.asn_fact(asn, sup), o.reported(asn, act, None, 0), overdue(act)])
    await deliver(sc.pool, [overdue(act)])  # the activity service said it again: same id, no second request
    # verified before the overdue fact was handled: nobody needs to be told
    await deliver(sc.pool, [o.reported(asn, done, None, 0), o.verified(asn, done), overdue(done)])
    rows = await sc.rows("SELECT kind, subject, params FROM scoring_notification WHERE asn_id = $1", asn)
    assert [(r["kind"], r["subject"]) for r in rows] == [("verification_pending", str(act))]
    assert len(await sc.outbox("notification.requested.v1")) == 1
