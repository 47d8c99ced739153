"""The worker process end to end: real Kafka, PostgreSQL, aiosmtpd and an HTTP receiver on loopback.

Sizes: the normal run uses a CI-sized burst; `-m slow` runs the issue's 10,000 (NOTIFY_E2E_N overrides both).
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from pathlib import Path

import pytest

from kinerja_notify.service.subscriptions import create_subscription
from kinerja_shared.contracts import Envelope
from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.contracts.public import PerformancePublished
from kinerja_shared.db import create_pool
from kinerja_shared.messaging.consumer import H_DLQ_ERROR, H_DLQ_REASON
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.testing.helpers import produce, read_all, wait_until
from kinerja_shared.testing.plugin import MakeDatabase, MakeNamespace, ProvisionedDatabase
from kinerja_shared.topics import NOTIFICATION, ORG, PUBLIC_PERFORMANCE, dlq_topic

from ..support import (
    NOW,
    REGENCY,
    Org,
    http_receiver,
    notify_database,
    notify_process,
    org_facts,
    owner_rows,
    smtp_server,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
TYPE = PerformancePublished.type


async def allow(_: str) -> None:
    return None


async def setup(
    make_database: MakeDatabase, make_namespace: MakeNamespace, receiver_url: str
) -> tuple[ProvisionedDatabase, KafkaSettings, Org, str]:
    db = await notify_database(make_database)
    kafka = await make_namespace()
    org = org_facts(50)
    await produce(kafka, kafka.topic(ORG), [org.unit, org.head, org.superior, *org.staff])
    pool = await create_pool(db.app_url)
    try:
        _, secret = await create_subscription(
            pool, url=receiver_url, description="BKN", event_types=[TYPE], regency_ids=[], created_by="t",
            known_types=[TYPE], check_target=allow,
        )  # fmt: skip
    finally:
        await pool.close()
    return db, kafka, org, secret


def burst(org: Org, n: int) -> tuple[list[Envelope], list[Envelope], list[uuid.UUID]]:
    """n requests and n public events, each delivered twice: half as the very same record (a Kafka redelivery),
    half re-wrapped under a new event id (a producer retrying at the application level)."""
    notes: list[Envelope] = []
    public: list[Envelope] = []
    ids = []
    for i in range(n):
        asn = org.staff[i % len(org.staff)]
        note = NotificationRequested(
            regency_id=REGENCY, occurred_at=NOW, notification_id=uuid.uuid4(), asn_id=asn.asn_id,
            kind="evaluation_finalized", params={"periode": "2026-Y"},
        )  # fmt: skip
        ids.append(note.notification_id)
        env = Envelope.wrap(note)
        notes += [env, env if i % 2 else Envelope.wrap(note)]
        pub = PerformancePublished(regency_id=REGENCY, occurred_at=NOW, pseudonym=f"{i:064x}", period="2026-Q3",
                                   predikat="Baik", unit_kind="puskesmas")  # fmt: skip
        penv = Envelope.wrap(pub)
        public += [penv, penv]
    return notes, public, ids


def size(default: int) -> int:
    return int(os.environ.get("NOTIFY_E2E_N", default))


async def delivered_twice(n: int, make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path) -> None:
    with smtp_server() as sink:
        async with http_receiver() as rec:
            db, kafka, org, secret = await setup(make_database, make_namespace, rec.base + "/ok")
            notes, public, ids = burst(org, n)
            async with notify_process("worker", db, kafka, tmp_path, smtp_port=sink.port):
                await produce(kafka, kafka.topic(NOTIFICATION), notes)
                await produce(kafka, kafka.topic(PUBLIC_PERFORMANCE), public)

                async def done() -> bool:
                    return len(sink.mails) >= n and len(rec.ids("/ok")) >= n

                await wait_until(done, timeout=60 + n / 20, interval=0.5, what=f"{n} e-mails and {n} webhooks")
                await asyncio.sleep(1.5)  # anything extra would arrive now
            [items] = await owner_rows(db, "SELECT count(*) AS n FROM inbox_item")
            assert items["n"] == n
            assert len(sink.mails) <= n and len(sink.by_message_id()) == n
            webhooks = rec.ids("/ok")
            assert len(webhooks) == n  # distinct webhook-ids after dedupe
            events = {r[0].body for r in webhooks.values()}
            assert len(events) == n  # each webhook-id carries a different public event
            extra = sum(len(v) - 1 for v in webhooks.values())
            print(f"\n{n} requests ×2 → {items['n']} inbox items, {len(sink.mails)} e-mails, "  # noqa: T201
                  f"{len(webhooks)} webhook-ids ({extra} repeated deliveries)")  # fmt: skip
            assert set(ids) == {
                r["notification_id"] for r in await owner_rows(db, "SELECT notification_id FROM inbox_item")
            }


async def test_requests_delivered_twice_ci_size(
    make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    await delivered_twice(size(400), make_database, make_namespace, tmp_path)


@pytest.mark.slow
@pytest.mark.timeout(1200)
async def test_ten_thousand_requests_delivered_twice(
    make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    await delivered_twice(size(10_000), make_database, make_namespace, tmp_path)


async def killed_during_burst(
    n: int, make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    with smtp_server() as sink:
        async with http_receiver() as rec:
            db, kafka, org, _ = await setup(make_database, make_namespace, rec.base + "/ok")
            notes, public, ids = burst(org, n)
            # a slower-than-normal worker (small batches) so the kill lands mid-burst
            slow = {"CONSUMER_BATCH_SIZE": "50", "NOTIFY_EMAIL_BATCH": "20", "NOTIFY_WEBHOOK_BATCH": "20",
                    "NOTIFY_EMAIL_CONNECTIONS": "2", "NOTIFY_WEBHOOK_CONCURRENCY": "4"}  # fmt: skip
            async with notify_process("worker", db, kafka, tmp_path, smtp_port=sink.port, extra=slow) as (proc, _):
                await produce(kafka, kafka.topic(NOTIFICATION), notes)
                await produce(kafka, kafka.topic(PUBLIC_PERFORMANCE), public)

                async def midway() -> bool:
                    return len(sink.mails) >= n // 4

                await wait_until(midway, timeout=60 + n / 20, interval=0.05, what="the burst under way")
                proc.send_signal(signal.SIGKILL)
                await asyncio.to_thread(proc.wait, 10)
            at_kill = (len(sink.mails), len(rec.got))
            async with notify_process("worker", db, kafka, tmp_path, smtp_port=sink.port, extra=slow) as (proc, _):

                async def done() -> bool:
                    return len(sink.by_message_id()) >= n and len(rec.ids("/ok")) >= n

                try:
                    await wait_until(done, timeout=90 + n / 10, interval=0.5, what="everything after the restart")
                except AssertionError as e:
                    raise AssertionError(f"{e}\n{await where_it_stopped(db, tmp_path)}") from None
                await asyncio.sleep(1.5)
            rows = await owner_rows(db, "SELECT id, status, attempts FROM email_delivery")
            items = await owner_rows(db, "SELECT notification_id FROM inbox_item")
            assert {r["notification_id"] for r in items} == set(ids) and len(items) == n  # nothing lost, no double
            assert {r["status"] for r in rows} == {"sent"} and len(rows) == n
            counts = sink.by_message_id()
            assert set(counts) == {f"<{r['id']}@kinerja.test>" for r in rows}
            dup_mail = {m for m, c in counts.items() if c > 1}
            resent = {f"<{r['id']}@kinerja.test>" for r in rows if r["attempts"] > 1}
            assert dup_mail <= resent  # every duplicate is a row the dead process had claimed
            assert len(resent) <= 20  # the documented window: one claimed e-mail batch of the killed dispatcher
            hooks = rec.ids("/ok")
            dup_hooks = {k for k, v in hooks.items() if len(v) > 1}
            assert len(hooks) == n and len(dup_hooks) <= 20  # one claimed webhook batch; same webhook-id
            print(f"\nSIGKILL at {at_kill[0]} e-mails / {at_kill[1]} webhooks of {n}: after restart "  # noqa: T201
                  f"{len(items)} inbox items, {len(counts)} distinct e-mails ({len(dup_mail)} duplicated), "
                  f"{len(hooks)} webhook-ids ({len(dup_hooks)} delivered again, receivers dedupe)")  # fmt: skip


async def where_it_stopped(db: ProvisionedDatabase, tmp_path: Path) -> str:
    """What a stalled run left behind: rows per status, the endpoint's circuit, the workers' warnings."""
    state = {
        table: [
            dict(r)
            for r in await owner_rows(
                db, f"SELECT status, count(*) AS n, max(attempts) AS max_attempts FROM {table} GROUP BY status"
            )
        ]  # fmt: skip
        for table in ("email_delivery", "webhook_delivery")
    }
    circuit = [dict(r) for r in await owner_rows(db, "SELECT consecutive_failures, paused_until FROM "
                                                     "webhook_subscription")]  # fmt: skip
    logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in sorted(tmp_path.glob("*.log")))
    return f"state: {state}\ncircuit: {circuit}\n{logs}"


async def test_sigkill_during_burst_ci_size(
    make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    await killed_during_burst(size(400), make_database, make_namespace, tmp_path)


@pytest.mark.slow
@pytest.mark.timeout(1800)
async def test_sigkill_during_ten_thousand(
    make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    await killed_during_burst(size(10_000), make_database, make_namespace, tmp_path)


async def test_bad_requests_go_to_the_dlq_with_reason_and_the_consumer_goes_on(
    make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    with smtp_server() as sink:
        async with http_receiver() as rec:
            db, kafka, org, _ = await setup(make_database, make_namespace, rec.base + "/ok")
            asn = org.staff[0].asn_id

            def note(kind: str, params: dict[str, str]) -> NotificationRequested:
                return NotificationRequested(regency_id=REGENCY, occurred_at=NOW, notification_id=uuid.uuid4(),
                                             asn_id=asn, kind=kind, params=params)  # fmt: skip

            good = note("target_at_risk", {"periode": "2026-Q2"})
            async with notify_process("worker", db, kafka, tmp_path, smtp_port=sink.port):
                await produce(kafka, kafka.topic(NOTIFICATION),
                              [note("lottery_won", {}), note("verification_pending", {}), good])  # fmt: skip

                async def dead() -> bool:
                    return len(await read_all(kafka, dlq_topic(kafka.topic(NOTIFICATION), "notify"))) == 2

                await wait_until(dead, timeout=60, what="two dead letters")

                async def went_on() -> bool:
                    return bool(await owner_rows(db, "SELECT 1 FROM inbox_item WHERE notification_id = $1",
                                                 good.notification_id))  # fmt: skip

                await wait_until(went_on, timeout=30, what="the good request after the bad ones")
            reasons = sorted(
                dict(r.headers)[H_DLQ_ERROR].decode()
                for r in await read_all(kafka, dlq_topic(kafka.topic(NOTIFICATION), "notify"))
            )
            assert {
                dict(r.headers)[H_DLQ_REASON]
                for r in await read_all(kafka, dlq_topic(kafka.topic(NOTIFICATION), "notify"))
            } == {b"handler_rejected"}
            assert "MissingTemplateVariable" in reasons[0] and "jumlah" in reasons[0]
            assert "UnknownKind" in reasons[1] and "lottery_won" in reasons[1]
