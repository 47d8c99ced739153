"""kinerja-ops on the real local stack (Kafka + PostgreSQL): onboarding, DLQ replay, rebuild, backup, keys.

The CLI runs as its own process, as an operator would run it; the services' side is the shared runtime's real
outbox relay and batched consumer (the same code every worker runs).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import jwt
import pytest

from kinerja_shared.contracts import Envelope
from kinerja_shared.contracts.activity import ActivityVerified
from kinerja_shared.contracts.org import RegencyUpserted, UnitUpserted
from kinerja_shared.db import connect, create_pool
from kinerja_shared.devissuer import ensure_keypair, public_key_of
from kinerja_shared.errors import PermanentHandlerError
from kinerja_shared.messaging.consumer import BatchConsumer, BatchHandler, Received
from kinerja_shared.messaging.outbox import OutboxRelay
from kinerja_shared.readmodels.org import MIGRATIONS_DIR as ORG_MIGRATIONS
from kinerja_shared.readmodels.org import apply_org_facts
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.testing.helpers import produce, read_all, wait_until
from kinerja_shared.testing.plugin import MakeDatabase, MakeNamespace, ProvisionedDatabase
from kinerja_shared.topics import ACTIVITY, ORG, dlq_topic

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

REGENCY = uuid.uuid4()
NOW = datetime.now(UTC)


# commands that never reach Kafka get settings pointing nowhere: they must not need a broker
OFFLINE = KafkaSettings(bootstrap_servers="127.0.0.1:9")


class OpsFailed(Exception):
    pass


async def ops(kafka: KafkaSettings, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `kinerja-ops ...` as a process with the Kafka settings in its environment; its JSON answer."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kinerja_shared.ops",
        *args,
        env=os.environ
        | {"KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers, "KAFKA_TOPIC_NAMESPACE": kafka.topic_namespace}
        | (env or {}),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    if proc.returncode != 0:
        raise OpsFailed(err.decode()[-2000:])
    result: dict[str, Any] = json.loads(out)
    return result


@contextlib.asynccontextmanager
async def running(consumer: BatchConsumer) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await wait_until(lambda: _ready(consumer, task), timeout=60, what=f"{consumer.name} consumer assigned")
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def _ready(consumer: BatchConsumer, task: asyncio.Task[None]) -> bool:
    if task.done():
        task.result()  # raises what killed it
    return consumer.running.is_set()


async def _rows(db: ProvisionedDatabase, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await connect(db.owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def _consumer(
    name: str, pool: asyncpg.Pool, kafka: KafkaSettings, topics: Sequence[str], handler: BatchHandler
) -> BatchConsumer:
    return BatchConsumer(
        name=name, pool=pool, kafka=kafka, topics=topics, handler=handler, batch_wait_ms=100, session_timeout_ms=6000
    )


async def test_onboard_regency_reaches_every_service_through_evaluations_outbox(
    make_database: MakeDatabase, make_namespace: MakeNamespace
) -> None:
    kafka = await make_namespace(partitions=1)
    evaluation_db = await make_database()
    notify_db = await make_database(ORG_MIGRATIONS, prefix="shared-org")
    args = ["onboard-regency", "--database-url", evaluation_db.app_url, "--name", "Kabupaten Tebo"]
    args += ["--code", "15.09", "--province", "Jambi", "--admin-sub", "admin.tebo@bkpsdm"]
    first = await ops(kafka, *args)
    again = await ops(kafka, *args)
    assert first["regency_id"] == again["regency_id"], "onboarding is keyed by the Kemendagri code"
    assert first["admin"]["claims"]["roles"] == ["admin_bkpsdm"]
    assert first["admin"]["claims"]["regency_id"] == first["regency_id"]
    regency_id = uuid.UUID(first["regency_id"])

    # the evaluation worker's relay publishes it; a service with the org read model (notify here) keeps it
    eval_pool = await create_pool(evaluation_db.app_url)
    notify_pool = await create_pool(notify_db.app_url)
    stop = asyncio.Event()
    relay = asyncio.create_task(OutboxRelay(eval_pool, evaluation_db.app_url, kafka, service="evaluation").run(stop))
    try:
        async with running(_consumer("notify", notify_pool, kafka, [ORG], apply_org_facts)):

            async def kept() -> bool:
                return bool(await _rows(notify_db, "SELECT 1 FROM org_regency WHERE regency_id = $1", regency_id))

            await wait_until(kept, timeout=60, what="org_regency row in notify's read model")
    finally:
        stop.set()
        await asyncio.wait_for(relay, 30)
        await eval_pool.close()
        await notify_pool.close()
    [row] = await _rows(notify_db, "SELECT name, code FROM org_regency WHERE regency_id = $1", regency_id)
    assert (row["name"], row["code"]) == ("Kabupaten Tebo", "15.09")
    records = await read_all(kafka, kafka.topic(ORG))
    assert len(records) == 2 and {r.key for r in records} == {str(regency_id).encode()}
    event = Envelope.from_kafka(records[0].key, records[0].value, records[0].headers).decode()
    assert isinstance(event, RegencyUpserted) and event.province_name == "Jambi"


async def test_onboarding_can_mint_a_dev_token_but_never_in_production(
    make_database: MakeDatabase, tmp_path: Path
) -> None:
    kafka = OFFLINE
    db = await make_database()
    key = tmp_path / "dev-issuer.pem"
    ensure_keypair(key)
    args = ["onboard-regency", "--database-url", db.app_url, "--name", "Kota Jambi", "--code", "15.71"]
    args += ["--province", "Jambi", "--admin-sub", "admin.kota", "--dev-issuer-key", str(key)]
    result = await ops(kafka, *args, env={"KINERJA_ENV": "development"})
    claims = jwt.decode(result["admin"]["dev_token"], options={"verify_signature": False})
    assert claims["regency_id"] == result["regency_id"] and "admin_bkpsdm" in claims["roles"]
    with pytest.raises(OpsFailed, match="refused in production"):
        await ops(kafka, *args, env={"KINERJA_ENV": "production"})


def _verified(n: int) -> list[Envelope]:
    out = []
    for i in range(n):
        ev = ActivityVerified(
            regency_id=REGENCY,
            occurred_at=NOW,
            activity_id=uuid.uuid4(),
            asn_id=uuid.uuid4(),
            verifier_id=uuid.uuid4(),
            activity_date=date(2026, 11, 2 + i),
            minutes=60,
        )
        out.append(Envelope.wrap(ev, traceparent=f"00-{uuid.uuid4().hex}-{'ab' * 8}-01"))
    return out


async def test_dlq_replay_after_a_fix_applies_the_dead_letters_once(
    make_database: MakeDatabase, make_namespace: MakeNamespace
) -> None:
    kafka = await make_namespace(partitions=2)
    db = await make_database()
    pool = await create_pool(db.app_url)
    broken = True
    applied: list[uuid.UUID] = []

    async def handler(conn: asyncpg.Connection, batch: Sequence[Received]) -> None:
        if broken:
            raise PermanentHandlerError("minutes table missing (the bug we fix)")
        applied.extend(r.event_id for r in batch)

    envelopes = _verified(3)
    ids = {uuid.UUID(e.id) for e in envelopes}
    dlq = kafka.topic(dlq_topic(ACTIVITY, "evaluation"))
    try:
        async with running(_consumer("evaluation", pool, kafka, [ACTIVITY], handler)):
            await produce(kafka, kafka.topic(ACTIVITY), envelopes)

            async def dead() -> bool:
                return len(await read_all(kafka, dlq)) == 3

            await wait_until(dead, timeout=60, what="three dead letters")
            listed = await ops(kafka, "dlq", "list", "--topic", ACTIVITY, "--group", "evaluation")
            assert listed["count"] == 3
            assert {r["reason"] for r in listed["records"]} == {"handler_rejected"}
            assert {r["ce_id"] for r in listed["records"]} == {str(i) for i in ids}

            dry = await ops(kafka, "dlq", "replay", "--topic", ACTIVITY, "--group", "evaluation", "--dry-run")
            assert dry["replayed"] == 0 and len(dry["event_ids"]) == 3
            broken = False  # the fix is deployed
            replay = await ops(kafka, "dlq", "replay", "--topic", ACTIVITY, "--group", "evaluation")
            assert replay["replayed"] == 3 and replay["target"] == kafka.topic(ACTIVITY)

            async def healed() -> bool:
                return set(applied) == ids

            await wait_until(healed, timeout=60, what="replayed events applied")
            again = await ops(kafka, "dlq", "replay", "--topic", ACTIVITY, "--group", "evaluation")
            assert again["replayed"] == 0, "a second replay sends nothing new"
            await asyncio.sleep(1.0)
        assert sorted(applied) == sorted(ids), "each dead letter applied exactly once"
        inbox = await _rows(db, "SELECT event_id FROM inbox WHERE consumer = 'evaluation'")
        assert {r["event_id"] for r in inbox} == ids
        main = await read_all(kafka, kafka.topic(ACTIVITY))
        replayed = [r for r in main if r.offset >= 0][-3:] if len(main) == 6 else []
        assert len(main) == 6 and replayed
        by_id = {e.id: e for e in envelopes}
        for rec in main:
            headers = dict(rec.headers)
            assert not [k for k in headers if k.startswith("kinerja_")], "replay strips the DLQ/retry headers"
            original = by_id[headers["ce_id"].decode()]
            assert rec.key == original.key.encode() and rec.value == original.data
            assert headers["ce_traceparent"].decode() == original.traceparent
    finally:
        await pool.close()


async def test_dlq_replay_refuses_a_group_that_does_not_read_the_topic() -> None:
    kafka = OFFLINE
    with pytest.raises(OpsFailed, match="does not consume"):
        await ops(kafka, "dlq", "replay", "--topic", ACTIVITY, "--group", "notify")


async def test_rebuild_refills_a_read_model_from_the_topic(
    make_database: MakeDatabase, make_namespace: MakeNamespace
) -> None:
    kafka = await make_namespace(partitions=2)
    db = await make_database(ORG_MIGRATIONS, prefix="shared-org")
    pool = await create_pool(db.app_url)
    units = [
        UnitUpserted(regency_id=REGENCY, occurred_at=NOW, unit_id=uuid.uuid4(), name=f"Puskesmas {i}", kind="puskesmas")
        for i in range(5)
    ]
    rebuild = [
        "rebuild",
        "--service",
        "notify",
        "--topic",
        ORG,
        "--database-url",
        db.owner_url,
        "--truncate",
        "org_unit",
    ]

    async def units_kept() -> bool:
        return len(await _rows(db, "SELECT 1 FROM org_unit")) == len(units)

    try:
        async with running(_consumer("notify", pool, kafka, [ORG], apply_org_facts)):
            await produce(kafka, kafka.topic(ORG), units)
            await wait_until(units_kept, timeout=60, what="org units")
            with pytest.raises(OpsFailed, match="live member"):
                await ops(kafka, *rebuild)
        # the read model is damaged (a bad migration, a manual delete): rebuild it from the compacted topic
        conn = await connect(db.owner_url)
        try:
            await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
            await conn.execute("DELETE FROM org_unit WHERE name IN ('Puskesmas 0', 'Puskesmas 1')")
            await conn.execute("UPDATE org_unit SET name = 'rusak'")
        finally:
            await conn.close()
        result = await ops(kafka, *rebuild)
        assert result["events_on_topic"] == 5 and result["inbox_entries_forgotten"] == 5
        assert result["truncated"] == ["org_unit"]
        async with running(_consumer("notify", pool, kafka, [ORG], apply_org_facts)):
            await wait_until(units_kept, timeout=60, what="org units rebuilt")
        names = sorted(r["name"] for r in await _rows(db, "SELECT name FROM org_unit"))
        assert names == sorted(u.name for u in units)
    finally:
        await pool.close()


async def test_backup_export_and_import_round_trip(make_database: MakeDatabase, tmp_path: Path) -> None:
    kafka = OFFLINE
    source = await make_database(ORG_MIGRATIONS, prefix="shared-org")
    conn = await connect(source.owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        await conn.execute(
            "INSERT INTO org_regency (regency_id, province_id, province_name, name, code, version)"
            " VALUES ($1, $2, 'Jambi', 'Kabupaten Tebo', '15.09', now())",
            REGENCY,
            uuid.uuid4(),
        )
        await conn.execute(
            "INSERT INTO org_unit (unit_id, regency_id, name, kind, public_facing, version)"
            " VALUES ($1, $2, 'Dinas Kesehatan', 'opd', false, now())",
            uuid.uuid4(),
            REGENCY,
        )
        await conn.execute(
            "INSERT INTO org_unit (unit_id, regency_id, name, kind, public_facing, version)"
            " VALUES ($1, $2, 'Dinas Pendidikan (kabupaten lain)', 'opd', false, now())",
            uuid.uuid4(),
            uuid.uuid4(),
        )
    finally:
        await conn.close()
    dump = tmp_path / "notify.dump"
    exported = await ops(kafka, "backup", "export", "--database-url", source.owner_url, "--out", str(dump))
    assert exported["bytes"] > 0
    target = await make_database()  # freshly provisioned, plumbing only
    await ops(kafka, "backup", "import", "--database-url", target.owner_url, "--file", str(dump))
    rows = await _rows(target, "SELECT name FROM org_regency WHERE regency_id = $1", REGENCY)
    assert [r["name"] for r in rows] == ["Kabupaten Tebo"]
    # the service's app role works on the restored tables, and RLS still applies to it
    app = await connect(target.app_url)
    try:
        assert await app.fetchval("SELECT count(*) FROM org_unit") == 0  # no tenant set: nothing visible
        await app.execute("SELECT set_config('kinerja.regency_ids', $1, false)", str(REGENCY))
        assert await app.fetchval("SELECT count(*) FROM org_unit") == 1
    finally:
        await app.close()
    assert len(await _rows(target, "SELECT 1 FROM org_unit")) == 2

    # one regency only: its rows, none of the other tenant's
    scoped = tmp_path / "tebo.dump"
    await ops(
        kafka, "backup", "export", "--database-url", source.owner_url, "--out", str(scoped), "--regency", str(REGENCY)
    )
    moved = await make_database()
    await ops(kafka, "backup", "import", "--database-url", moved.owner_url, "--file", str(scoped))
    assert [r["regency_id"] for r in await _rows(moved, "SELECT regency_id FROM org_unit")] == [REGENCY]
    migrations = await _rows(target, "SELECT name FROM schema_migrations")
    assert "shared-org/0001_org_read_model.sql" in {r["name"] for r in migrations}


async def test_keys_jwks_serves_old_and_new_signing_keys(tmp_path: Path) -> None:
    kafka = OFFLINE
    old, new = tmp_path / "2026-01.pem", tmp_path / "2026-07.pem"
    pubs = []
    for k in (old, new):
        pubs.append(str(ensure_keypair(k)))
    jwks = await ops(kafka, "keys", "jwks", "--public-key", pubs[0], "--public-key", pubs[1])
    assert [k["kid"] for k in jwks["keys"]] == ["2026-01.pub", "2026-07.pub"]
    keyset = jwt.PyJWKSet.from_dict(jwks)
    for k, jwk in zip((old, new), keyset.keys, strict=True):
        assert jwk.key.public_numbers() == public_key_of(k).public_numbers()
    key = await ops(kafka, "keys", "pseudonym")
    assert len(bytes.fromhex(key["key_hex"])) == 32
