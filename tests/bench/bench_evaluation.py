"""`bench evaluation`: the scoring engine draining mixed facts with exactly-once effects, against baselines measured
in the same run on the same broker.

    uv run python tests/bench/bench_evaluation.py                 # 100,000 facts, 10,000 ASN (default, modest)
    uv run python tests/bench/bench_evaluation.py --full          # 1,000,000 facts, 50,000 ASN (the issue's size)
    uv run python tests/bench/bench_evaluation.py --events 200000 --asn 10000

Mix as the issue asks (80% activity, 10% attendance, 5% feedback, 5% evaluation), from the same generator as the
oracle test (services/evaluation/tests/integration/test_scoring_kafka.py), preceded by the org facts of every ASN.
Prints:
  - ours: the real worker process (`python -m kinerja_evaluation worker`) draining every topic from 0 (inbox +
    set-based effects + ScoreUpdated/NotificationRequested in the outbox, relay running), events/s and peak RSS;
  - raw: a plain aiokafka consumer group reading the same topics, commit per batch, no decoding, no work;
  - naive: a per-message aiokafka subscriber, one transaction per event (inbox claim + the same engine on a
    one-event batch) and an offset commit per event, on a sample (it is slow), events/s;
  - latency: ActivityVerified produced → its ScoreUpdated readable on kinerja.score.v1, p50/p99, while 1,000
    facts/s flow in the background. (Driven on the broker, not through the activity API.)
Goals from the issue: ≥ 25,000 events/s, ≥ 0.25× raw, ≥ 10× naive, RSS ≤ 250 MB, p99 ≤ 250 ms.
Every wait has a deadline (a phase that runs out reports what it measured until then, marked as such), so the
script always ends with the summary; the load average is printed with it (the machine is shared).
Uses Kafka/PostgreSQL from KAFKA_BOOTSTRAP_SERVERS + KINERJA_TEST_ADMIN_DATABASE_URL, else the local stack (whose
PostgreSQL runs with fsync off: figures measure our code, not disk durability). The machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import orjson
from _infra import bench_database, drop_database, infra  # noqa: I001 - sibling module of the bench scripts
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from kinerja_evaluation.bootstrap import DEFINITION
from kinerja_evaluation.entrypoints.scoring_subscribers import on_scoring_facts
from kinerja_shared.contracts import Envelope
from kinerja_shared.contracts.activity import ActivityReported, ActivityVerified
from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.evaluation import Aspect, Direction, IndicatorTarget, SkpApproved
from kinerja_shared.contracts.org import AsnUpserted, Gender, Location
from kinerja_shared.db import ALL_REGENCIES, create_pool, load_migrations, migrate, set_tenant
from kinerja_shared.db import shared_migrations as plumbing
from kinerja_shared.messaging.admin import ensure_topics, group_lag
from kinerja_shared.messaging.consumer import Received
from kinerja_shared.messaging.inbox import claim
from kinerja_shared.readmodels.org import MIGRATIONS_DIR as ORG_MIGRATIONS
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.topics import ACTIVITY, ORG, SCORE, Topic, all_topic_specs

ROOT = Path(__file__).resolve().parents[2]
PARTITIONS = 6


def _generator() -> ModuleType:
    path = ROOT / "services/evaluation/tests/integration/test_scoring_kafka.py"
    spec = importlib.util.spec_from_file_location("scoring_workload", path, submodule_search_locations=[])
    assert spec is not None and spec.loader is not None
    source = path.read_text().replace("from ..service.test_scoring_engine import scoring_database\n", "")
    module = importlib.util.module_from_spec(spec)
    sys.modules["scoring_workload"] = module  # dataclasses look their module up
    exec(compile(source, str(path), "exec"), module.__dict__)  # noqa: S102 - our own test module, sans its relative import
    return module


def _infra() -> tuple[str, str]:
    return infra()


async def _database(admin_dsn: str) -> tuple[str, str]:
    app, owner = await bench_database(admin_dsn)
    await migrate(owner, plumbing() + load_migrations(ORG_MIGRATIONS, "shared-org")
                  + load_migrations(DEFINITION.migrations_dir, "evaluation"))  # fmt: skip
    return app, owner


async def _namespace(bootstrap: str) -> KafkaSettings:
    kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_namespace=f"b{secrets.token_hex(4)}.")
    specs = [Topic(kafka.topic(t.name), owner=t.owner, description="bench", partitions=min(PARTITIONS, t.partitions),
                   compacted=t.compacted) for t in all_topic_specs()]  # fmt: skip
    await ensure_topics(kafka, specs)
    await asyncio.sleep(1.0)
    return kafka


async def _produce(kafka: KafkaSettings, envs: Sequence[Envelope]) -> None:
    producer = AIOKafkaProducer(**kafka.client_kwargs(), acks="all", enable_idempotence=True, linger_ms=20,
                                max_batch_size=512 * 1024)  # fmt: skip
    await producer.start()
    try:
        futures = []
        for e in envs:
            futures.append(await producer.send(kafka.topic(e.decode().topic), e.data, key=e.key.encode(),
                                               headers=e.headers()))  # fmt: skip
            if len(futures) >= 20_000:
                await asyncio.gather(*futures)
                futures = []
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _rss_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _worker(
    app: str, owner: str, kafka: KafkaSettings, log: Path, batch: int, port: int | None = None
) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DATABASE_URL": app, "MIGRATION_DATABASE_URL": owner, "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "KAFKA_TOPIC_NAMESPACE": kafka.topic_namespace, "WORKER_HTTP_PORT": str(port or _free_port()),
        "KINERJA_ENV": "test",
        "CONSUMER_BATCH_SIZE": str(batch), "CONSUMER_BATCH_WAIT_MS": "50", "OUTBOX_BATCH_SIZE": "5000",
        "LOG_LEVEL": "WARNING",
    }  # fmt: skip
    out = open(log, "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "kinerja_evaluation", "worker"], env=env, stdout=out, stderr=out)


async def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (finish the batch, commit), then SIGKILL if it does not end in time: the bench must always end."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.to_thread(proc.wait, 45)
    except subprocess.TimeoutExpired:
        proc.kill()
        await asyncio.to_thread(proc.wait, 15)


async def _lag(kafka: KafkaSettings, group: str) -> int:
    lags = await group_lag(kafka, kafka.group(group), [kafka.topic(t) for t in DEFINITION.consumes])
    return sum(lags.values())


async def _ready(proc: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 180) -> None:
    import httpx

    deadline = time.perf_counter() + timeout
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as client:
        while True:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"worker not ready within {timeout:.0f} s; see {log}")
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited; see {log}")
            try:
                if (await client.get("/health/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)


async def ours(app: str, owner: str, kafka: KafkaSettings, batch: int, timeout: float) -> tuple[float, float, bool]:
    """The real worker process drains everything: events/s from the moment it is ready to lag 0 (or to the
    deadline: then the events it got through so far), peak RSS, and whether it finished."""
    log = Path(f"/tmp/bench-evaluation-{os.getpid()}.log")
    port = _free_port()
    proc = _worker(app, owner, kafka, log, batch, port)
    try:
        await _ready(proc, port, log)
        t0 = time.perf_counter()
        remaining = lag = await _lag(kafka, "evaluation")  # what is left once it is up (startup is not timed)
        while lag > 0 and time.perf_counter() - t0 < timeout:
            await asyncio.sleep(0.5)
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited; see {log}")
            lag = await _lag(kafka, "evaluation")
        elapsed = time.perf_counter() - t0
        return (remaining - lag) / elapsed, _rss_peak_mb(proc.pid), lag == 0
    finally:
        await _stop(proc)


async def raw(kafka: KafkaSettings, total: int, timeout: float = 600) -> float:
    """Consume-only: a consumer group reading the same topics, commit per batch, nothing else."""
    consumer = AIOKafkaConsumer(*[kafka.topic(t) for t in DEFINITION.consumes], **kafka.client_kwargs(),
                                group_id=kafka.group(f"raw-{secrets.token_hex(3)}"), enable_auto_commit=False,
                                auto_offset_reset="earliest", max_poll_records=5000)  # fmt: skip
    await consumer.start()
    seen = 0
    try:
        t0 = time.perf_counter()
        while seen < total and time.perf_counter() - t0 < timeout:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            seen += sum(len(v) for v in batch.values())
            if batch:
                await consumer.commit()
        return seen / (time.perf_counter() - t0)
    finally:
        await consumer.stop()


async def naive(app: str, kafka: KafkaSettings, sample: int, timeout: float = 120) -> float:
    """Per message: decode, one transaction (inbox + the same engine on a one-event batch), commit its offset.

    The sample is the start of the topics, where the org facts (cheap: no period state yet) come first: they are
    applied but not counted, so the rate is that of the activity/evaluation/feedback mix ours is measured on."""
    pool = await create_pool(app, max_size=2)
    consumer = AIOKafkaConsumer(*[kafka.topic(t) for t in DEFINITION.consumes], **kafka.client_kwargs(),
                                group_id=kafka.group(f"naive-{secrets.token_hex(3)}"), enable_auto_commit=False,
                                auto_offset_reset="earliest")  # fmt: skip
    await consumer.start()
    done = 0
    try:
        t0 = time.perf_counter()
        busy = 0.0  # time spent on the counted (non-org) records, fetch to commit
        while done < sample and time.perf_counter() - t0 < timeout:
            t = time.perf_counter()
            got = await consumer.getmany(timeout_ms=500, max_records=1)
            if not got:
                continue
            [rec] = [r for recs in got.values() for r in recs]
            env = Envelope.from_kafka(rec.key, rec.value, rec.headers or ())
            r = Received(env, env.decode(), env.event_uuid(), rec.topic, rec.partition, rec.offset, 0)
            async with pool.acquire() as conn, conn.transaction():
                await set_tenant(conn, ALL_REGENCIES)
                if await claim(conn, "naive", [r.event_id]):
                    await on_scoring_facts(conn, [r])
            await consumer.commit()
            if rec.topic != kafka.topic(ORG):
                done += 1
                busy += time.perf_counter() - t
        return done / busy if busy else float("nan")
    finally:
        await consumer.stop()
        await pool.close()


async def latency(
    app: str, owner: str, kafka: KafkaSettings, probes: int, background_rate: int, timeout: float
) -> list[float]:
    """ActivityVerified (with a linked quantity) → its ScoreUpdated on the score topic, under background load.

    The phase ends after `timeout` seconds whatever happens (probes not sent by then are not counted)."""
    phase_end = time.perf_counter() + timeout
    regency = uuid.uuid4()
    at = datetime(2026, 2, 2, tzinfo=UTC)
    asns = [uuid.uuid4() for _ in range(probes)]
    inds = {a: uuid.uuid4() for a in asns}
    setup: list[Event] = []
    for a in asns:
        setup.append(AsnUpserted(regency_id=regency, occurred_at=at, asn_id=a, name="Probe", unit_id=regency,
                                 position_title="Staf", grade="III/a", position_class=7, gender=Gender.L,
                                 location=Location.URBAN))  # fmt: skip
        setup.append(SkpApproved(regency_id=regency, occurred_at=at, skp_id=uuid.uuid4(), asn_id=a, approver_id=a,
                                 year=2026, version=1, indicators=(IndicatorTarget(
                                     indicator_id=inds[a], rhk_id=uuid.uuid4(), name="I", target=Decimal(10),
                                     unit="kegiatan", aspect=Aspect.KUANTITAS, direction=Direction.HIGHER_IS_BETTER,
                                     weight=Decimal(100)),)))  # fmt: skip
    await _produce(kafka, [Envelope.wrap(e) for e in setup])
    proc = _worker(app, owner, kafka, Path(f"/tmp/bench-evaluation-lat-{os.getpid()}.log"), 500)
    stop = asyncio.Event()
    seen: dict[str, float] = {}
    watcher = AIOKafkaConsumer(kafka.topic(SCORE), **kafka.client_kwargs(), group_id=None,
                               auto_offset_reset="latest", isolation_level="read_committed")  # fmt: skip
    await watcher.start()

    async def watch() -> None:
        while not stop.is_set():
            batch = await watcher.getmany(timeout_ms=50)
            now = time.perf_counter()
            for recs in batch.values():
                for rec in recs:
                    body = orjson.loads(rec.value)
                    if Decimal(str(body["inputs"].get("hasil_capaian", "0"))) > 0:
                        seen.setdefault(body["asn_id"], now)

    async def background() -> None:
        producer = AIOKafkaProducer(**kafka.client_kwargs(), acks="all", linger_ms=5)
        await producer.start()
        try:
            noise = [uuid.uuid4() for _ in range(2000)]
            while not stop.is_set():
                t = time.perf_counter()
                for _ in range(background_rate // 10):
                    a = noise[secrets.randbelow(len(noise))]
                    fact = ActivityReported(regency_id=regency, occurred_at=at, activity_id=uuid.uuid4(), asn_id=a,
                                            activity_date=date(2026, 2, 3), minutes=30)  # fmt: skip
                    e = Envelope.wrap(fact)
                    await producer.send(kafka.topic(ACTIVITY), e.data, key=e.key.encode(), headers=e.headers())
                await asyncio.sleep(max(0.0, 0.1 - (time.perf_counter() - t)))
        finally:
            await producer.stop()

    tasks = [asyncio.create_task(watch())]
    out: list[float] = []
    producer = AIOKafkaProducer(**kafka.client_kwargs(), acks="all", linger_ms=0)
    try:
        deadline = min(phase_end, time.perf_counter() + 300)
        while await _lag(kafka, "evaluation") > 0 and time.perf_counter() < deadline:  # setup in: scores exist
            await asyncio.sleep(0.5)
        tasks.append(asyncio.create_task(background()))
        await asyncio.sleep(2.0)
        await producer.start()
        for a in asns:
            if time.perf_counter() > phase_end - 10:
                break
            act = uuid.uuid4()
            pair = [ActivityReported(regency_id=regency, occurred_at=at, activity_id=act, asn_id=a,
                                     activity_date=date(2026, 2, 3), minutes=60, indicator_id=inds[a],
                                     quantity=Decimal(5)),
                    ActivityVerified(regency_id=regency, occurred_at=at, activity_id=act, asn_id=a, verifier_id=a,
                                     activity_date=date(2026, 2, 3), minutes=60)]  # fmt: skip
            t0 = time.perf_counter()
            for e in pair:
                env = Envelope.wrap(e)
                sent = await producer.send(kafka.topic(ACTIVITY), env.data, key=env.key.encode(), headers=env.headers())
                await asyncio.wait_for(sent, 10)
            deadline = t0 + 10
            while str(a) not in seen and time.perf_counter() < deadline:  # a probe never waits more than 10 s
                await asyncio.sleep(0.005)
            if str(a) in seen:
                out.append((seen[str(a)] - t0) * 1000)
            await asyncio.sleep(0.2)
    finally:
        stop.set()
        await asyncio.wait(tasks, timeout=30)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for closing in (producer.stop(), watcher.stop()):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(closing, 30)
        await _stop(proc)
    return out


async def main() -> None:
    out = print  # noqa: T201 - a benchmark prints its figures
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--asn", type=int, default=10_000)
    parser.add_argument("--full", action="store_true", help="1,000,000 facts over 50,000 ASN")
    parser.add_argument("--batch", type=int, default=5000, help="consumer batch size of the worker (max 10,000)")
    parser.add_argument("--naive-sample", type=int, default=3000)
    parser.add_argument("--naive-timeout", type=float, default=120, help="seconds the naive sample may take")
    parser.add_argument("--drain-timeout", type=float, default=3600, help="seconds our worker may take to drain")
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--latency-timeout", type=float, default=600, help="seconds the latency phase may take")
    parser.add_argument("--background-rate", type=int, default=1000, help="facts/s flowing during the latency probes")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    if args.full:
        args.events, args.asn = 1_000_000, 50_000
    load_start = os.getloadavg()
    bootstrap, admin = _infra()
    gen = _generator()
    t = time.perf_counter()
    w = gen.generate(args.events, asn_count=args.asn)
    envs = [Envelope.wrap(e) for e in [*w.org, *w.activity, *w.feedback, *w.evaluation, *w.assessments]]
    del w
    mix: dict[str, int] = defaultdict(int)
    for e in envs:
        mix[e.decode().topic] += 1
    out(f"generated {len(envs):,} facts over {args.asn:,} ASN in {time.perf_counter() - t:.0f} s: "
          + ", ".join(f"{k} {v / len(envs):.0%}" for k, v in sorted(mix.items())), flush=True)  # fmt: skip
    kafka = await _namespace(bootstrap)
    await _produce(kafka, envs)
    total = len(envs)
    del envs
    rate_raw = rate = rate_naive = rss = float("nan")
    finished = False
    lat: list[float] = []
    app, owner = await _database(admin)
    try:
        rate_raw = await raw(kafka, total)
        out(f"raw aiokafka consume-only        {rate_raw:>10,.0f} events/s", flush=True)
        rate, rss, finished = await ours(app, owner, kafka, args.batch, args.drain_timeout)
        out(f"ours (worker, exactly-once)      {rate:>10,.0f} events/s   {rate / rate_raw:.2f}× raw   "
              f"peak RSS {rss:.0f} MB{'' if finished else '  (drain deadline)'}", flush=True)  # fmt: skip
    except Exception as e:  # report what was measured; the summary still prints
        out(f"throughput phase failed: {e!r}", flush=True)
    finally:
        await drop_database(admin, app)
    app2, _ = await _database(admin)
    try:
        rate_naive = await naive(app2, kafka, args.naive_sample, args.naive_timeout)
        out(f"naive per-message, 1 tx/event    {rate_naive:>10,.0f} events/s   ours = {rate / rate_naive:.1f}× naive "
              f"(sample ≤ {args.naive_sample:,} or {args.naive_timeout:.0f} s)", flush=True)  # fmt: skip
    except Exception as e:
        out(f"naive phase failed: {e!r}", flush=True)
    finally:
        await drop_database(admin, app2)
    if not args.skip_latency:
        app3, owner3 = await _database(admin)
        try:
            kafka_lat = await _namespace(bootstrap)
            lat = await latency(app3, owner3, kafka_lat, args.probes, args.background_rate, args.latency_timeout)
        except Exception as e:
            out(f"latency phase failed: {e!r}", flush=True)
        finally:
            await drop_database(admin, app3)
    lat.sort()
    p50 = statistics.median(lat) if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
    load_end = os.getloadavg()
    out("")
    out(f"summary ({total:,} facts, {args.asn:,} ASN, batch {args.batch:,}; load average at start "
        f"{load_start[0]:.1f}, at end {load_end[0]:.1f} on {os.cpu_count()} cores)")  # fmt: skip
    out(f"  ours            {rate:>10,.0f} events/s   goal ≥ 25,000{'' if finished else '  (drain not finished)'}")
    out(f"  raw             {rate_raw:>10,.0f} events/s   ours/raw   = {rate / rate_raw:.3f}   goal ≥ 0.25")
    out(f"  naive           {rate_naive:>10,.0f} events/s   ours/naive = {rate / rate_naive:.1f}   goal ≥ 10")
    out(f"  peak RSS        {rss:>10,.0f} MB         goal ≤ 250")
    if not args.skip_latency:
        out(f"  latency         p50 {p50:,.0f} ms, p99 {p99:,.0f} ms ({len(lat)}/{args.probes} probes seen within "
            f"10 s, {args.background_rate:,} facts/s background)   goal p99 ≤ 250 ms")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
