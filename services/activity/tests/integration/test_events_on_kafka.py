"""Real Kafka + PostgreSQL: the worker relays the outbox; facts arrive once, in order, keyed by ASN UUID."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest

from kinerja_activity.bootstrap import DEFINITION
from kinerja_activity.service import activities as acts
from kinerja_activity.service import verification as ver
from kinerja_activity.service.commands import ActivityIn
from kinerja_shared.runtime import build_app
from kinerja_shared.testing.helpers import read_all, wait_until
from kinerja_shared.testing.plugin import MakeNamespace, ProvisionedDatabase
from kinerja_shared.topics import ACTIVITY
from kinerja_shared.web import JAKARTA

from ..conftest import Org, owner, worker_settings
from ..service.test_activities import item

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]


def _type(rec: object) -> str:
    return dict(rec.headers)["ce_type"].decode()  # type: ignore[attr-defined]


async def test_reported_then_verified_gives_exactly_two_events_in_order_and_replayed_batch_no_duplicates(
    db: ProvisionedDatabase, pool: asyncpg.Pool, org: Org, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    kafka = await make_namespace(partitions=3)
    settings = worker_settings(db, kafka, tmp_path)
    worker = build_app(DEFINITION, settings, worker=True)
    now = datetime.now(JAKARTA)
    topic = kafka.topic(ACTIVITY)

    async def relayed() -> bool:
        conn = await owner(db)
        try:
            return not await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        finally:
            await conn.close()

    async with worker.router.lifespan_context(worker):
        row = await acts.report_activity(pool, org.staff, ActivityIn.model_validate(item(org)), now=now)
        await ver.decide(pool, org.superior, [row["activity_id"]], approve=True, now=now)

        batch = [item(org, n, indicator_id=str(org.indicator2_id)) for n in range(500)]
        first = await acts.sync_activities(pool, org.staff2, batch, now=now)
        second = await acts.sync_activities(pool, org.staff2, batch, now=now)
        assert (first.created, second.created, second.accepted) == (500, 0, 500)
        await wait_until(relayed, timeout=60, what="outbox relayed")

    records = await read_all(kafka, topic)
    mine = [r for r in records if r.key == str(org.staff.asn_id).encode()]
    assert [_type(r) for r in mine] == ["id.kinerja.activity.reported.v1", "id.kinerja.activity.verified.v1"]
    assert len({r.partition for r in mine}) == 1 and mine[0].offset < mine[1].offset
    assert all(dict(r.headers)["ce_subject"] == str(row["activity_id"]).encode() for r in mine)

    theirs = [r for r in records if r.key == str(org.staff2.asn_id).encode()]
    assert len(theirs) == 500 and {_type(r) for r in theirs} == {"id.kinerja.activity.reported.v1"}
    ids = {uuid.UUID(dict(r.headers)["ce_subject"].decode()) for r in theirs}
    assert ids == {i.id for i in first.items}
    conn = await owner(db)
    try:
        assert await conn.fetchval("SELECT count(*) FROM activity WHERE asn_id = $1", org.staff2.asn_id) == 500
    finally:
        await conn.close()
