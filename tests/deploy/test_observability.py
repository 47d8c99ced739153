"""Observability on the real stack: the metrics the dashboard and alerts use exist and move in a real worker,
and one trace id follows an activity from its HTTP request through evaluation to notify's log line."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml
from fastapi import APIRouter, Request
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel

from kinerja_shared.contracts.activity import ActivityVerified
from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.db import connect, create_pool, tenant_transaction
from kinerja_shared.http import create_app
from kinerja_shared.messaging import outbox, outbox_metrics
from kinerja_shared.messaging.consumer import BatchConsumer, Received
from kinerja_shared.messaging.outbox import OutboxRelay
from kinerja_shared.settings import KafkaSettings, service_settings_class
from kinerja_shared.testing.helpers import produce, read_all, wait_until
from kinerja_shared.testing.plugin import MakeDatabase, MakeNamespace, ProvisionedDatabase
from kinerja_shared.testing.processes import run_service
from kinerja_shared.topics import ACTIVITY, NOTIFICATION

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "deploy" / "observability"
REGENCY = uuid.uuid4()
NOW = datetime.now(UTC)


@asynccontextmanager
async def worker(svc: str, db: ProvisionedDatabase, kafka: KafkaSettings, tmp: Path) -> AsyncIterator[tuple[str, Path]]:
    """`python -m kinerja_<svc> worker` against the test database and namespace; (base URL, its log file)."""
    async with run_service(svc, "worker", db, kafka, tmp, env={"LOG_LEVEL": "DEBUG"}, expect_clean_exit=False) as sp:
        yield sp.base_url, sp.log_path


def _samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Samples by name; every declared family appears too (labelled metrics without children yet have none)."""
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        out.setdefault(family.name, [])
        for s in family.samples:
            out.setdefault(s.name, []).append((dict(s.labels), s.value))
    return out


def _value(samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(v for lab, v in samples.get(name, []) if all(lab.get(k) == x for k, x in labels.items()))


def _metric_names_used_by_ops() -> set[str]:
    """kinerja_* metric names in the alert rules and the dashboard (histograms by their base name)."""
    rules = yaml.safe_load((OBSERVABILITY / "prometheus-rule.yaml").read_text())
    exprs = [r["expr"] for g in rules["spec"]["groups"] for r in g["rules"]]
    dash = json.loads((OBSERVABILITY / "kinerja-dashboard.json").read_text())
    exprs += [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    names = set()
    for e in exprs:
        for name in re.findall(r"\bkinerja_[a-z_]+\b", e):
            names.add(re.sub(r"_(bucket|count|sum)$", "", name))
    return names


def _verified(asn: uuid.UUID | None = None) -> ActivityVerified:
    return ActivityVerified(
        regency_id=REGENCY,
        occurred_at=NOW,
        activity_id=uuid.uuid4(),
        asn_id=asn or uuid.uuid4(),
        verifier_id=uuid.uuid4(),
        activity_date=date(2026, 11, 27),
        minutes=90,
    )


async def test_worker_metrics_exist_and_move(
    make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    """The evaluation worker (consumes kinerja.activity.v1, relays its outbox) under real traffic."""
    kafka = await make_namespace(partitions=2)
    db = await make_database()
    async with worker("evaluation", db, kafka, tmp_path) as (base, _), httpx.AsyncClient(base_url=base) as http:
        before = _samples((await http.get("/metrics")).text)
        await produce(kafka, kafka.topic(ACTIVITY), [_verified() for _ in range(5)])
        await produce(kafka, kafka.topic(ACTIVITY), [(b"k", b"not a cloudevent", [])])  # poison → DLQ
        conn = await connect(db.owner_url)
        try:
            note = NotificationRequested(
                regency_id=REGENCY, occurred_at=NOW, notification_id=uuid.uuid4(), asn_id=uuid.uuid4(), kind="x"
            )
            await outbox.add(conn, note)
        finally:
            await conn.close()

        after: dict[str, list[tuple[dict[str, str], float]]] = {}

        async def moved() -> bool:
            nonlocal after
            after = _samples((await http.get("/metrics")).text)
            return (
                _value(after, "kinerja_consumer_events_total", consumer="evaluation") >= 5
                and _value(after, "kinerja_consumer_dlq_total", consumer="evaluation", reason="not_cloudevent") >= 1
                and _value(after, "kinerja_outbox_published_total", service="evaluation") >= 1
                and _value(after, "kinerja_outbox_backlog", service="evaluation") == 0
                and any(
                    lab.get("topic") == kafka.topic(ACTIVITY) and lab.get("consumer") == "evaluation"
                    for lab, _ in after.get("kinerja_consumer_lag", [])
                )
            )

        await wait_until(moved, timeout=90, what="consumer, DLQ and outbox metrics to move")
    assert _value(after, "kinerja_consumer_events_total", consumer="evaluation") > _value(
        before, "kinerja_consumer_events_total", consumer="evaluation"
    )
    assert _value(after, "kinerja_consumer_batch_size_count", consumer="evaluation") >= 1
    assert _value(after, "kinerja_consumer_batch_size_sum", consumer="evaluation") >= 5
    assert _value(after, "kinerja_consumer_event_age_seconds_count", consumer="evaluation") >= 5
    assert _value(after, "kinerja_consumer_batch_seconds_count", consumer="evaluation") >= 1
    assert _value(after, "kinerja_outbox_batch_seconds_count", service="evaluation") >= 1
    lags = [(lab, v) for lab, v in after["kinerja_consumer_lag"] if lab["consumer"] == "evaluation"]
    assert {lab["topic"] for lab, _ in lags} >= {kafka.topic(ACTIVITY)} and all(v == 0 for _, v in lags)
    assert _value(after, "kinerja_http_request_duration_seconds_count", route="/metrics") >= 1
    # every kinerja_* metric an alert or a dashboard panel uses is one the code exports
    exported = set(after) | {f"{n}_total" for n in after}
    missing = {n for n in _metric_names_used_by_ops() if n not in exported}
    assert not missing, f"alerts/dashboard use metrics nobody exports: {missing}"


async def test_outbox_age_gauge_reports_the_oldest_unsent_row(make_database: MakeDatabase) -> None:
    db = await make_database()
    pool = await create_pool(db.owner_url)
    try:
        assert await outbox_metrics.sample(pool, "feedback") == (0, 0.0)
        async with pool.acquire() as conn:
            for _ in range(3):
                await outbox.add(conn, _verified())
            await conn.execute(
                "UPDATE outbox SET created_at = now() - interval '1 hour' WHERE id = (SELECT min(id) FROM outbox)"
            )
        n, age = await outbox_metrics.sample(pool, "feedback")
        assert n == 3 and 3590 < age < 3700
        assert outbox_metrics.OLDEST_AGE.labels("feedback")._value.get() == age  # noqa: SLF001
        async with pool.acquire() as conn:
            await conn.execute("UPDATE outbox SET sent_at = now()")
        assert await outbox_metrics.sample(pool, "feedback") == (0, 0.0)
    finally:
        await pool.close()


class VerifyRequest(BaseModel):
    asn_id: uuid.UUID


async def test_one_trace_spans_activity_http_evaluation_and_notify_log(
    make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    """POST (traceparent) → activity outbox → Kafka → evaluation handler → its outbox → Kafka → notify worker log.

    activity's and evaluation's sides are the shared HTTP app, outbox and consumer wired the way the services wire
    them (their own routes and rules are built in their issues); notify is the real worker process.
    """
    kafka = await make_namespace(partitions=2)
    activity_db, evaluation_db, notify_db = await make_database(), await make_database(), await make_database()
    trace_id = uuid.uuid4().hex
    asn = uuid.uuid4()
    activity_pool = await create_pool(activity_db.app_url)
    evaluation_pool = await create_pool(evaluation_db.app_url)

    # hop 1: an activity use case behind the shared app: the request's trace id goes into the outbox row
    router = APIRouter()

    @router.post("/verifikasi", status_code=202)
    async def verify(body: VerifyRequest, request: Request) -> dict[str, str]:
        async with tenant_transaction(activity_pool, [REGENCY]) as conn:
            event_id = await outbox.add(conn, _verified(body.asn_id))
        return {"event_id": str(event_id)}

    settings = service_settings_class("activity")(KINERJA_ENV="test", ROOT_PATH="/activity")
    app = create_app(settings, title="activity", description="trace test", routers=[router])

    # hop 2: evaluation's consumer turns the verified activity into a notification request, same trace
    async def on_verified(conn: asyncpg.Connection, batch: Sequence[Received]) -> None:
        for r in batch:
            assert isinstance(r.event, ActivityVerified)
            note = NotificationRequested(
                regency_id=r.event.regency_id,
                occurred_at=datetime.now(UTC),
                notification_id=uuid.uuid5(r.event_id, "verified"),
                asn_id=r.event.asn_id,
                kind="evaluation_finalized",
                params={"periode": "2026-11"},
            )
            # a batch handler passes each event's trace on (the consumer binds it only for one-event batches)
            await outbox.add(conn, note, traceparent=r.envelope.traceparent)

    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(OutboxRelay(activity_pool, activity_db.app_url, kafka, service="activity").run(stop)),
        asyncio.create_task(OutboxRelay(evaluation_pool, evaluation_db.app_url, kafka, service="evaluation").run(stop)),
        asyncio.create_task(
            BatchConsumer(
                name="evaluation",
                pool=evaluation_pool,
                kafka=kafka,
                topics=[ACTIVITY],
                handler=on_verified,
                batch_wait_ms=100,
            ).run(stop)
        ),
    ]
    try:
        async with worker("notify", notify_db, kafka, tmp_path) as (_, notify_log):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
                resp = await http.post(
                    "/activity/verifikasi",
                    json={"asn_id": str(asn)},
                    headers={"traceparent": f"00-{trace_id}-{'1' * 16}-01"},
                )
            assert resp.status_code == 202, resp.text
            activity_event = resp.json()["event_id"]

            def notify_lines() -> list[dict[str, Any]]:
                lines = []
                for raw in notify_log.read_text().splitlines():
                    try:
                        lines.append(json.loads(raw))
                    except ValueError:
                        continue
                return [ln for ln in lines if ln.get("event") == "event handled"]

            async def handled() -> bool:
                return any(ln.get("trace_id") == trace_id for ln in notify_lines())

            try:
                await wait_until(handled, timeout=90, what="notify's log line carrying the trace id")
            except AssertionError:
                notes = await read_all(kafka, kafka.topic(NOTIFICATION))
                acts = await read_all(kafka, kafka.topic(ACTIVITY))
                raise AssertionError(
                    f"activity records {len(acts)}, notification records {len(notes)}; notify log tail:\n"
                    + notify_log.read_text()[-3000:]
                ) from None
        [line] = [ln for ln in notify_lines() if ln.get("trace_id") == trace_id]
        assert line["service"] == "notify" and line["type"] == "id.kinerja.notification.requested.v1"
        # the two Kafka hops carry the same trace in their CloudEvents traceparent
        [act] = [
            r
            for r in await read_all(kafka, kafka.topic(ACTIVITY))
            if dict(r.headers)["ce_id"].decode() == activity_event
        ]
        notes = [r for r in await read_all(kafka, kafka.topic(NOTIFICATION)) if r.key == str(asn).encode()]
        for rec in (act, *notes):
            assert dict(rec.headers)["ce_traceparent"].decode().split("-")[1] == trace_id
        assert len(notes) == 1
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 40)
        await activity_pool.close()
        await evaluation_pool.close()


def test_alert_rules_cover_lag_outbox_age_dlq_and_readiness() -> None:
    rules = yaml.safe_load((OBSERVABILITY / "prometheus-rule.yaml").read_text())
    alerts = {r["alert"]: r for g in rules["spec"]["groups"] for r in g["rules"] if "alert" in r}
    assert "deriv(" in alerts["KinerjaConsumerLagGrowing"]["expr"]
    assert "kinerja_outbox_oldest_age_seconds" in alerts["KinerjaOutboxStale"]["expr"]
    assert "kinerja_consumer_dlq_total" in alerts["KinerjaDeadLetters"]["expr"]
    assert "kube_pod_status_ready" in alerts["KinerjaNotReady"]["expr"]
    for alert in alerts.values():
        assert alert["labels"]["severity"] in ("info", "warning", "critical")
        anchor = alert["annotations"]["runbook_url"].split("#")[1]
        assert f'<a id="{anchor}"></a>' in (REPO / "docs" / "operations.md").read_text(), anchor


def test_dashboard_is_grafana_json_with_panels_for_each_signal() -> None:
    dash = json.loads((OBSERVABILITY / "kinerja-dashboard.json").read_text())
    assert dash["uid"] and dash["schemaVersion"] >= 30
    titles = " ".join(p["title"] for p in dash["panels"])
    for word in (
        "Requests",
        "5xx",
        "Latency",
        "Lag",
        "Batch size",
        "Dead-lettered",
        "Backlog",
        "Oldest",
        "score update",
    ):
        assert word in titles, word
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
