"""Chaos through the public API: ASN phones sync activities and a superior decides them over HTTP while the
activity worker (the outbox relay), the evaluation worker and the broker are killed and restarted.

The other scenarios (test_chaos.py) put facts straight onto the topics to stress the evaluation consumer; this one
starts where users start. Real processes: `kinerja_activity api`, `kinerja_activity worker` (outbox relay +
read-model consumers) and `kinerja_evaluation worker`, on a broker of this suite's own (restarted here) and the
shared PostgreSQL. The generator keeps its own record of every item the API accepted and every decision it
answered; clients retry with the same client ids, as the offline-first app does.

Verdict, per activity: the evaluation service's fact (scoring_activity) equals the generator's record (reported,
verified with its minutes, or rejected once); per ASN the period aggregate equals the oracle; every activity
event id appears exactly once on the topics (read_committed: the relay's Kafka transactions hold across SIGKILL
and broker restarts); the activity outbox is relayed and the evaluation group's lag is 0, by themselves.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from kinerja_shared.auth import Role
from kinerja_shared.contracts.evaluation import Aspect, Direction, IndicatorTarget, SkpApproved
from kinerja_shared.contracts.org import AsnUpserted, Gender, Location, UnitUpserted
from kinerja_shared.devissuer import ensure_keypair, mint_token
from kinerja_shared.messaging.admin import group_lag
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.testing.helpers import produce, read_all, wait_until
from kinerja_shared.testing.plugin import MakeDatabase, ProvisionedDatabase
from kinerja_shared.testing.processes import ServiceProcess, run_service
from kinerja_shared.topics import ACTIVITY, EVALUATION, ORG
from kinerja_shared.web import JAKARTA

from .harness import RESULTS, full_size, migrate_evaluation, own_namespace
from .infra import OwnKafka

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.timeout(900)]
ISSUER, AUDIENCE = "http://127.0.0.1/dev-issuer", "kinerja"
STAFF = 60 if full_size() else 16
PER_STAFF = 40 if full_size() else 24  # activities per ASN, 30-minute slots of one day (≤ 48)
SYNC_CHUNK = 8  # items per /activities/sync call: a phone coming back online
DRAIN_S = 240.0
REPORT_TYPES = {f"id.kinerja.activity.{t}.v1" for t in ("reported", "verified", "rejected")}


@dataclass
class Record:
    """What the generator knows the API accepted and answered: activity id → expected final fact."""

    minutes: dict[uuid.UUID, int] = field(default_factory=dict)
    owner: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    decision: dict[uuid.UUID, bool] = field(default_factory=dict)  # True verified, False rejected
    requests: int = 0
    retries: int = 0


class Procs:
    """Service processes that a fault may SIGKILL and the 'orchestrator' starts again."""

    def __init__(self, stack: AsyncExitStack, dbs: dict[str, ProvisionedDatabase], kafka: KafkaSettings, tmp: Path):
        self.stack, self.dbs, self.kafka, self.tmp = stack, dbs, kafka, tmp
        self.live: dict[str, ServiceProcess] = {}

    async def start(self, name: str) -> ServiceProcess:
        svc, role = name.split("-")
        sp = await self.stack.enter_async_context(
            run_service(
                svc,
                role,
                self.dbs[svc],
                self.kafka,
                self.tmp,
                env={"CONSUMER_BATCH_WAIT_MS": "50"},
                ready_timeout=240,
                expect_clean_exit=False,
            )  # fmt: skip
        )
        self.live[name] = sp
        return sp

    async def kill(self, name: str) -> None:
        self.live[name].proc.kill()
        await asyncio.to_thread(self.live[name].proc.wait, 30)

    async def kill_and_restart(self, name: str) -> None:
        await self.kill(name)
        await self.start(name)


def _token(key: Path, regency: uuid.UUID, asn: uuid.UUID, roles: tuple[Role, ...]) -> dict[str, str]:
    t = mint_token(key, sub=str(asn), roles=list(roles), regency_id=regency, asn_id=asn, name="Uji",
                   issuer=ISSUER, audience=AUDIENCE)  # fmt: skip
    return {"authorization": f"Bearer {t}"}


async def _call(http: httpx.AsyncClient, rec: Record, path: str, body: dict[str, Any], headers: dict[str, str]
                ) -> httpx.Response:  # fmt: skip
    """POST until the API answers (it stays up while Kafka is down; a timeout under load is retried as is)."""
    deadline = time.monotonic() + 120
    while True:
        rec.requests += 1
        try:
            r = await http.post(path, json=body, headers=headers)
            if r.status_code < 500:
                return r
        except httpx.TransportError:
            pass
        rec.retries += 1
        assert time.monotonic() < deadline, f"{path} kept failing"
        await asyncio.sleep(0.3)


async def _generate(http: httpx.AsyncClient, key: Path, regency: uuid.UUID, boss: uuid.UUID,
                    staff: list[uuid.UUID], indicator: dict[uuid.UUID, uuid.UUID], rec: Record,
                    rnd: random.Random, spread_s: float) -> None:  # fmt: skip
    """Each ASN syncs their day in chunks; the superior decides what arrived (70% approve, 15% reject)."""
    today = datetime.now(JAKARTA).date()
    boss_h = _token(key, regency, boss, (Role.ASN, Role.ATASAN))

    async def one_asn(asn: uuid.UUID) -> None:
        h = _token(key, regency, asn, (Role.ASN,))
        items = []
        for i in range(PER_STAFF):
            start = datetime(2000, 1, 1) + timedelta(minutes=30 * i)
            length = rnd.randint(5, 29)
            items.append({"id": str(uuid.uuid4()), "activity_date": today.isoformat(),
                          "start_time": start.strftime("%H:%M"),
                          "end_time": (start + timedelta(minutes=length)).strftime("%H:%M"),
                          "description": f"Pelayanan pasien sesi {i + 1}", "quantity": "1", "output": "pasien",
                          "indicator_id": str(indicator[asn])})  # fmt: skip
        for c in range(0, len(items), SYNC_CHUNK):
            chunk = items[c : c + SYNC_CHUNK]
            r = await _call(http, rec, "/api/activities/sync", {"items": chunk}, h)
            assert r.status_code == 200, r.text
            if rnd.random() < 0.2:  # a phone that lost the answer sends the same chunk again: nothing changes
                again = await _call(http, rec, "/api/activities/sync", {"items": chunk}, h)
                assert again.json()["created"] == 0, again.text
            for item, out in zip(chunk, r.json()["items"], strict=True):
                assert out["status"] == "accepted", out
                aid = uuid.UUID(item["id"])
                s, e = (datetime.strptime(item[k], "%H:%M") for k in ("start_time", "end_time"))
                rec.minutes[aid] = int((e - s).total_seconds() // 60)
                rec.owner[aid] = asn
            for item in chunk:
                roll = rnd.random()
                if roll < 0.85:
                    approve = roll < 0.70
                    body = {"approve": approve} if approve else {"approve": False, "reason": "Bukti belum lengkap"}
                    d = await _call(http, rec, f"/api/activities/{item['id']}/decision", body, boss_h)
                    assert d.status_code == 200, d.text
                    rec.decision[uuid.UUID(item["id"])] = approve
            await asyncio.sleep(rnd.uniform(0, 2 * spread_s / (PER_STAFF / SYNC_CHUNK)))

    sem = asyncio.Semaphore(4)  # four phones at a time: the API's pool, not the test, sets the pace

    async def bounded(asn: uuid.UUID) -> None:
        async with sem:
            await one_asn(asn)

    await asyncio.gather(*(bounded(a) for a in staff))


async def _faults(procs: Procs, broker: OwnKafka, log: list[str], rnd: random.Random) -> None:
    t0 = time.monotonic()

    def mark(what: str) -> None:
        log.append(f"{what} +{time.monotonic() - t0:.1f}s")

    await asyncio.sleep(rnd.uniform(1, 3))
    await procs.kill_and_restart("activity-worker")
    mark("SIGKILL activity worker (relay)")
    await asyncio.sleep(rnd.uniform(1, 3))
    await procs.kill_and_restart("evaluation-worker")
    mark("SIGKILL evaluation worker")
    await asyncio.sleep(rnd.uniform(1, 3))
    await asyncio.to_thread(broker.stop_graceful)
    mark("broker SIGTERM")
    await asyncio.sleep(3)
    await asyncio.to_thread(broker.start)
    mark("broker back")
    await asyncio.sleep(rnd.uniform(2, 4))
    await asyncio.to_thread(broker.kill)
    mark("broker SIGKILL")
    await procs.kill("activity-worker")  # the relay dies too while the broker is gone
    mark("SIGKILL activity worker (relay)")
    await asyncio.sleep(2)
    await asyncio.to_thread(broker.start)
    mark("broker back")
    await procs.start("activity-worker")  # ready needs the broker: started after it
    mark("activity worker back")


@asynccontextmanager
async def _owner(url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")  # RLS is forced, even for owners
        yield conn
    finally:
        await conn.close()


async def test_activity_reports_through_the_api_survive_relay_worker_and_broker_failures(
    own_kafka: OwnKafka, make_database: MakeDatabase, tmp_path: Path
) -> None:
    rnd = random.Random(707)
    key = tmp_path / "dev-issuer.pem"
    ensure_keypair(key)
    kafka = await own_namespace(own_kafka.bootstrap)
    dbs = {"activity": await make_database(None, prefix="activity"), "evaluation": await make_database(None)}
    await migrate_evaluation(dbs["evaluation"].owner_url)
    regency, unit, boss = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    staff = [uuid.uuid4() for _ in range(STAFF)]
    indicator = {a: uuid.uuid4() for a in staff}
    now = datetime.now(JAKARTA)
    period = f"{now.year}-Q{(now.month - 1) // 3 + 1}"  # the default quarterly periodicity

    def person(asn: uuid.UUID, sup: uuid.UUID | None, n: int) -> AsnUpserted:
        return AsnUpserted(regency_id=regency, occurred_at=now, asn_id=asn, name=f"Pegawai {n}", unit_id=unit,
                           position_title="Perawat", grade="III/a", position_class=8, superior_id=sup,
                           gender=Gender.P, location=Location.RURAL)  # fmt: skip

    def skp(asn: uuid.UUID) -> SkpApproved:
        t = IndicatorTarget(indicator_id=indicator[asn], rhk_id=uuid.uuid4(), name="Pasien dilayani",
                            target=Decimal(100), unit="pasien", aspect=Aspect.KUANTITAS,
                            direction=Direction.HIGHER_IS_BETTER, weight=Decimal(100))  # fmt: skip
        return SkpApproved(regency_id=regency, occurred_at=now, skp_id=uuid.uuid4(), asn_id=asn, approver_id=boss,
                           year=now.year, version=1, indicators=(t,))  # fmt: skip

    rec, log = Record(), []
    async with AsyncExitStack() as stack:
        procs = Procs(stack, dbs, kafka, tmp_path)
        for name in ("evaluation-worker", "activity-worker", "activity-api"):
            await procs.start(name)
        await produce(kafka, kafka.topic(ORG), [
            UnitUpserted(regency_id=regency, occurred_at=now, unit_id=unit, name="Puskesmas", kind="puskesmas"),
            person(boss, None, 0), *(person(a, boss, i + 1) for i, a in enumerate(staff)),
        ])  # fmt: skip
        await produce(kafka, kafka.topic(EVALUATION), [skp(a) for a in staff])
        api = procs.live["activity-api"].base_url
        async with httpx.AsyncClient(base_url=api, timeout=30) as http:

            async def skps_known() -> bool:  # the activity service learns SKPs and superiors from events
                async with _owner(dbs["activity"].owner_url) as c:
                    n = await c.fetchval("SELECT count(DISTINCT asn_id) FROM approved_indicator")
                return bool(n == STAFF)

            await wait_until(skps_known, timeout=120, what="the activity read models to know every SKP")
            gen = asyncio.create_task(_generate(http, key, regency, boss, staff, indicator, rec, rnd, 10.0))
            await _faults(procs, own_kafka, log, rnd)
            await gen

        # ---- recovery, by itself
        t_last = time.monotonic()

        state: dict[str, Any] = {"outbox": None, "lag": None, "facts": None}

        async def drained() -> bool:
            async with _owner(dbs["activity"].owner_url) as c:
                state["outbox"] = await c.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            try:
                lags = await asyncio.wait_for(group_lag(kafka, kafka.group("evaluation"), [kafka.topic(ACTIVITY)]), 20)
                state["lag"] = sum(lags.values())
            except Exception:  # noqa: BLE001 - broker still coming back
                state["lag"] = None
            async with _owner(dbs["evaluation"].owner_url) as c:
                state["facts"] = await c.fetchval("SELECT count(*) FROM scoring_activity WHERE revision > 0")
            return state["outbox"] == 0 and state["lag"] == 0 and state["facts"] == len(rec.minutes)

        recovered = True
        try:
            await wait_until(drained, timeout=DRAIN_S, interval=0.5, what="outbox relayed, lag 0, facts applied")
        except AssertionError:
            recovered = False  # the verdict below says what is missing
        recover_s = time.monotonic() - t_last
        await asyncio.sleep(2)  # anything still in flight would show up as doubled below

    # ---- verdict
    async with _owner(dbs["evaluation"].owner_url) as c:
        facts = {r["activity_id"]: r for r in await c.fetch("SELECT * FROM scoring_activity")}
        periods = {r["asn_id"]: r for r in await c.fetch("SELECT * FROM scoring_period WHERE period = $1", period)}
    lost, doubled, examples = 0, 0, []
    for aid, minutes in rec.minutes.items():
        f = facts.get(aid)
        verdict = rec.decision.get(aid)
        want = (1, verdict is True, minutes if verdict else 0, 1 if verdict is False else 0)
        got = None if f is None else (f["revision"], f["verified"], f["verified_minutes"], f["rejections"])
        if got != want:
            lost += 1 if got is None or got < want else 0
            doubled += 1 if got is not None and got > want else 0
            if len(examples) < 3:
                examples.append(f"{aid}: {got} != {want}")
    for asn in staff:
        mine = [a for a, o in rec.owner.items() if o == asn]
        verified = [a for a in mine if rec.decision.get(a) is True]
        want_p = (sum(rec.minutes[a] for a in verified), len(verified),
                  sum(1 for a in mine if a not in rec.decision))  # fmt: skip
        p = periods.get(asn)
        got_p = None if p is None else (p["verified_minutes"], p["verified_activities"], p["pending_activities"])
        if got_p != want_p:
            lost += 1
            examples.append(f"ASN {asn}: period {got_p} != {want_p}")
    ids: Counter[str] = Counter()
    for r in await read_all(kafka, kafka.topic(ACTIVITY)):
        h = dict(r.headers or [])
        if h.get("ce_type", b"").decode() in REPORT_TYPES:  # attendance (e.g. the day-end alpa job) shares the topic
            ids[h.get("ce_id", b"").decode()] += 1
    doubled_on_topic = sum(1 for n in ids.values() if n > 1)
    outcome_events = len(rec.minutes) + len(rec.decision)  # one report + one decision each
    RESULTS.append({
        "scenario": "via API: relay, worker, broker", "faults": "; ".join(log), "events_sent": outcome_events,
        "records_produced": sum(ids.values()), "effects_expected": len(rec.minutes) + STAFF,
        "effects_found": len(rec.minutes) + STAFF - lost, "lost": lost, "doubled": doubled + doubled_on_topic,
        "examples": examples, "poison_sent": 0, "dlq_found": 0, "dlq_extra": 0, "lag_after": state["lag"],
        "recover_s": round(recover_s, 1), "notes": [f"{rec.requests} HTTP requests, {rec.retries} retried"],
    })  # fmt: skip
    assert len(rec.minutes) == STAFF * PER_STAFF
    assert recovered, f"not recovered by itself within {DRAIN_S:.0f} s: {state}"
    assert lost == 0 and doubled == 0, f"lost {lost}, doubled {doubled}: {examples}"
    assert doubled_on_topic == 0, f"{doubled_on_topic} activity events on the topic more than once"
    assert len(ids) == outcome_events, f"{len(ids)} distinct activity events on the topic, {outcome_events} expected"
