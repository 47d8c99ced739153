"""Each service boots as its two real processes (api, worker) against real Kafka and PostgreSQL.

They migrate their database, answer health and metrics, serve a first page in the shared layout and their
AsyncAPI document, apply a first event exactly once, relay their outbox, and stop cleanly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import jsonschema
import pytest

from kinerja_shared.contracts import Envelope
from kinerja_shared.contracts.activity import ActivityVerified
from kinerja_shared.contracts.evaluation import Aspect, Direction, IndicatorTarget, SkpApproved
from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.contracts.org import AsnUpserted, Gender, Location, UnitUpserted
from kinerja_shared.db import connect
from kinerja_shared.messaging import outbox
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.testing.helpers import produce, read_all, wait_until
from kinerja_shared.testing.plugin import MakeDatabase, MakeNamespace, ProvisionedDatabase
from kinerja_shared.testing.processes import run_service
from kinerja_shared.topics import ACTIVITY, EVALUATION, NOTIFICATION, ORG, SCORE
from kinerja_shared.web import STATIC_DIR

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

REGENCY = uuid.uuid4()
NOW = datetime.now(UTC)


@asynccontextmanager
async def service(
    svc: str, role: str, db: ProvisionedDatabase, kafka: KafkaSettings, tmp: Path
) -> AsyncIterator[tuple[subprocess.Popen[bytes], str]]:
    async with run_service(svc, role, db, kafka, tmp) as sp:
        yield sp.proc, sp.base_url


async def _rows(db: ProvisionedDatabase, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await connect(db.owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")  # RLS is forced, even for owners
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def _unit() -> UnitUpserted:
    return UnitUpserted(
        regency_id=REGENCY,
        occurred_at=NOW,
        unit_id=uuid.uuid4(),
        name="Puskesmas Muara Tebo",
        kind="puskesmas",
        public_facing=True,
    )


def _asn(unit_id: uuid.UUID) -> AsnUpserted:
    return AsnUpserted(
        regency_id=REGENCY,
        occurred_at=NOW,
        asn_id=uuid.uuid4(),
        name="Siti Rahmawati (contoh)",
        email="siti.rahmawati@kinerja-demo.id",
        unit_id=unit_id,
        position_title="Perawat Ahli Pertama",
        grade="III/a",
        position_class=8,
        gender=Gender.P,
        location=Location.RURAL,
    )


Scenario = Callable[[ProvisionedDatabase, KafkaSettings], Awaitable[None]]


async def _activity(db: ProvisionedDatabase, kafka: KafkaSettings) -> None:
    unit = _unit()
    asn = _asn(unit.unit_id)
    skp = SkpApproved(
        regency_id=REGENCY,
        occurred_at=NOW,
        skp_id=uuid.uuid4(),
        asn_id=asn.asn_id,
        approver_id=uuid.uuid4(),
        year=2026,
        version=1,
        indicators=(
            IndicatorTarget(
                indicator_id=uuid.uuid4(),
                rhk_id=uuid.uuid4(),
                name="Jumlah pasien terlayani per bulan",
                target=Decimal(400),
                unit="pasien",
                aspect=Aspect.KUANTITAS,
                direction=Direction.HIGHER_IS_BETTER,
                weight=Decimal(100),
            ),
        ),
    )
    await produce(kafka, kafka.topic(ORG), [unit, asn])
    await produce(kafka, kafka.topic(EVALUATION), [skp, skp])  # two deliveries of two events: still one set

    async def done() -> bool:
        return len(await _rows(db, "SELECT 1 FROM approved_indicator WHERE asn_id = $1", asn.asn_id)) == 1 and bool(
            await _rows(db, "SELECT 1 FROM org_asn WHERE asn_id = $1 AND unit_id = $2", asn.asn_id, unit.unit_id)
        )

    await wait_until(done, timeout=30, what="org and SKP read models")


async def _evaluation(db: ProvisionedDatabase, kafka: KafkaSettings) -> None:
    asn = uuid.uuid4()
    verified = ActivityVerified(
        regency_id=REGENCY,
        occurred_at=NOW,
        activity_id=uuid.uuid4(),
        asn_id=asn,
        verifier_id=uuid.uuid4(),
        activity_date=date(2026, 11, 27),
        minutes=120,
    )
    env = Envelope.wrap(verified)
    await produce(kafka, kafka.topic(ACTIVITY), [env, env])  # the same event delivered twice

    async def counted() -> bool:
        return bool(await _rows(db, "SELECT 1 FROM activity_minutes WHERE asn_id = $1", asn))

    await wait_until(counted, timeout=30, what="verified minutes")
    await asyncio.sleep(1.0)
    [row] = await _rows(db, "SELECT minutes, activities, month FROM activity_minutes WHERE asn_id = $1", asn)
    assert (row["minutes"], row["activities"], row["month"]) == (120, 1, date(2026, 11, 1))

    # the worker relays what the service writes to its outbox
    conn = await connect(db.owner_url)
    try:
        note = NotificationRequested(
            regency_id=REGENCY, occurred_at=NOW, notification_id=uuid.uuid4(), asn_id=asn, kind="evaluation_finalized"
        )
        event_id = await outbox.add(conn, note)
    finally:
        await conn.close()

    async def relayed() -> bool:
        return any(
            dict(r.headers)["ce_id"] == str(event_id).encode() for r in await read_all(kafka, kafka.topic(NOTIFICATION))
        )

    await wait_until(relayed, timeout=30, what="the outbox row on Kafka")


async def _feedback(db: ProvisionedDatabase, kafka: KafkaSettings) -> None:
    unit = _unit()
    await produce(kafka, kafka.topic(ORG), [unit])

    async def kept() -> bool:
        return bool(await _rows(db, "SELECT 1 FROM org_unit WHERE unit_id = $1 AND public_facing", unit.unit_id))

    await wait_until(kept, timeout=30, what="unit read model")


async def _notify(db: ProvisionedDatabase, kafka: KafkaSettings) -> None:
    unit = _unit()
    person = _asn(unit.unit_id)
    asn = person.asn_id
    note = NotificationRequested(
        regency_id=REGENCY,
        occurred_at=NOW,
        notification_id=uuid.uuid4(),
        asn_id=asn,
        kind="mentoring_needed",
        params={"periode": "2026-Q3"},
        link="/evaluation/pembinaan",
    )
    # before the new ASN's org fact (another topic), and twice: a producer that retried at the application level
    await produce(kafka, kafka.topic(NOTIFICATION), [Envelope.wrap(note), Envelope.wrap(note)])

    async def parked() -> bool:
        return bool(await _rows(db, "SELECT 1 FROM notification_parked WHERE asn_id = $1", asn))

    await wait_until(parked, timeout=30, what="the request parked until its ASN is known")
    assert await _rows(db, "SELECT 1 FROM notification WHERE asn_id = $1", asn) == []
    await produce(kafka, kafka.topic(ORG), [unit, person])

    async def delivered() -> bool:
        return bool(await _rows(db, "SELECT 1 FROM email_delivery WHERE recipient_id = $1", asn))

    await wait_until(delivered, timeout=30, what="inbox item and e-mail once the org fact arrived")
    await asyncio.sleep(1.0)
    assert len(await _rows(db, "SELECT 1 FROM notification WHERE asn_id = $1", asn)) == 1
    assert len(await _rows(db, "SELECT 1 FROM inbox_item WHERE recipient_id = $1", asn)) == 1
    assert await _rows(db, "SELECT 1 FROM notification_parked") == []


SCENARIOS: dict[str, Scenario] = {
    "activity": _activity,
    "evaluation": _evaluation,
    "feedback": _feedback,
    "notify": _notify,
}


@pytest.mark.parametrize("svc", list(SCENARIOS))
async def test_service_boots_serves_and_consumes(
    svc: str, make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    db = await make_database()
    kafka = await make_namespace()
    async with service(svc, "api", db, kafka, tmp_path) as (_, base), httpx.AsyncClient(base_url=base) as http:
        assert (await http.get("/health/live")).json() == {"status": "ok"}
        ready = (await http.get("/health/ready")).json()
        assert ready["checks"] == {"postgres": "ok", "kafka": "ok"}
        page = await http.get(f"/{svc}/", headers={"accept": "text/html"})
        assert page.status_code == 200
        assert '<html lang="id">' in page.text and "Masuk" in page.text
        assert f'href="/{svc}/static/vendor/pico.min.css"' in page.text
        assert (await http.get(f"/{svc}/static/vendor/htmx.min.js")).status_code == 200
        doc = (await http.get(f"/{svc}/asyncapi.json")).json()
        schema = json.loads((STATIC_DIR / "vendor" / "asyncapi-3.0.0.json").read_text())
        jsonschema.Draft7Validator(schema).validate(doc)
        metrics = (await http.get("/metrics")).text
        assert "kinerja_http_request_duration_seconds" in metrics
        async with service(svc, "worker", db, kafka, tmp_path) as (_, wbase):
            wready = (await http.get(f"{wbase}/health/ready")).json()
            assert wready["status"] == "ready"
            await SCENARIOS[svc](db, kafka)
    migrations = [r["name"] for r in await _rows(db, "SELECT name FROM schema_migrations ORDER BY name")]
    assert "shared/0001_plumbing.sql" in migrations


def test_score_topic_is_compacted_in_the_registry() -> None:
    from kinerja_shared.topics import BY_NAME

    assert BY_NAME[SCORE].config()["cleanup.policy"] == "compact"
    assert BY_NAME[ORG].config()["cleanup.policy"] == "compact"
