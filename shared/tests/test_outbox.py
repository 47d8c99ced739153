"""Transactional outbox on real PostgreSQL and Kafka: nothing lost, nothing doubled, per-key order kept."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from kinerja_shared.contracts import Envelope
from kinerja_shared.contracts.activity import ActivityReported
from kinerja_shared.db import connect, create_pool
from kinerja_shared.messaging import outbox
from kinerja_shared.messaging.outbox import OutboxRelay
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.testing.helpers import read_all, wait_until
from kinerja_shared.testing.plugin import MakeDatabase, MakeTopic

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

PROCS = Path(__file__).parent / "procs"
REGENCY = uuid.uuid4()
N_KEYS = 50


def _event(asn: uuid.UUID, seq: int) -> ActivityReported:
    return ActivityReported(
        regency_id=REGENCY,
        occurred_at=datetime.now(UTC),
        activity_id=uuid.uuid4(),
        asn_id=asn,
        activity_date=date(2026, 11, 2),
        minutes=30,
        quantity=seq,  # per-key sequence number, to check order on the topic
    )


async def _write_state_changes(dsn: str, topic: str, n: int) -> list[uuid.UUID]:
    """n state changes, each with its event, committed 100 to a transaction in id order."""
    asns = [uuid.uuid4() for _ in range(N_KEYS)]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS changes (asn_id uuid, seq int)")
        for start in range(0, n, 100):
            async with conn.transaction():
                evs = [_event(asns[i % N_KEYS], i // N_KEYS) for i in range(start, min(n, start + 100))]
                await conn.copy_records_to_table("changes", records=[(e.asn_id, int(e.quantity)) for e in evs])
                await outbox.add_many(conn, evs, topic=topic)
    finally:
        await conn.close()
    return asns


def _spawn_relay(db_url: str, kafka: KafkaSettings, batch: int = 500) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DATABASE_URL": db_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "BATCH": str(batch),
    }
    return subprocess.Popen([sys.executable, str(PROCS / "relay.py")], env=env)


async def _sent(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        n: int = await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL")
        return n
    finally:
        await conn.close()


def _check_exact_and_ordered(records: list, n: int) -> None:  # type: ignore[type-arg]
    ids = [dict(r.headers)["ce_id"] for r in records]
    assert len(ids) == n, f"expected exactly {n} events on Kafka, found {len(ids)}"
    assert len(set(ids)) == n, "an event was published twice"
    seqs: dict[bytes, list[int]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        seqs[r.key].append(int(float(Envelope.from_kafka(r.key, r.value, r.headers).decode().quantity)))  # type: ignore[attr-defined]
    assert len(seqs) == N_KEYS
    for key, s in seqs.items():
        assert s == sorted(s), f"events of key {key!r} out of order"


async def test_10000_changes_reach_kafka_exactly_once_in_key_order_despite_sigkill(
    make_database: MakeDatabase, make_topic: MakeTopic, kafka: KafkaSettings
) -> None:
    db = await make_database()
    topic = await make_topic(partitions=6)
    await _write_state_changes(db.owner_url, topic, 10_000)

    # small batches so the kill lands with many batches behind and ahead
    relay = _spawn_relay(db.app_url, kafka, batch=200)
    try:
        await wait_until(lambda: _gt(db.app_url, 1500), timeout=60, what="relay to publish 1,500 rows")
        relay.send_signal(signal.SIGKILL)
        relay.wait(10)
        killed_at = await _sent(db.app_url)
        assert killed_at < 10_000, "the relay finished before it could be killed; the test proves nothing"
        relay = _spawn_relay(db.app_url, kafka, batch=200)
        await wait_until(lambda: _gt(db.app_url, 9_999), timeout=90, what="all 10,000 rows marked sent")
    finally:
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(20) == 0, "relay did not stop cleanly on SIGTERM"

    _check_exact_and_ordered(await read_all(kafka, topic), 10_000)


async def _gt(dsn: str, n: int) -> bool:
    return await _sent(dsn) > n


async def test_relay_recovers_a_batch_already_committed_to_kafka_without_republishing(
    make_database: MakeDatabase, make_topic: MakeTopic, kafka: KafkaSettings
) -> None:
    """The crash window between the Kafka commit and the DB mark: a dead relay's batch is on Kafka, unmarked."""
    db = await make_database()
    topic = await make_topic(partitions=3)
    await _write_state_changes(db.owner_url, topic, 300)
    conn = await connect(db.owner_url)
    rows = await conn.fetch("SELECT key, headers, payload FROM outbox ORDER BY id LIMIT 120")
    await conn.close()
    # what the dead relay did: the first 120 rows committed in a Kafka transaction, never marked sent
    dead = AIOKafkaProducer(**kafka.client_kwargs(), acks="all", enable_idempotence=True, transactional_id="dead-relay")
    await dead.start()
    async with dead.transaction():
        for r in rows:
            await dead.send(
                topic, r["payload"], key=r["key"].encode(), headers=[(k, v.encode()) for k, v in r["headers"]]
            )
    await dead.stop()

    pool = await create_pool(db.app_url)
    relay = OutboxRelay(pool, db.app_url, kafka, service=f"t{uuid.uuid4().hex[:6]}", batch_size=200)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await wait_until(lambda: _gt(db.app_url, 299), timeout=30, what="all rows sent")
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
        await pool.close()
    records = await read_all(kafka, topic)
    ids = [dict(r.headers)["ce_id"] for r in records]
    assert len(ids) == 300 and len(set(ids)) == 300


async def test_only_one_relay_is_active_per_database(make_database: MakeDatabase, kafka: KafkaSettings) -> None:
    db = await make_database()
    pool = await create_pool(db.app_url)
    stop = asyncio.Event()
    relays = [OutboxRelay(pool, db.app_url, kafka, service=f"one{uuid.uuid4().hex[:6]}") for _ in range(2)]
    tasks = [asyncio.create_task(r.run(stop)) for r in relays]
    try:
        await wait_until(
            lambda: _true(any(r.active.is_set() for r in relays)), timeout=20, what="a relay to become active"
        )
        await asyncio.sleep(1.0)
        assert sum(r.active.is_set() for r in relays) == 1
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 20)
        await pool.close()


async def _true(v: bool) -> bool:
    return v
