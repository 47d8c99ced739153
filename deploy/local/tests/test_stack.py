"""The broker we pin works with aiokafka 0.14 the way the services use it, and the databases are locked down.

Runs against the local stack (started or reused via kinerja_local.ensure_infra, PostgreSQL in fast mode).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from kinerja_local import Infra, ensure_infra
from kinerja_shared.topics import all_topic_specs


@pytest.fixture(scope="module")
def local_infra() -> Iterator[Infra]:
    yield ensure_infra(fast=True)


async def _new_topic(bootstrap: str, partitions: int = 3) -> str:
    name = f"test.stack.{uuid.uuid4().hex[:12]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        resp = await admin.create_topics([NewTopic(name, partitions, 1)], timeout_ms=30000)
        assert all(err[1] == 0 for err in resp.topic_errors), resp.topic_errors
        assert name in await admin.list_topics()
        described = await admin.describe_topics([name])
        assert len(described[0]["partitions"]) == partitions
    finally:
        await admin.close()
    return name


def _consumer(bootstrap: str, topic: str, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )


async def _drain(consumer: AIOKafkaConsumer, want: int, rounds: int = 60) -> list[bytes]:
    got: list[bytes] = []
    for _ in range(rounds):
        batch = await consumer.getmany(timeout_ms=500, max_records=500)
        offsets = {}
        for tp, records in batch.items():
            got += [r.value for r in records if r.value is not None]
            offsets[tp] = records[-1].offset + 1
        if offsets:
            await consumer.commit(offsets)  # explicit offsets, after the "effect"
        if len(got) >= want:
            break
    return got


@pytest.mark.kafka
async def test_topics_from_registry_exist(local_infra: Infra) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=local_infra.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
    finally:
        await admin.close()
    assert {t.name for t in all_topic_specs()} <= existing


@pytest.mark.kafka
async def test_idempotent_producer_consumer_group_manual_commit(local_infra: Infra) -> None:
    bootstrap = local_infra.kafka_bootstrap
    topic = await _new_topic(bootstrap)
    group = f"test-{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for i in range(50):
            await producer.send(topic, key=f"asn-{i % 7}".encode(), value=f"m{i}".encode())
        await producer.flush()

        c1 = _consumer(bootstrap, topic, group)
        await c1.start()
        try:
            first = await _drain(c1, 50)
            assert sorted(first) == sorted(f"m{i}".encode() for i in range(50))
            committed = {tp: await c1.committed(tp) for tp in c1.assignment()}
            assert sum(v or 0 for v in committed.values()) == 50
        finally:
            await c1.stop()

        # a new member of the same group starts after the committed offsets
        for i in range(50, 60):
            await producer.send_and_wait(topic, key=b"asn-x", value=f"m{i}".encode())
        c2 = _consumer(bootstrap, topic, group)
        await c2.start()
        try:
            second = await _drain(c2, 10)
            assert sorted(second) == sorted(f"m{i}".encode() for i in range(50, 60))
            tp_sum = 0
            for p in range(3):
                tp_sum += await c2.committed(TopicPartition(topic, p)) or 0
            assert tp_sum == 60
        finally:
            await c2.stop()
    finally:
        await producer.stop()


@pytest.mark.kafka
async def test_read_committed_hides_aborted_transactions(local_infra: Infra) -> None:
    bootstrap = local_infra.kafka_bootstrap
    topic = await _new_topic(bootstrap, partitions=1)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        transactional_id=f"tx-{uuid.uuid4()}",
    )
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send(topic, value=b"committed-1")
        await producer.begin_transaction()
        await producer.send(topic, value=b"aborted")
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send(topic, value=b"committed-2")
    finally:
        await producer.stop()
    consumer = _consumer(bootstrap, topic, f"test-{uuid.uuid4().hex[:8]}")
    await consumer.start()
    try:
        got = await _drain(consumer, 2)
    finally:
        await consumer.stop()
    assert got == [b"committed-1", b"committed-2"]


@pytest.mark.postgres
async def test_service_roles(local_infra: Infra) -> None:
    svc = "evaluation"
    table = f"t_{uuid.uuid4().hex[:8]}"
    owner = await asyncpg.connect(local_infra.migration_database_url(svc))
    try:
        await owner.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, v text)")
    finally:
        await owner.close()
    app = await asyncpg.connect(local_infra.database_url(svc))
    try:
        await app.execute(f"INSERT INTO {table} (v) VALUES ('x')")  # default privileges: DML + sequence
        assert await app.fetchval(f"SELECT count(*) FROM {table}") == 1
        flags = await app.fetchrow(
            "SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user"
        )
        assert flags is not None and not any(flags.values())
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute(f"DROP TABLE {table}")  # not the owner
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app.execute("CREATE TABLE nope (id int)")  # no CREATE on schema public
    finally:
        await app.close()
    # the app role cannot even connect to another service's database
    other = local_infra.database_url(svc).rsplit("/", 1)[0] + "/kinerja_activity"
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(other)
    # a wrong password is refused over TCP; the superuser is trusted from 127.0.0.1 (fixtures create DBs)
    parts = urlsplit(local_infra.database_url(svc))
    bad = urlunsplit(parts._replace(netloc=f"{parts.username}:wrong@{parts.hostname}:{parts.port}"))
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(bad)
    admin = await asyncpg.connect(local_infra.pg_admin_dsn)
    try:
        assert await admin.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    finally:
        await admin.close()
    owner = await asyncpg.connect(local_infra.migration_database_url(svc))
    try:
        await owner.execute(f"DROP TABLE {table}")
    finally:
        await owner.close()
