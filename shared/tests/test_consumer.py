"""The batched inbox consumer on real Kafka and PostgreSQL: exactly-once effects, DLQ, retries, crashes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from kinerja_shared.contracts import Envelope
from kinerja_shared.contracts.activity import ActivityReported
from kinerja_shared.db import create_pool
from kinerja_shared.errors import PermanentHandlerError
from kinerja_shared.messaging.admin import group_lag
from kinerja_shared.messaging.consumer import (
    H_DLQ_REASON,
    H_DLQ_SOURCE,
    BatchConsumer,
    BatchHandler,
    Received,
)
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.testing.helpers import produce, read_all, wait_until
from kinerja_shared.testing.plugin import MakeDatabase, MakeTopic, ProvisionedDatabase
from kinerja_shared.topics import dlq_topic, retry_topic

sys.path.insert(0, str(Path(__file__).parent / "procs"))
from common import EFFECTS_DDL, apply_effects  # noqa: E402

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
PROCS = Path(__file__).parent / "procs"
REGENCY = uuid.uuid4()


def _events(n: int, keys: int = 40) -> list[Envelope]:
    asns = [uuid.uuid4() for _ in range(keys)]
    return [
        Envelope.wrap(
            ActivityReported(
                regency_id=REGENCY,
                occurred_at=datetime.now(UTC),
                activity_id=uuid.uuid4(),
                asn_id=asns[i % keys],
                activity_date=date(2026, 11, 2),
                minutes=60,
                quantity=i,
            )
        )
        for i in range(n)
    ]


async def _db(make_database: MakeDatabase) -> ProvisionedDatabase:
    db = await make_database()
    conn = await asyncpg.connect(db.owner_url)
    await conn.execute(EFFECTS_DDL)
    await conn.close()
    return db


async def _counts(dsn: str) -> tuple[int, int, int]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT event_id) AS d,"
            " (SELECT coalesce(sum(n), 0) FROM totals) AS t FROM applied"
        )
        assert row is not None
        return int(row["n"]), int(row["d"]), int(row["t"])
    finally:
        await conn.close()


async def _lag(kafka: KafkaSettings, group: str, topic: str) -> int:
    return sum((await group_lag(kafka, group, [topic])).values())


@asynccontextmanager
async def running(
    db: ProvisionedDatabase,
    kafka: KafkaSettings,
    topic: str,
    group: str,
    handler: BatchHandler = apply_effects,
    **kw: object,
) -> AsyncIterator[BatchConsumer]:
    pool = await create_pool(db.app_url)
    consumer = BatchConsumer(name=group, pool=pool, kafka=kafka, topics=[topic], handler=handler, **kw)  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield consumer
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await pool.close()


async def test_10000_events_delivered_twice_take_effect_once(
    make_database: MakeDatabase, make_topic: MakeTopic, kafka: KafkaSettings
) -> None:
    db = await _db(make_database)
    group = f"g{uuid.uuid4().hex[:8]}"
    topic = await make_topic(partitions=6, groups=(group,))
    events = _events(10_000)
    await produce(kafka, topic, events)
    await produce(kafka, topic, events)  # the same CloudEvents again: a producer retry or a replayed topic

    async with running(db, kafka, topic, group):
        await wait_until(lambda: _zero(_lag(kafka, group, topic)), timeout=120, what="lag 0")
    assert await _counts(db.app_url) == (10_000, 10_000, 10_000)

    # and a full re-delivery from offset 0 of the whole topic changes nothing
    await _rewind(kafka, group, topic)
    assert await _lag(kafka, group, topic) == 20_000
    async with running(db, kafka, topic, group):
        await wait_until(lambda: _zero(_lag(kafka, group, topic)), timeout=120, what="lag 0 after rewind")
    assert await _counts(db.app_url) == (10_000, 10_000, 10_000)


async def test_lag_reaches_zero_after_a_transactional_producer(
    make_database: MakeDatabase, make_topic: MakeTopic, kafka: KafkaSettings
) -> None:
    """Every outbox relay writes in Kafka transactions; each commit marker takes an offset but holds no event. The
    consumer moves its committed offsets past the markers when idle, so a drained group reads lag 0 (ops, KEDA)."""
    db = await _db(make_database)
    group = f"g{uuid.uuid4().hex[:8]}"
    topic = await make_topic(partitions=3, groups=(group,))
    producer = AIOKafkaProducer(**kafka.client_kwargs(), transactional_id=f"t-{group}", enable_idempotence=True)
    await producer.start()
    try:
        events = _events(300)
        for chunk in (events[:100], events[100:200], events[200:]):
            async with producer.transaction():
                for e in chunk:
                    await producer.send(topic, e.data, key=e.key.encode(), headers=e.headers())
    finally:
        await producer.stop()
    async with running(db, kafka, topic, group):
        await wait_until(lambda: _applied_at_least(db.app_url, 300), timeout=60, what="300 effects")
        await wait_until(lambda: _zero(_lag(kafka, group, topic)), timeout=30, what="lag 0 past the markers")
    assert await _counts(db.app_url) == (300, 300, 300)


async def _zero(lag: object) -> bool:
    return await lag == 0  # type: ignore[misc]


async def _rewind(kafka: KafkaSettings, group: str, topic: str) -> None:
    c = AIOKafkaConsumer(**kafka.client_kwargs(), group_id=group, enable_auto_commit=False)
    await c.start()
    try:
        tps = [TopicPartition(topic, p) for p in c.partitions_for_topic(topic) or await _parts(c, topic)]
        c.assign(tps)
        await c.commit(dict.fromkeys(tps, 0))
    finally:
        await c.stop()


async def _parts(c: AIOKafkaConsumer, topic: str) -> set[int]:
    await c._client.force_metadata_update()  # noqa: SLF001
    return c.partitions_for_topic(topic) or set()


async def test_poison_goes_to_the_dlq_with_reasons_and_the_rest_flows(
    make_database: MakeDatabase, make_topic: MakeTopic, kafka: KafkaSettings
) -> None:
    db = await _db(make_database)
    group = f"g{uuid.uuid4().hex[:8]}"
    topic = await make_topic(partitions=1, groups=(group,))
    good = _events(6)
    template = good[0]
    hs = template.headers()
    unknown = [(k, b"id.kinerja.activity.teleported.v1" if k == "ce_type" else v) for k, v in hs]
    other_id = [(k, str(uuid.uuid4()).encode() if k == "ce_id" else v) for k, v in hs]
    poison = [
        (b"k1", b"{not json", other_id),
        (
            b"k2",
            template.data.replace(b'"minutes":60', b'"minutes":"banyak"'),
            [(k, str(uuid.uuid4()).encode() if k == "ce_id" else v) for k, v in hs],
        ),
        (b"k3", template.data, unknown),
        (b"k4", b'{"hello": 1}', [("content-type", b"application/json")]),
    ]
    await produce(kafka, topic, [*good[:3], *poison, *good[3:]])

    async with running(db, kafka, topic, group):
        await wait_until(lambda: _zero(_lag(kafka, group, topic)), timeout=60, what="lag 0")
    assert await _counts(db.app_url) == (6, 6, 6)
    dead = await read_all(kafka, dlq_topic(topic, group))
    reasons = sorted(dict(r.headers)[H_DLQ_REASON].decode() for r in dead)
    assert reasons == ["not_cloudevent", "schema_invalid", "undecodable", "unknown_type"]
    for r in dead:
        h = dict(r.headers)
        assert h[H_DLQ_SOURCE].decode().startswith(f"{topic}/0/")
        assert h["kinerja_dlq_error"]
    assert {r.value for r in dead} == {p[1] for p in poison}  # the original bytes are kept for repair


async def test_a_failing_event_is_retried_with_backoff_then_dead_lettered(
    make_database: MakeDatabase, make_topic: MakeTopic, kafka: KafkaSettings
) -> None:
    db = await _db(make_database)
    group = f"g{uuid.uuid4().hex[:8]}"
    topic = await make_topic(partitions=2, groups=(group,))
    events = _events(20)
    flaky, broken, rejected = events[3].id, events[7].id, events[11].id
    calls: dict[str, int] = {}

    async def handler(conn: asyncpg.Connection, batch: Sequence[Received]) -> None:
        for r in batch:
            calls[r.envelope.id] = calls.get(r.envelope.id, 0) + 1
            if r.envelope.id == flaky and r.attempt < 2:  # fails on the topic and on its first retry
                raise RuntimeError("deadlock detected (simulated transient failure)")
            if r.envelope.id == broken:
                raise RuntimeError("always fails")
            if r.envelope.id == rejected:
                raise PermanentHandlerError("ASN unknown in this regency")
        await apply_effects(conn, batch)

    await produce(kafka, topic, events)
    async with running(db, kafka, topic, group, handler=handler, max_attempts=3, backoff_base_s=0.3):
        await wait_until(
            lambda: _applied_at_least(db.app_url, 18), timeout=60, what="the flaky event to succeed on retry"
        )
        await wait_until(lambda: _dlq_count(kafka, topic, group, 2), timeout=60, what="2 DLQ records")
    assert await _counts(db.app_url) == (18, 18, 18)
    dead = {
        dict(r.headers)["ce_id"].decode(): dict(r.headers)[H_DLQ_REASON].decode()
        for r in await read_all(kafka, dlq_topic(topic, group))
    }
    assert dead == {broken: "retries_exhausted", rejected: "handler_rejected"}
    retried = [dict(r.headers)["ce_id"].decode() for r in await read_all(kafka, retry_topic(topic, group))]
    assert sorted(retried) == sorted([flaky, flaky, broken, broken])


async def _applied_at_least(dsn: str, n: int) -> bool:
    return (await _counts(dsn))[0] >= n


async def _dlq_count(kafka: KafkaSettings, topic: str, group: str, n: int) -> bool:
    return len(await read_all(kafka, dlq_topic(topic, group))) >= n


def _spawn(
    db: ProvisionedDatabase, kafka: KafkaSettings, topic: str, group: str, **env: str
) -> subprocess.Popen[bytes]:
    e = os.environ | {"DATABASE_URL": db.app_url, "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers}
    e |= {"TOPIC": topic, "GROUP": group, **env}
    return subprocess.Popen([sys.executable, str(PROCS / "consumer.py")], env=e)


async def test_a_consumer_killed_mid_batch_loses_and_doubles_nothing(
    make_database: MakeDatabase, make_topic: MakeTopic, kafka: KafkaSettings
) -> None:
    db = await _db(make_database)
    group = f"g{uuid.uuid4().hex[:8]}"
    topic = await make_topic(partitions=4, groups=(group,))
    await produce(kafka, topic, _events(5_000))

    proc = _spawn(db, kafka, topic, group, TEST_HANDLER_DELAY_S="0.4", BATCH="250")
    try:
        await wait_until(lambda: _applied_at_least(db.app_url, 1_000), timeout=60, what="1,000 effects")
        proc.send_signal(signal.SIGKILL)  # lands inside a batch: the handler sleeps in its transaction
        proc.wait(10)
        applied, _, _ = await _counts(db.app_url)
        assert applied < 5_000
        lag_at_kill = await _lag(kafka, group, topic)
        assert lag_at_kill >= 5_000 - applied, "offsets ran ahead of effects"
        proc = _spawn(db, kafka, topic, group, BATCH="250")
        await wait_until(lambda: _zero(_lag(kafka, group, topic)), timeout=120, what="lag 0 after restart")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert await _counts(db.app_url) == (5_000, 5_000, 5_000)


async def test_sigterm_finishes_the_batch_commits_and_exits_cleanly(
    make_database: MakeDatabase, make_topic: MakeTopic, kafka: KafkaSettings
) -> None:
    db = await _db(make_database)
    group = f"g{uuid.uuid4().hex[:8]}"
    topic = await make_topic(partitions=2, groups=(group,))
    await produce(kafka, topic, _events(3_000))
    proc = _spawn(db, kafka, topic, group, TEST_HANDLER_DELAY_S="0.3", BATCH="200")
    await wait_until(lambda: _applied_at_least(db.app_url, 400), timeout=60, what="400 effects")
    proc.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(proc.wait, 30) == 0
    applied, distinct, _ = await _counts(db.app_url)
    assert applied == distinct
    # everything applied was committed, and nothing committed was left unapplied
    assert await _lag(kafka, group, topic) == 3_000 - applied
