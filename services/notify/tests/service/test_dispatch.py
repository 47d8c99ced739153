"""Senders against real outside parties: aiosmtpd (SMTP) and a uvicorn receiver (webhooks) on loopback."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
import orjson
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from kinerja_notify.adapters.smtp import SmtpSender
from kinerja_notify.adapters.webhook_http import HttpPoster, check_target
from kinerja_notify.domain.errors import UnsafeWebhookTarget
from kinerja_notify.domain.ratelimit import DomainRateLimiter
from kinerja_notify.service.email_dispatch import EmailDispatcher, EmailPolicy
from kinerja_notify.service.intake import Links, PublicEvent, accept_public_events, accept_requests
from kinerja_notify.service.ports import OutgoingMail, SendOutcome
from kinerja_notify.service.subscriptions import create_subscription, deliveries, redeliver
from kinerja_notify.service.webhook_dispatch import WebhookDispatcher, WebhookPolicy
from kinerja_notify.settings import NotifySettings
from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.contracts.public import PerformancePublished
from kinerja_shared.db import ALL_REGENCIES, create_pool, tenant_transaction
from kinerja_shared.testing.helpers import wait_until
from kinerja_shared.testing.plugin import MakeDatabase

from ..support import (
    NOW,
    REGENCY,
    SmtpSink,
    http_receiver,
    load_org,
    notify_database,
    org_facts,
    owner_rows,
    smtp_server,
)

pytestmark = [pytest.mark.postgres]
LINKS = Links("https://kinerja.jambiprov.go.id")
TYPE = PerformancePublished.type


def settings(port: int, **kw: object) -> NotifySettings:
    return NotifySettings(smtp_host="127.0.0.1", smtp_port=port, mail_from="Kinerja <noreply@kinerja.test>", **kw)


def email_dispatcher(pool: asyncpg.Pool, sender: object, *, batch: int = 100, lease_s: float = 60,
                     rate: float = 1000, burst: float = 1000, max_attempts: int = 3) -> EmailDispatcher:  # fmt: skip
    policy = EmailPolicy(batch=batch, max_attempts=max_attempts, lease_s=lease_s, retry_base_s=0.05, retry_max_s=0.2,
                         message_domain="kinerja.test")  # fmt: skip
    return EmailDispatcher(pool, sender, DomainRateLimiter(rate=rate, burst=burst), policy, LINKS)  # type: ignore[arg-type]


async def queue_emails(pool: asyncpg.Pool, asns: Sequence[uuid.UUID]) -> None:
    reqs = [
        NotificationRequested(regency_id=REGENCY, occurred_at=NOW, notification_id=uuid.uuid4(), asn_id=a,
                              kind="evaluation_finalized", params={"periode": "2026-Y"})
        for a in asns
    ]  # fmt: skip
    async with tenant_transaction(pool, ALL_REGENCIES) as conn:
        await accept_requests(conn, reqs, now=datetime.now(UTC), links=LINKS)


async def test_emails_go_out_over_smtp_html_and_text(make_database: MakeDatabase) -> None:
    db = await notify_database(make_database)
    org = org_facts(3)
    await load_org(db, [org.unit, org.head, org.superior, *org.staff])
    pool = await create_pool(db.app_url)
    with smtp_server() as sink:
        sender = SmtpSender(settings(sink.port))
        try:
            await queue_emails(pool, [s.asn_id for s in org.staff])
            assert await email_dispatcher(pool, sender).step() is False  # not a full batch
        finally:
            await sender.close()
            await pool.close()
    assert sorted(m.to[0] for m in sink.mails) == sorted(str(s.email) for s in org.staff)
    msg = sink.mails[0].message
    assert msg["Subject"] == "[Kinerja] Hasil evaluasi periode Tahun 2026 sudah final"
    assert msg.get_content_type() == "multipart/alternative"
    kinds = [p.get_content_type() for p in msg.walk()]
    assert "text/plain" in kinds and "text/html" in kinds
    rows = await owner_rows(db, "SELECT id, status, attempts, sent_as, smtp_code FROM email_delivery")
    assert {(r["status"], r["attempts"], r["smtp_code"]) for r in rows} == {("sent", 1, 250)}
    assert {r["sent_as"] for r in rows} == {f"<{r['id']}@kinerja.test>" for r in rows} == set(sink.by_message_id())


async def test_hard_bounce_is_recorded_and_suppressed_soft_is_retried(make_database: MakeDatabase) -> None:
    db = await notify_database(make_database)
    org = org_facts(0)
    hard = (
        org_facts(1, domain="jambiprov.go.id")
        .staff[0]
        .model_copy(update={"email": "tolak@jambiprov.go.id", "unit_id": org.unit.unit_id})
    )
    soft = hard.model_copy(update={"asn_id": uuid.uuid4(), "email": "sibuk@jambiprov.go.id"})
    await load_org(db, [org.unit, hard, soft])
    pool = await create_pool(db.app_url)
    with smtp_server() as sink:
        sender = SmtpSender(settings(sink.port))
        try:
            await queue_emails(pool, [hard.asn_id, soft.asn_id])
            d = email_dispatcher(pool, sender, max_attempts=2)
            await d.step()
            status = {r["address"]: r for r in await owner_rows(db, "SELECT * FROM email_delivery")}
            assert (
                status["tolak@jambiprov.go.id"]["status"] == "bounced"
                and status["tolak@jambiprov.go.id"]["smtp_code"] == 550
            )
            assert (
                status["sibuk@jambiprov.go.id"]["status"] == "pending"
                and status["sibuk@jambiprov.go.id"]["smtp_code"] == 451
            )
            await asyncio.sleep(0.25)  # past the retry delay
            await d.step()
        finally:
            await sender.close()
            await pool.close()
    assert sink.mails == []
    final = {r["address"]: r for r in await owner_rows(db, "SELECT * FROM email_delivery")}
    assert (final["sibuk@jambiprov.go.id"]["status"], final["sibuk@jambiprov.go.id"]["attempts"]) == ("failed", 2)
    [bounce] = await owner_rows(db, "SELECT address, hard, smtp_code FROM email_bounce")
    assert (bounce["address"], bounce["hard"], bounce["smtp_code"]) == ("tolak@jambiprov.go.id", True, 550)
    assert [r["address"] for r in await owner_rows(db, "SELECT address FROM email_suppression")] == [
        "tolak@jambiprov.go.id"
    ]


class CrashAfterSend:
    """Sends for real, then dies before the dispatcher can record the outcome: the crash window."""

    def __init__(self, real: SmtpSender) -> None:
        self.real = real

    async def send_many(self, mails: Sequence[OutgoingMail], list_unsubscribe: str | None = None) -> list[SendOutcome]:
        await self.real.send_many(mails, list_unsubscribe)
        raise SystemExit("killed")


async def test_crash_between_smtp_and_record_resends_only_that_batch(make_database: MakeDatabase) -> None:
    db = await notify_database(make_database)
    org = org_facts(7)
    await load_org(db, [org.unit, org.head, org.superior, *org.staff])
    pool = await create_pool(db.app_url)
    with smtp_server() as sink:
        sender = SmtpSender(settings(sink.port))
        try:
            await queue_emails(pool, [s.asn_id for s in org.staff])
            with pytest.raises(SystemExit):
                await email_dispatcher(pool, CrashAfterSend(sender), batch=3, lease_s=0.5).step()
            sending = await owner_rows(db, "SELECT id FROM email_delivery WHERE status = 'sending'")
            assert len(sending) == 3  # the claim was recorded before SMTP
            survivor = email_dispatcher(pool, sender, batch=3, lease_s=0.5)
            await survivor.step()  # the other four first; the crashed three are still leased
            await asyncio.sleep(0.6)
            while await survivor.step():
                pass
            await survivor.step()
        finally:
            await sender.close()
            await pool.close()
    counts = sink.by_message_id()
    rows = await owner_rows(db, "SELECT id, status, attempts FROM email_delivery")
    assert {r["status"] for r in rows} == {"sent"}  # nothing lost
    dupes = {mid for mid, n in counts.items() if n > 1}
    assert dupes == {f"<{r['id']}@kinerja.test>" for r in sending}  # duplicates: exactly the crashed batch
    assert {f"<{r['id']}@kinerja.test>" for r in rows if r["attempts"] == 2} == dupes  # and visible as such
    assert len(sink.mails) == 7 + 3


async def test_per_domain_rate_limit_defers_without_counting_an_attempt(make_database: MakeDatabase) -> None:
    db = await notify_database(make_database)
    org = org_facts(6)
    await load_org(db, [org.unit, org.head, org.superior, *org.staff])
    pool = await create_pool(db.app_url)
    with smtp_server() as sink:
        sender = SmtpSender(settings(sink.port))
        try:
            await queue_emails(pool, [s.asn_id for s in org.staff])
            d = email_dispatcher(pool, sender, rate=20, burst=2)
            await d.step()
            assert len(sink.mails) == 2
            held = await owner_rows(db, "SELECT attempts FROM email_delivery WHERE status = 'pending'")
            assert [r["attempts"] for r in held] == [0, 0, 0, 0]

            async def all_sent() -> bool:
                await d.step()
                return len(sink.mails) == 6

            await wait_until(all_sent, timeout=10, interval=0.05, what="rate-limited mails")
        finally:
            await sender.close()
            await pool.close()


def webhook_dispatcher(pool: asyncpg.Pool, poster: HttpPoster, **kw: float) -> WebhookDispatcher:
    policy = WebhookPolicy(batch=int(kw.get("batch", 100)), max_attempts=int(kw.get("max_attempts", 5)), lease_s=30,
                           retry_base_s=0.05, retry_max_s=0.1, circuit_threshold=int(kw.get("threshold", 3)),
                           circuit_pause_s=kw.get("pause", 60))  # fmt: skip
    return WebhookDispatcher(pool, poster, policy)


def published(regency: uuid.UUID = REGENCY) -> PublicEvent:
    ev = PerformancePublished(regency_id=regency, occurred_at=NOW, pseudonym="ab" * 32, period="2026-Q3",
                              predikat="Baik", unit_kind="puskesmas")  # fmt: skip
    return PublicEvent(uuid.uuid4(), TYPE, regency, NOW, ev.model_dump_json().encode())


async def allow(_: str) -> None:
    return None


async def subscribe(pool: asyncpg.Pool, url: str, regencies: Sequence[uuid.UUID] = ()) -> tuple[uuid.UUID, str]:
    sub, secret = await create_subscription(pool, url=url, description="BKN", event_types=[TYPE],
                                            regency_ids=regencies, created_by="t", known_types=[TYPE],
                                            check_target=allow)  # fmt: skip
    return sub.id, secret


async def enqueue(pool: asyncpg.Pool, events: Sequence[PublicEvent]) -> int:
    async with tenant_transaction(pool, ALL_REGENCIES) as conn:
        return await accept_public_events(conn, events)


async def test_receiver_500_then_200_gets_it_on_retry_same_webhook_id_signed(make_database: MakeDatabase) -> None:
    db = await notify_database(make_database)
    pool = await create_pool(db.app_url)
    poster = HttpPoster(timeout_s=2, concurrency=8, allow_private=True)
    try:
        async with http_receiver() as rec:
            sid, secret = await subscribe(pool, rec.base + "/flaky")
            other_regency, _ = await subscribe(pool, rec.base + "/ok", [uuid.uuid4()])
            ev = published()
            assert await enqueue(pool, [ev, ev]) == 2  # the regency filter leaves the other subscription out
            d = webhook_dispatcher(pool, poster)
            await d.step()
            await asyncio.sleep(0.15)
            await d.step()
            [got] = await deliveries(pool, sid)
            assert got.status == "delivered" and [a.status_code for a in got.log] == [500, 200]
            calls = rec.ids("/flaky")[str(got.id)]
            assert len(calls) == 2  # both carried the same webhook-id: the receiver dedupes on it
            assert rec.ids("/ok") == {}
            body = calls[1].body
            payload = Webhook(secret).verify(body, calls[1].headers)
            assert payload["type"] == TYPE and payload["data"]["pseudonym"] == "ab" * 32
            assert "asn_id" not in orjson.loads(body)["data"]  # pseudonymised public event only
            with pytest.raises(WebhookVerificationError):
                Webhook("whsec_" + "QUJD" * 8).verify(body, calls[1].headers)
            tampered = dict(calls[1].headers) | {"webhook-id": str(uuid.uuid4())}
            with pytest.raises(WebhookVerificationError):
                Webhook(secret).verify(body, tampered)
            assert other_regency
    finally:
        await poster.close()
        await pool.close()


async def test_always_failing_endpoint_ends_in_dlq_and_is_paused(make_database: MakeDatabase) -> None:
    db = await notify_database(make_database)
    pool = await create_pool(db.app_url)
    poster = HttpPoster(timeout_s=2, concurrency=8, allow_private=True)
    try:
        async with http_receiver() as rec:
            sid, _ = await subscribe(pool, rec.base + "/fail")
            await enqueue(pool, [published()])
            d = webhook_dispatcher(pool, poster, max_attempts=3, threshold=10)

            async def dead() -> bool:
                await d.step()
                return [x.status for x in await deliveries(pool, sid)] == ["dead"]

            await wait_until(dead, timeout=10, interval=0.1, what="delivery dead-lettered")
            [x] = await deliveries(pool, sid, status="dead")
            assert [a.status_code for a in x.log] == [500, 500, 500] and x.last_error == "HTTP 500"
            # more events keep failing until the circuit opens: threshold 10 failures in a row
            await enqueue(pool, [published() for _ in range(8)])
            await d.step()
            [sub] = await owner_rows(db, "SELECT consecutive_failures, paused_until FROM webhook_subscription")
            assert sub["consecutive_failures"] == 10 and sub["paused_until"] > datetime.now(UTC)
            before = len(rec.got)
            await asyncio.sleep(0.15)
            await d.step()
            assert len(rec.got) == before  # paused: nothing is sent
            # manual redeliver of the dead one keeps its webhook-id; it waits while the endpoint is paused
            again = await redeliver(pool, x.id)
            assert again is not None and again.status == "pending" and again.id == x.id
    finally:
        await poster.close()
        await pool.close()


async def test_ssrf_guard_and_timeouts() -> None:
    for url in ("http://127.0.0.1:9/x", "http://localhost/x", "http://169.254.169.254/latest", "ftp://bkn.go.id/"):
        with pytest.raises(UnsafeWebhookTarget):
            await check_target(url, allow_private=False)
    await check_target("http://127.0.0.1:9/x", allow_private=True)
    production = HttpPoster(timeout_s=0.3, concurrency=1, allow_private=False)
    test_mode = HttpPoster(timeout_s=0.3, concurrency=1, allow_private=True)
    try:
        async with http_receiver() as rec:
            refused = await production.post(rec.base + "/ok", "{}", {})
            assert refused.status is None and refused.error and "privat" in refused.error and rec.got == []
            slow = await test_mode.post(rec.base + "/slow", "{}", {})
            assert slow.status is None and slow.error and "timeout" in slow.error
    finally:
        await production.close()
        await test_mode.close()


async def test_a_connection_the_receiver_just_closed_is_retried_once_not_failed() -> None:
    """A receiver that drops the connection after reading the request (a keep-alive closing under us), then
    answers on a fresh one: one delivery, status 200, no failed attempt (a failure would count on the circuit)."""
    seen: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        seen.append(1)
        if len(seen) > 1:
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    poster = HttpPoster(timeout_s=2, concurrency=1, allow_private=True)
    try:
        outcome = await poster.post(f"http://127.0.0.1:{port}/hook", "{}", {})
        assert outcome.status == 200 and outcome.error is None and len(seen) == 2
        server.close()
        await server.wait_closed()
        refused = await poster.post(f"http://127.0.0.1:{port}/hook", "{}", {})
        assert refused.status is None and refused.error and "Connect" in refused.error  # not retried
    finally:
        await poster.close()


def test_settings_refuse_two_tls_modes() -> None:
    with pytest.raises(ValueError, match="STARTTLS"):
        NotifySettings(smtp_tls=True, smtp_starttls=True)


__all__ = ["SmtpSink"]


async def test_daily_digest_is_one_email_per_person(make_database: MakeDatabase) -> None:
    db = await notify_database(make_database)
    org = org_facts(2)
    await load_org(db, [org.unit, org.head, org.superior, *org.staff])
    a, b = org.staff
    await owner_rows(
        db,
        "INSERT INTO preference (regency_id, asn_id, kind, email_mode) VALUES ($1, $2, 'evaluation_finalized',"
        " 'digest') RETURNING 1",
        REGENCY,
        a.asn_id,
    )
    pool = await create_pool(db.app_url)
    with smtp_server() as sink:
        sender = SmtpSender(settings(sink.port))
        try:
            await queue_emails(pool, [a.asn_id, a.asn_id, b.asn_id])
            d = email_dispatcher(pool, sender)
            await d.step()
            assert [m.to for m in sink.mails] == [[str(b.email)]]  # a's wait for 07:00 WIB
            await owner_rows(db, "UPDATE email_delivery SET due_at = now() WHERE digest RETURNING 1")
            await d.step()
        finally:
            await sender.close()
            await pool.close()
    digest = sink.mails[1]
    assert digest.to == [str(a.email)] and "Ringkasan harian: 2" in str(digest.message["Subject"])
    rows = await owner_rows(db, "SELECT status, sent_as FROM email_delivery WHERE digest")
    assert {r["status"] for r in rows} == {"sent"} and {r["sent_as"] for r in rows} == {digest.message_id}
