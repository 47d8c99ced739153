"""Benchmark the messaging plumbing against raw aiokafka on the same broker, in one run.

    uv run python tests/bench/bench_messaging.py outbox  [--events 50000]
    uv run python tests/bench/bench_messaging.py consume [--events 50000]
    uv run python tests/bench/bench_messaging.py all

`outbox`: a raw idempotent producer (acks=all) sending N CloudEvents, vs our outbox relay publishing N
committed outbox rows (Kafka transactions, marking rows sent). `consume`: a raw consumer group reading N
records with a commit per batch and no work, vs our batched consumer applying each event exactly once
(inbox + a real effect row per event, one DB transaction per batch, commit after). Targets from the
foundation issue: relay ≥ 0.5× raw producer, batched consumer ≥ 0.3× raw consumer.
Uses Kafka/PostgreSQL from KAFKA_BOOTSTRAP_SERVERS + KINERJA_TEST_ADMIN_DATABASE_URL, else the local stack.
The local stack's test cluster runs PostgreSQL with fsync off: figures measure our code, not disk durability.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

import asyncpg
from _infra import bench_database, drop_database, infra  # noqa: I001 - sibling module of the bench scripts
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from kinerja_shared.contracts import Envelope
from kinerja_shared.contracts.activity import ActivityReported
from kinerja_shared.db import create_pool, migrate, shared_migrations
from kinerja_shared.messaging import outbox
from kinerja_shared.messaging.admin import ensure_topics, group_lag
from kinerja_shared.messaging.consumer import PROCESSED, BatchConsumer, Received
from kinerja_shared.messaging.outbox import PUBLISHED, OutboxRelay
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.topics import Topic, dlq_topic, retry_topic

PARTITIONS = 12


def _infra() -> tuple[str, str]:
    return infra()


async def _database(admin_dsn: str) -> tuple[str, str]:
    app, owner = await bench_database(admin_dsn)
    await migrate(owner, shared_migrations())
    c = await asyncpg.connect(owner)
    await c.execute("CREATE TABLE applied (event_id uuid NOT NULL, asn_id uuid NOT NULL, minutes int NOT NULL)")
    await c.close()
    return app, owner


def _events(n: int) -> list[ActivityReported]:
    asns = [uuid.uuid4() for _ in range(1000)]
    regency = uuid.uuid4()
    now = datetime.now(UTC)
    return [
        ActivityReported(
            regency_id=regency,
            occurred_at=now,
            activity_id=uuid.uuid4(),
            asn_id=asns[i % len(asns)],
            activity_date=date(2026, 11, 2),
            minutes=45,
            output="Pelayanan pasien rawat jalan",
        )
        for i in range(n)
    ]


async def _topic(kafka: KafkaSettings, group: str | None = None) -> str:
    name = f"bench.{secrets.token_hex(4)}"
    specs = [Topic(name, owner="bench", description="bench", partitions=PARTITIONS)]
    if group:
        specs += [
            Topic(retry_topic(name, group), owner="bench", description="", partitions=PARTITIONS),
            Topic(dlq_topic(name, group), owner="bench", description="", partitions=1),
        ]
    await ensure_topics(kafka, specs)
    await asyncio.sleep(1.0)  # let partition leaders settle so no run starts with NotLeader retries
    return name


async def raw_producer(kafka: KafkaSettings, envelopes: Sequence[Envelope]) -> float:
    topic = await _topic(kafka)
    producer = AIOKafkaProducer(
        **kafka.client_kwargs(), acks="all", enable_idempotence=True, linger_ms=5, max_batch_size=256 * 1024
    )
    await producer.start()
    t0 = time.perf_counter()
    futures = [await producer.send(topic, e.data, key=e.key.encode(), headers=e.headers()) for e in envelopes]
    await asyncio.gather(*futures)
    elapsed = time.perf_counter() - t0
    await producer.stop()
    return len(envelopes) / elapsed


async def relay(kafka: KafkaSettings, admin_dsn: str, events: Sequence[ActivityReported]) -> float:
    app, owner = await _database(admin_dsn)
    topic = await _topic(kafka)
    conn = await asyncpg.connect(owner)
    for i in range(0, len(events), 5000):  # the state changes themselves are not what we time
        async with conn.transaction():
            await outbox.add_many(conn, events[i : i + 5000], topic=topic)
    await conn.close()
    pool = await create_pool(app)
    service = f"bench{secrets.token_hex(3)}"
    r = OutboxRelay(pool, app, kafka, service=service, batch_size=2000)
    stop = asyncio.Event()
    t0 = time.perf_counter()
    task = asyncio.create_task(r.run(stop))
    published = PUBLISHED.labels(service)
    while published._value.get() < len(events):  # in-process counter: polling the table would compete for CPU
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - t0
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
    stop.set()
    await task
    await pool.close()
    await drop_database(admin_dsn, app)
    return len(events) / elapsed


async def _fill(kafka: KafkaSettings, topic: str, envelopes: Sequence[Envelope]) -> None:
    producer = AIOKafkaProducer(**kafka.client_kwargs(), acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    futures = [await producer.send(topic, e.data, key=e.key.encode(), headers=e.headers()) for e in envelopes]
    await asyncio.gather(*futures)
    await producer.stop()


async def raw_consumer(kafka: KafkaSettings, envelopes: Sequence[Envelope]) -> float:
    topic = await _topic(kafka)
    await _fill(kafka, topic, envelopes)
    consumer = AIOKafkaConsumer(
        topic,
        **kafka.client_kwargs(),
        group_id=f"bench-raw-{secrets.token_hex(3)}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=2000,
    )
    await consumer.start()
    n = 0
    t0 = 0.0
    while n < len(envelopes):
        batch = await consumer.getmany(timeout_ms=200, max_records=2000)
        if batch and not t0:
            t0 = time.perf_counter()  # from the first fetch after the group join, as for ours
        for records in batch.values():
            n += len(records)
        if batch:
            await consumer.commit()
    elapsed = time.perf_counter() - t0
    await consumer.stop()
    return n / elapsed


async def _apply(conn: asyncpg.Connection, batch: Sequence[Received]) -> None:
    await conn.copy_records_to_table(
        "applied",
        records=[(r.event_id, r.event.asn_id, r.event.minutes) for r in batch],  # type: ignore[attr-defined]
    )


async def inbox_consumer(kafka: KafkaSettings, admin_dsn: str, envelopes: Sequence[Envelope]) -> float:
    app, _ = await _database(admin_dsn)
    group = f"bench{secrets.token_hex(3)}"
    topic = await _topic(kafka, group)
    await _fill(kafka, topic, envelopes)
    pool = await create_pool(app, max_size=3)
    consumer = BatchConsumer(
        name=group, pool=pool, kafka=kafka, topics=[topic], handler=_apply, batch_size=2000, batch_wait_ms=100
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    await consumer.running.wait()  # group joined; time the work, not the join
    t0 = time.perf_counter()
    processed = PROCESSED.labels(group)
    while processed._value.get() < len(envelopes):  # in-process counter, counted after each commit
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - t0
    assert await pool.fetchval("SELECT count(*) FROM applied") == len(envelopes)
    stop.set()
    await task
    lag = sum((await group_lag(kafka, group, [topic])).values())
    doubled = await pool.fetchval("SELECT count(*) - count(DISTINCT event_id) FROM applied")
    await pool.close()
    await drop_database(admin_dsn, app)
    assert lag == 0 and doubled == 0, f"lag {lag}, doubled {doubled}"
    return len(envelopes) / elapsed


def _row(name: str, rate: float, base: float | None = None, target: float | None = None) -> str:
    ratio = f"{rate / base:5.2f}×" if base else "   —  "
    verdict = ""
    if target is not None and base:
        verdict = f"  {'meets' if rate / base >= target else 'BELOW'} ≥ {target:.1f}×"
    return f"  {name:<42} {rate:>10,.0f} events/s   {ratio}{verdict}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["outbox", "consume", "all"])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternate raw/ours this many times; best of each")
    args = parser.parse_args()
    bootstrap, admin = _infra()
    kafka = KafkaSettings(bootstrap_servers=bootstrap)
    events = _events(args.events)
    envelopes = [Envelope.wrap(e) for e in events]
    print(  # noqa: T201
        f"Kinerja messaging benchmark — {args.events:,} events × {args.rounds} alternating rounds (best of each), "
        f"{PARTITIONS} partitions, broker {bootstrap}, load average {os.getloadavg()[0]:.1f}"
    )
    # alternating rounds, best of each: a busy 2-core machine otherwise favours whichever ran while it was quiet
    if args.what in ("outbox", "all"):
        raw = ours = 0.0
        for _ in range(args.rounds):
            raw = max(raw, await raw_producer(kafka, envelopes))
            ours = max(ours, await relay(kafka, admin, events))
        print("bench outbox")  # noqa: T201
        print(_row("raw aiokafka producer (acks=all, idempotent)", raw))  # noqa: T201
        print(_row("outbox relay (Kafka txn per batch, mark sent)", ours, raw, 0.5))  # noqa: T201
    if args.what in ("consume", "all"):
        raw = ours = 0.0
        for _ in range(args.rounds):
            raw = max(raw, await raw_consumer(kafka, envelopes))
            ours = max(ours, await inbox_consumer(kafka, admin, envelopes))
        print("bench consume")  # noqa: T201
        print(_row("raw aiokafka consumer (commit per batch)", raw))  # noqa: T201
        print(_row("batched inbox consumer (inbox + effect, exactly once)", ours, raw, 0.3))  # noqa: T201


if __name__ == "__main__":
    asyncio.run(main())
