"""Real Kafka + PostgreSQL: the worker's day-end job marks alpa and its relay publishes it; a withdrawal reaches
Kafka as ActivityRejected(withdrawn) after its ActivityReported, keyed by the ASN."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from kinerja_activity.bootstrap import DEFINITION
from kinerja_activity.domain.calendar import days_to_close
from kinerja_activity.service import activities as acts
from kinerja_activity.service.commands import ActivityIn
from kinerja_shared.runtime import build_app
from kinerja_shared.testing.helpers import read_all, wait_until
from kinerja_shared.testing.plugin import MakeNamespace, ProvisionedDatabase
from kinerja_shared.topics import ACTIVITY
from kinerja_shared.web import JAKARTA

from ..conftest import Org, owner, start_alpa, worker_settings
from ..service.test_activities import item

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]


def _type(rec: object) -> str:
    return dict(rec.headers)["ce_type"].decode().rsplit(".", 2)[-2]  # type: ignore[attr-defined]


async def test_worker_marks_alpa_and_relays_it_and_a_withdrawal(
    db: ProvisionedDatabase, pool: asyncpg.Pool, org: Org, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    kafka = await make_namespace(partitions=3)
    now = datetime.now(JAKARTA)
    start = now.date() - timedelta(days=7)
    expected_days = days_to_close(now.date(), start=start, lookback_days=7)
    await start_alpa(db, org, start)
    settings = worker_settings(db, kafka, tmp_path, alpa_scan_seconds=0.5)
    worker = build_app(DEFINITION, settings, worker=True)

    async def settled() -> bool:
        c = await owner(db)
        try:
            marked = await c.fetchval("SELECT count(*) FROM attendance_day WHERE status = 'alpa'")
            unsent = await c.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            return bool(marked == 4 * len(expected_days) and unsent == 0)
        finally:
            await c.close()

    async with worker.router.lifespan_context(worker):
        row = await acts.report_activity(pool, org.staff, ActivityIn.model_validate(item(org)), now=now)
        await acts.withdraw_activity(pool, org.staff, row["activity_id"], now=now)
        await wait_until(settled, timeout=60, what="alpa marked and everything relayed")

    records = await read_all(kafka, kafka.topic(ACTIVITY))
    alpa = [json.loads(r.value) for r in records if _type(r) == "attendance_recorded"]
    assert len(alpa) == 4 * len(expected_days) and {a["status"] for a in alpa} == {"alpa"}
    assert {a["work_date"] for a in alpa} == {d.isoformat() for d in expected_days}
    mine = [r for r in records if r.key == str(org.staff.asn_id).encode() and _type(r) != "attendance_recorded"]
    assert [_type(r) for r in mine] == ["reported", "rejected"]
    assert json.loads(mine[1].value)["withdrawn"] is True and mine[0].offset < mine[1].offset
