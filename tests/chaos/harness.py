"""The chaos harness: real evaluation worker processes, a publisher that keeps its own record, faults, the verdict.

A scenario: the generator's facts (org, activity, attendance, feedback, SKP, realisasi, 360 summaries) are
produced onto the namespace's topics as the other services would (real CloudEvents, each wrapped once, so a
resend after a broker error carries the same id); the evaluation worker runs as `python -m kinerja_evaluation
worker` processes (consumer + outbox relay) while a fault is injected; then the periodic evaluations (phase 2,
after phase 1 is applied: R1's "score jump" compares with the previous quarter's final score). After the worker
drains by itself, the stored state, the stored notifications and the NotificationRequested records on Kafka are
compared with the oracle (oracle.py), and the DLQ with exactly the poison that was injected.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from kinerja_evaluation.bootstrap import DEFINITION
from kinerja_shared.contracts import Envelope
from kinerja_shared.contracts.activity import ActivityReported
from kinerja_shared.db import load_migrations, migrate, shared_migrations
from kinerja_shared.messaging.admin import ensure_topics, group_lag
from kinerja_shared.readmodels.org import MIGRATIONS_DIR as ORG_MIGRATIONS
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.testing.helpers import read_all, wait_until
from kinerja_shared.testing.processes import free_port
from kinerja_shared.topics import ACTIVITY, FEEDBACK, NOTIFICATION, Topic, all_topic_specs, dlq_topic, retry_topic

from .oracle import Effects, compare, generate, oracle

GROUP = "evaluation"
SESSION_TIMEOUT_S = 10.0  # BatchConsumer's default session timeout (the worker does not override it)
RESULTS: list[dict[str, Any]] = []  # one row per scenario, printed and written at the end of the session


def full_size() -> bool:
    return os.environ.get("KINERJA_CHAOS_FULL") == "1"


# ---------------------------------------------------------------- where a scenario runs
@dataclass
class Target:
    """One scenario's namespace on a broker and database on a PostgreSQL server."""

    kafka: KafkaSettings
    app_url: str
    owner_url: str
    tmp: Path

    @property
    def topics(self) -> tuple[str, ...]:
        return DEFINITION.consumes

    def group_topics(self) -> list[str]:
        """Every topic the evaluation group reads: the main ones and their retry topics."""
        main = [self.kafka.topic(t) for t in self.topics]
        return main + [retry_topic(t, GROUP) for t in main]


async def migrate_evaluation(owner_url: str) -> None:
    """What the worker would migrate at start, done once up front (several workers start at the same time)."""
    await migrate(owner_url, shared_migrations() + load_migrations(ORG_MIGRATIONS, "shared-org")
                  + load_migrations(DEFINITION.migrations_dir, "evaluation"))  # fmt: skip


async def own_namespace(bootstrap: str, partitions: int = 4) -> KafkaSettings:
    kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_namespace=f"c{secrets.token_hex(4)}.")
    specs = [Topic(kafka.topic(t.name), owner=t.owner, description=t.description,
                   partitions=min(partitions, t.partitions), compacted=t.compacted, retention_ms=t.retention_ms)
             for t in all_topic_specs()]  # fmt: skip
    await ensure_topics(kafka, specs)
    return kafka


# ---------------------------------------------------------------- the worker processes
@dataclass
class Worker:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    started: float


class Workers:
    """The evaluation consumer group as real processes; what an orchestrator does (restart the killed) is explicit."""

    def __init__(self, target: Target, *, batch: int = 200) -> None:
        self.t = target
        self.batch = batch
        self.live: list[Worker] = []
        self.all: list[Worker] = []

    def start(self) -> Worker:
        port = free_port()
        log = self.t.tmp / f"evaluation-worker-{len(self.all)}.log"
        env = os.environ | {
            "DATABASE_URL": self.t.app_url, "MIGRATION_DATABASE_URL": self.t.owner_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.t.kafka.bootstrap_servers,
            "KAFKA_TOPIC_NAMESPACE": self.t.kafka.topic_namespace, "WORKER_HTTP_PORT": str(port),
            "ROOT_PATH": "/evaluation", "KINERJA_ENV": "test", "DEV_ISSUER_KEY_FILE": str(self.t.tmp / "dev.pem"),
            "CONSUMER_BATCH_SIZE": str(self.batch), "CONSUMER_BATCH_WAIT_MS": "100", "OUTBOX_BATCH_SIZE": "500",
        }  # fmt: skip
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "kinerja_evaluation", "worker"], env=env, stdout=out,
                                    stderr=out)  # fmt: skip
        w = Worker(proc, port, log, time.monotonic())
        self.live.append(w)
        self.all.append(w)
        return w

    async def ready(self, w: Worker, timeout: float = 240) -> None:  # boots take minutes at load 20
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{w.port}", timeout=3) as client:

            async def ok() -> bool:
                if w.proc.poll() is not None:
                    raise AssertionError(f"worker exited {w.proc.returncode}: {w.log.read_text()[-3000:]}")
                try:
                    return (await client.get("/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_until(ok, timeout=timeout, interval=0.3, what="an evaluation worker to be ready")

    def kill(self, w: Worker) -> None:
        w.proc.send_signal(signal.SIGKILL)
        w.proc.wait(10)
        self.live.remove(w)

    async def stop(self, w: Worker) -> None:
        """SIGTERM (scale down, end of run): finish the batch in hand, commit, leave the group; must exit 0."""
        w.proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(w.proc.wait, 60)
        self.live.remove(w)
        assert code == 0, f"worker exited {code} on SIGTERM: {w.log.read_text()[-3000:]}"

    async def stop_all(self) -> None:
        for w in list(self.live):
            await self.stop(w)

    def reap(self) -> None:
        """Last resort at teardown: nothing of ours keeps running after a failed scenario."""
        for w in self.all:
            if w.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    w.proc.send_signal(signal.SIGCONT)
                    w.proc.kill()
                w.proc.wait(10)

    def assert_alive(self) -> None:
        for w in self.live:
            if w.proc.poll() is not None:
                raise AssertionError(f"a worker died by itself ({w.proc.returncode}): {w.log.read_text()[-3000:]}")


# ---------------------------------------------------------------- the publisher
def poison_records(n: int, rnd: random.Random) -> list[tuple[str, tuple[bytes, bytes, list[tuple[str, bytes]]]]]:
    """n records no consumer can apply, each unique: undecodable, not a CloudEvent, unknown type, schema-invalid."""
    out = []
    for i in range(n):
        token = f"{i}-{secrets.token_hex(6)}"
        kind = i % 4
        ce = [("ce_specversion", b"1.0"), ("ce_id", str(_uuid(rnd)).encode()), ("ce_source", b"/kinerja/chaos"),
              ("ce_time", b"2026-06-01T00:00:00Z"), ("content-type", b"application/json")]  # fmt: skip
        if kind == 0:  # a known type whose body is not JSON
            value, headers = b"\xff\xfe not json " + token.encode(), [*ce, ("ce_type", ActivityReported.type.encode())]
        elif kind == 1:  # JSON without any CloudEvents header
            value, headers = orjson.dumps({"poison": token}), [("content-type", b"application/json")]
        elif kind == 2:  # a type nobody registered
            value, headers = orjson.dumps({"poison": token}), [*ce, ("ce_type", b"id.kinerja.chaos.bogus.v1")]
        else:  # a known type, schema-invalid body
            value = orjson.dumps({"poison": token, "asn_id": "not-a-uuid"})
            headers = [*ce, ("ce_type", ActivityReported.type.encode())]
        topic = ACTIVITY if i % 3 else FEEDBACK
        out.append((topic, (f"poison-{token}".encode(), value, headers)))
    return out


def _uuid(rnd: random.Random) -> Any:
    import uuid

    return uuid.UUID(int=rnd.getrandbits(128))


Item = tuple[str, Envelope | tuple[bytes, bytes, list[tuple[str, bytes]]]]


@dataclass
class Publisher:
    """Produces `items` (logical topic, record) in chunks spread over `spread_s`; on a broker error it reconnects
    and sends the unacknowledged chunk again (same CloudEvents ids). Keeps count of what it produced."""

    kafka: KafkaSettings
    produced: int = 0  # records written, resends included
    resends: int = 0
    done_at: float = 0.0

    async def _producer(self) -> AIOKafkaProducer:
        while True:
            p = AIOKafkaProducer(**self.kafka.client_kwargs(), acks="all", enable_idempotence=True, linger_ms=5,
                                 request_timeout_ms=15_000)  # fmt: skip
            try:
                await asyncio.wait_for(p.start(), 20)
                return p
            except (KafkaError, OSError, TimeoutError):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(p.stop(), 5)
                await asyncio.sleep(1.0)

    async def run(self, items: Sequence[Item], *, spread_s: float = 0.0, chunk: int = 200) -> None:
        chunks = [items[i : i + chunk] for i in range(0, len(items), chunk)] or [[]]
        pause = spread_s / len(chunks)
        producer = await self._producer()
        try:
            for part in chunks:
                while True:
                    try:
                        futures = []
                        for topic, rec in part:
                            if isinstance(rec, Envelope):
                                fut = await producer.send(self.kafka.topic(topic), rec.data, key=rec.key.encode(),
                                                          headers=rec.headers())  # fmt: skip
                            else:
                                fut = await producer.send(self.kafka.topic(topic), rec[1], key=rec[0],
                                                          headers=rec[2])  # fmt: skip
                            futures.append(fut)
                        await asyncio.wait_for(asyncio.gather(*futures), 30)
                        self.produced += len(part)
                        break
                    except (KafkaError, OSError, TimeoutError):
                        # the broker went away mid-chunk: some of it may have landed; send all of it again
                        self.resends += len(part)
                        with contextlib.suppress(Exception):
                            await asyncio.wait_for(producer.stop(), 10)
                        await asyncio.sleep(1.0)
                        producer = await self._producer()
                if pause:
                    await asyncio.sleep(pause)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), 10)
        self.done_at = time.monotonic()


# ---------------------------------------------------------------- lag, outbox, verdict
async def total_lag(target: Target) -> int | None:
    try:
        lags = await asyncio.wait_for(group_lag(target.kafka, target.kafka.group(GROUP), target.group_topics()), 20)
    except Exception:  # noqa: BLE001 - broker restarting, group not there yet
        return None
    return sum(lags.values())


async def wait_drained(target: Target, workers: Workers, timeout: float) -> float:
    """Wait, without touching anything, until the group's lag is 0 and the outbox is relayed; returns when."""

    async def drained() -> bool:
        workers.assert_alive()
        if await total_lag(target) != 0:
            return False
        try:
            conn = await asyncio.wait_for(asyncpg.connect(target.owner_url), 10)
        except Exception:  # noqa: BLE001 - PostgreSQL restarting
            return False
        try:
            return bool(await conn.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"))
        finally:
            await conn.close()

    await wait_until(drained, timeout=timeout, interval=0.5, what="lag 0 and the outbox relayed, by themselves")
    return time.monotonic()


async def _stored(owner_url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    conn = await asyncpg.connect(owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")  # RLS is forced, even for owners
        periods = [dict(r) for r in await conn.fetch("SELECT * FROM scoring_period")]
        scores = [
            dict(r) for r in await conn.fetch("SELECT asn_id, period, status, score, predikat FROM scoring_score")
        ]
        notes = [dict(r) for r in await conn.fetch(
            "SELECT notification_id, asn_id, kind, period, subject FROM scoring_notification")]  # fmt: skip
        return periods, scores, notes
    finally:
        await conn.close()


async def dlq_values(target: Target) -> list[bytes]:
    out: list[bytes] = []
    for t in target.topics:
        name = dlq_topic(target.kafka.topic(t), GROUP)  # <ns><topic>.evaluation.dlq, as the consumer names it
        out += [r.value or b"" for r in await read_all(target.kafka, name)]
    return out


@dataclass
class Verdict:
    scenario: str
    faults: str
    events_sent: int
    records_produced: int
    effects: Effects
    poison_sent: int
    dlq_found: int
    dlq_extra: int
    lag_after: int
    recover_s: float
    notes: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        d = asdict(self)
        e = d.pop("effects")
        d |= {"effects_expected": e["expected"], "effects_found": e["found"], "lost": e["lost"],
              "doubled": e["doubled"], "examples": e["examples"]}  # fmt: skip
        return d

    def assert_clean(self) -> None:
        e = self.effects
        assert e.lost == 0 and e.doubled == 0, f"{self.scenario}: lost {e.lost}, doubled {e.doubled}: {e.examples}"
        assert e.found == e.expected, f"{self.scenario}: found {e.found} of {e.expected}"
        assert self.dlq_found == self.poison_sent and self.dlq_extra == 0, (
            f"{self.scenario}: DLQ holds {self.dlq_found} of {self.poison_sent} poison and {self.dlq_extra} other"
        )
        assert self.lag_after == 0, f"{self.scenario}: lag {self.lag_after}"


async def verify(
    scenario: str, faults: str, target: Target, state_and_notes: tuple[Any, Any], *, events_sent: int,
    records_produced: int, poison: Sequence[bytes], recover_s: float,
) -> Verdict:  # fmt: skip
    state, notes = state_and_notes
    periods, scores, db_notes = await _stored(target.owner_url)
    published = await read_all(target.kafka, target.kafka.topic(NOTIFICATION))
    ids = [orjson.loads(r.value or b"{}")["notification_id"] for r in published]
    eff = compare(state, notes, periods, scores, db_notes, ids)
    copies: dict[str, list[str]] = {}
    for r in published:
        nid = orjson.loads(r.value or b"{}")["notification_id"]
        copies.setdefault(nid, []).append(
            f"ce_id={dict(r.headers).get('ce_id', b'').decode()} p{r.partition}@{r.offset}"
        )
    twice = {k: v for k, v in copies.items() if len(v) > 1}
    if twice:  # same ce_id twice = the relay sent one outbox row twice; two ids = two outbox rows for one effect
        eff.examples.append(f"duplicated on Kafka ({len(twice)}), e.g. {list(twice.items())[:3]}")
    dlq = Counter(await dlq_values(target))
    want = Counter(poison)
    found = sum(min(c, want[v]) for v, c in dlq.items())
    extra = sum(dlq.values()) - found
    lag = await total_lag(target)
    v = Verdict(scenario, faults, events_sent, records_produced, eff, len(poison), found, extra,
                -1 if lag is None else lag, round(recover_s, 1))  # fmt: skip
    RESULTS.append(v.row())
    return v


# ---------------------------------------------------------------- one scenario
@dataclass
class Run:
    """What a fault sees: the workers, the publisher, and a place to say when the last fault ended."""

    target: Target
    workers: Workers
    publisher: Publisher
    rnd: random.Random
    fault_end: float = 0.0
    log: list[str] = field(default_factory=list)

    def mark(self, what: str) -> None:
        self.fault_end = time.monotonic()
        self.log.append(what)


Fault = Callable[[Run], Awaitable[None]]


async def scenario(
    name: str, target: Target, *, events: int, fault: Fault, workers: int = 1, poison: int = 0, spread_s: float = 8,
    seed: int = 11, drain_timeout: float = 180, after: Fault | None = None,
) -> Verdict:  # fmt: skip
    """Publish phase 1 while `fault` runs, drain by itself, publish the evaluations, drain; compare with the oracle.
    `after` (optional) runs on the drained system before the verdict (e.g. a 100% redelivery)."""
    rnd = random.Random(seed)
    w = generate(events, seed=seed)
    phase1 = [*w.org, *w.activity, *w.feedback, *w.evaluation]
    items: list[Item] = [(e.topic, Envelope.wrap(e)) for e in phase1]
    bad = poison_records(poison, rnd)
    for topic, rec in bad:  # at random places in the stream
        items.insert(rnd.randrange(len(items) + 1), (topic, rec))
    # org facts first (as the roster import would have them): an unknown ASN's scores wait, which the oracle knows
    phase2: list[Item] = [(e.topic, Envelope.wrap(e)) for e in w.assessments]
    group = Workers(target)
    pub = Publisher(target.kafka)
    run = Run(target, group, pub, rnd)
    try:
        for _ in range(workers):
            group.start()
        await group.ready(group.live[0])
        t0 = time.monotonic()
        results = await asyncio.gather(pub.run(items, spread_s=spread_s), fault(run), return_exceptions=True)
        for r in results:
            if isinstance(r, BaseException):
                raise r
        drained_at = await wait_drained(target, group, drain_timeout)
        recover = drained_at - max(run.fault_end or t0, t0)
        await pub.run(phase2)
        await wait_drained(target, group, drain_timeout)
        if after is not None:
            await after(run)
            recover = await wait_drained(target, group, drain_timeout) - run.fault_end
        verdict = await verify(name, "; ".join(run.log), target, oracle([*phase1, *w.assessments]),
                               events_sent=len(phase1) + len(phase2) + len(bad),
                               records_produced=pub.produced, poison=[rec[1] for _, rec in bad],
                               recover_s=recover)  # fmt: skip
        await group.stop_all()
    finally:
        group.reap()
    return verdict


async def reset_group_to_zero(target: Target) -> int:
    """With no member running: commit offset 0 on every partition the group reads (a 100% redelivery)."""
    consumer = AIOKafkaConsumer(**target.kafka.client_kwargs(), group_id=target.kafka.group(GROUP),
                                enable_auto_commit=False)  # fmt: skip
    await consumer.start()
    try:
        tps: list[TopicPartition] = []
        for t in target.group_topics():
            parts = consumer.partitions_for_topic(t)
            if not parts:
                await consumer._client.force_metadata_update()  # noqa: SLF001
                parts = consumer.partitions_for_topic(t) or set()
            tps += [TopicPartition(t, p) for p in parts]
        consumer.assign(tps)
        await consumer.commit(dict.fromkeys(tps, 0))
        return len(tps)
    finally:
        await consumer.stop()
