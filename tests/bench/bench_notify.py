"""Benchmark of notify's senders against naive sequential ones, on the local PostgreSQL.

    uv run python tests/bench/bench_notify.py           # 4,000 webhooks, 3,000 e-mails (naive: 800 each)
    uv run python tests/bench/bench_notify.py --full    # 20,000 webhooks, 10,000 e-mails (naive: 2,000 each)

What runs: the real WebhookDispatcher and EmailDispatcher of kinerja_notify (claim with SKIP LOCKED and a
recorded lease, send, record every attempt/outcome in PostgreSQL) draining rows queued the way the consumer
queues them. The receivers are real servers in their own processes on loopback: an HTTP endpoint (plain asyncio)
that checks nothing and answers 200, and an SMTP server (aiosmtpd) that accepts every message. The naive
senders do the same job one row at a time: read the row, sign/compose, send (a new SMTP session per e-mail,
as `aiosmtplib.send` does), update the row. Rates are rows recorded as delivered per second of wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))
from _infra import admin_dsn, bench_database, drop_database  # noqa: E402 - the bench folder is not a package


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# ------------------------------------------------------------------ receivers (their own processes)


def _serve_http(port: int) -> None:
    """A keep-alive HTTP/1.1 endpoint answering 200 to every POST, as cheap as possible, so the figures
    measure the sender rather than the receiver (a pure-Python framework server is slower than our client)."""

    async def conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(conn, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def _serve_smtp(port: int) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        n = 0

        async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]  # noqa: N802
            Sink.n += 1
            return "250 OK"

    c = Controller(Sink(), hostname="127.0.0.1", port=port)
    c.start()
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    while not stop:
        time.sleep(0.2)
    c.stop()
    sys.stdout.write(f"{Sink.n}\n")


def _spawn(kind: str, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(HERE), f"--serve-{kind}", str(port)], stdout=subprocess.PIPE)


def _wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"receiver on port {port} did not start")


# ------------------------------------------------------------------ database


async def _database() -> tuple[str, str, str]:
    from kinerja_notify.bootstrap import DEFINITION
    from kinerja_shared.db import load_migrations, migrate, shared_migrations
    from kinerja_shared.readmodels.org import MIGRATIONS_DIR

    admin = admin_dsn()
    app, owner = await bench_database(admin)
    await migrate(
        owner,
        shared_migrations()
        + load_migrations(MIGRATIONS_DIR, "shared-org")
        + load_migrations(DEFINITION.migrations_dir, "notify"),
    )
    return admin, app, owner


async def _queue_webhooks(pool: asyncpg.Pool, url: str, n: int) -> str:
    from kinerja_notify.service.subscriptions import new_secret

    secret = new_secret()
    sid = uuid.uuid4()
    body = '{"type":"id.kinerja.public.performance_published.v1","timestamp":"2026-11-27T08:00:00+07:00","data":{}}'
    await pool.execute(
        "INSERT INTO webhook_subscription (id, url, event_types, secret, created_by) VALUES ($1, $2, $3, $4, 'bench')",
        sid, url, ["id.kinerja.public.performance_published.v1"], secret,
    )  # fmt: skip
    await pool.copy_records_to_table(
        "webhook_delivery",
        records=[
            (uuid.uuid4(), sid, uuid.uuid4(), "id.kinerja.public.performance_published.v1", uuid.uuid4(), body)
            for _ in range(n)
        ],  # fmt: skip
        columns=["id", "subscription_id", "event_id", "event_type", "regency_id", "payload"],
    )
    return secret


async def _queue_emails(pool: asyncpg.Pool, n: int, domains: int) -> None:
    from kinerja_notify.domain.email import compose
    from kinerja_notify.domain.messages import Message

    msg = Message("Hasil evaluasi periode Tahun 2026 sudah final", "Hasil evaluasi kinerja Anda sudah final.")
    c = compose(
        "Pegawai Contoh", msg, "https://kinerja.example/notify/buka/x", "https://kinerja.example/notify/pengaturan"
    )
    now = datetime.now(UTC)
    regency = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', true)")
        rows = [
            (uuid.uuid4(), regency, uuid.uuid4(), uuid.uuid4(), f"pegawai{i}@opd{i % domains}.kab.example",
             f"opd{i % domains}.kab.example", c.subject, c.text, c.html, now)
            for i in range(n)
        ]  # fmt: skip
        # COPY does not run under row-level security: one INSERT from arrays instead
        await conn.execute(
            """INSERT INTO email_delivery (id, regency_id, notification_id, recipient_id, address, domain, subject,
                                           body_text, body_html, due_at)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[],
                                    $7::text[], $8::text[], $9::text[], $10::timestamptz[])""",
            *zip(*rows, strict=True),
        )


async def _count(pool: asyncpg.Pool, sql: str) -> int:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', true)")
        n: int = await conn.fetchval(sql)
        return n


# ------------------------------------------------------------------ the phases


async def bench_webhooks(pool: asyncpg.Pool, url: str, n: int, n_naive: int) -> tuple[float, float]:
    import httpx

    from kinerja_notify.adapters.webhook_http import HttpPoster
    from kinerja_notify.service.webhook_dispatch import WebhookDispatcher, WebhookPolicy, sign

    await _queue_webhooks(pool, url, n)
    poster = HttpPoster(timeout_s=10, concurrency=64, allow_private=True)
    policy = WebhookPolicy(batch=500, max_attempts=8, lease_s=120, retry_base_s=30, retry_max_s=3600,
                           circuit_threshold=5, circuit_pause_s=300)  # fmt: skip
    d = WebhookDispatcher(pool, poster, policy)
    t = time.perf_counter()
    while await d.step():
        pass
    while await d.step():
        pass
    real = time.perf_counter() - t
    await poster.close()
    delivered = await _count(pool, "SELECT count(*) FROM webhook_delivery WHERE status = 'delivered'")
    assert delivered == n, f"only {delivered} of {n} delivered"

    await pool.execute("DELETE FROM webhook_subscription")  # cascades to deliveries and attempts
    await _queue_webhooks(pool, url, n_naive)
    t = time.perf_counter()
    async with httpx.AsyncClient() as client:
        rows = await pool.fetch(
            "SELECT d.id, d.payload, s.url, s.secret FROM webhook_delivery d"
            " JOIN webhook_subscription s ON s.id = d.subscription_id WHERE d.status = 'pending'"
        )
        for r in rows:  # one at a time: sign, POST, record
            headers = sign(r["secret"], str(r["id"]), datetime.now(UTC), r["payload"])
            resp = await client.post(r["url"], content=r["payload"], headers=headers)
            await pool.execute(
                "UPDATE webhook_delivery SET status = 'delivered', attempts = 1, last_status = $2,"
                " delivered_at = now() WHERE id = $1",
                r["id"], resp.status_code,
            )  # fmt: skip
    naive = time.perf_counter() - t
    return n / real, n_naive / naive


async def bench_emails(pool: asyncpg.Pool, port: int, n: int, n_naive: int, domains: int) -> tuple[float, float]:
    import aiosmtplib

    from kinerja_notify.adapters.smtp import OutgoingMail, SmtpSender, build_message
    from kinerja_notify.domain.ratelimit import DomainRateLimiter
    from kinerja_notify.service.email_dispatch import EmailDispatcher, EmailPolicy
    from kinerja_notify.service.intake import Links
    from kinerja_notify.settings import NotifySettings

    settings = NotifySettings(smtp_port=port, mail_from="Kinerja <noreply@kinerja.example>", email_connections=16)
    await _queue_emails(pool, n, domains)
    sender = SmtpSender(settings)
    # the per-domain limit stays on, at a rate a regency's mail server can take; spread over `domains` OPDs
    d = EmailDispatcher(pool, sender, DomainRateLimiter(rate=200, burst=200),
                        EmailPolicy(batch=400, max_attempts=6, lease_s=120, retry_base_s=30, retry_max_s=3600,
                                    message_domain="kinerja.example"), Links("https://kinerja.example"))  # fmt: skip
    t = time.perf_counter()
    while await _count(pool, "SELECT count(*) FROM email_delivery WHERE status <> 'sent'"):
        if not await d.step():
            await asyncio.sleep(0.01)
    real = time.perf_counter() - t
    await sender.close()

    await _count(pool, "WITH d AS (DELETE FROM email_delivery RETURNING 1) SELECT count(*) FROM d")
    await _queue_emails(pool, n_naive, domains)
    t = time.perf_counter()
    async with pool.acquire() as conn:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        rows = await conn.fetch("SELECT id, address, subject, body_text, body_html FROM email_delivery")
        for r in rows:  # one at a time: a fresh SMTP session per message, then record
            msg = build_message(OutgoingMail(r["address"], r["subject"], r["body_text"], r["body_html"],
                                             f"<{r['id']}@kinerja.example>"), settings.mail_from)  # fmt: skip
            await aiosmtplib.send(
                msg,
                sender="noreply@kinerja.example",
                recipients=[r["address"]],
                hostname="127.0.0.1",
                port=port,
                start_tls=False,
            )
            await conn.execute("UPDATE email_delivery SET status = 'sent', attempts = 1, sent_at = now() WHERE id = $1",
                               r["id"])  # fmt: skip
    naive = time.perf_counter() - t
    return n / real, n_naive / naive


async def main(args: argparse.Namespace) -> None:
    from kinerja_shared.db import create_pool

    n_hooks, n_mails, n_naive = (20_000, 10_000, 2_000) if args.full else (4_000, 3_000, 800)
    http_port, smtp_port = _free_port(), _free_port()
    receivers = [_spawn("http", http_port), _spawn("smtp", smtp_port)]
    admin, app, _owner = await _database()
    try:
        _wait_port(http_port)
        _wait_port(smtp_port)
        pool = await create_pool(app, max_size=5)
        try:
            w_real, w_naive = await bench_webhooks(pool, f"http://127.0.0.1:{http_port}/hook", n_hooks, n_naive)
            e_real, e_naive = await bench_emails(pool, smtp_port, n_mails, n_naive, domains=10)
        finally:
            await pool.close()
    finally:
        for p in receivers:
            p.send_signal(signal.SIGTERM)
        smtp_out = receivers[1].communicate(timeout=20)[0].decode().strip()
        receivers[0].wait(20)
        await drop_database(admin, app)
    print(f"cpu cores: {os.cpu_count()}; load average now: {os.getloadavg()[0]:.2f}")  # noqa: T201
    print(f"webhooks  dispatcher: {w_real:8.0f}/s ({n_hooks:,} deliveries)   "  # noqa: T201
          f"naive sequential: {w_naive:6.0f}/s ({n_naive:,})   ratio ×{w_real / w_naive:.1f}")  # fmt: skip
    print(f"e-mails   dispatcher: {e_real:8.0f}/s ({n_mails:,} messages)     "  # noqa: T201
          f"naive sequential: {e_naive:6.0f}/s ({n_naive:,})   ratio ×{e_real / e_naive:.1f}")  # fmt: skip
    print(f"SMTP server received {smtp_out} messages in total (both phases)")  # noqa: T201


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="the full size (20k webhooks, 10k e-mails)")
    parser.add_argument("--serve-http", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-smtp", type=int, help=argparse.SUPPRESS)
    a = parser.parse_args()
    if a.serve_http:
        _serve_http(a.serve_http)
    elif a.serve_smtp:
        _serve_smtp(a.serve_smtp)
    else:
        asyncio.run(main(a))
