"""Real outside parties for notify's tests: an SMTP server (aiosmtpd) and an HTTP webhook receiver (uvicorn)."""

from __future__ import annotations

import asyncio
import contextlib
import email
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from typing import Any

import asyncpg
import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from kinerja_notify.bootstrap import DEFINITION
from kinerja_shared.contracts.org import AsnUpserted, Gender, Location, UnitUpserted
from kinerja_shared.db import connect, load_migrations, migrate
from kinerja_shared.readmodels.org import MIGRATIONS_DIR as ORG_MIGRATIONS
from kinerja_shared.testing.plugin import MakeDatabase, ProvisionedDatabase
from kinerja_shared.testing.processes import free_port, run_service


async def notify_database(make_database: MakeDatabase) -> ProvisionedDatabase:
    """A fresh database migrated exactly as the notify processes would (shared, org read model, notify)."""
    db = await make_database()
    await migrate(
        db.owner_url,
        load_migrations(ORG_MIGRATIONS, "shared-org") + load_migrations(DEFINITION.migrations_dir, DEFINITION.name),
    )
    return db


async def owner_rows(db: ProvisionedDatabase, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await connect(db.owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


@dataclass
class Mail:
    message_id: str
    to: list[str]
    message: Message


@dataclass
class SmtpSink:
    """What arrived, in order. Addresses starting 'tolak' are refused (550), 'sibuk' deferred (451)."""

    mails: list[Mail] = field(default_factory=list)
    port: int = 0

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.startswith("tolak"):
            return "550 5.1.1 Mailbox tidak ada"
        if address.startswith("sibuk"):
            return "451 4.3.0 Coba lagi nanti"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        assert isinstance(envelope.content, bytes)
        msg = email.message_from_bytes(envelope.content)
        self.mails.append(Mail(str(msg["Message-ID"]), list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"

    def by_message_id(self) -> Counter[str]:
        return Counter(m.message_id for m in self.mails)


@contextlib.contextmanager
def smtp_server() -> Any:
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sink.port = port
    try:
        yield sink
    finally:
        controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An agency's endpoint. /ok → 200; /flaky → 500 the first time a webhook-id comes, then 200;
    /fail → always 500; /slow → sleeps past any sane timeout."""

    port: int = 0
    got: list[Received] = field(default_factory=list)
    seen: Counter[str] = field(default_factory=Counter)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            m = await receive()
            body += m.get("body", b"")
            if not m.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        path = scope["path"]
        self.got.append(Received(path, headers, body))
        wid = headers.get("webhook-id", "")
        self.seen[f"{path}:{wid}"] += 1
        code = 200
        if path == "/fail" or (path == "/flaky" and self.seen[f"{path}:{wid}"] == 1):
            code = 500
        if path == "/slow":
            await asyncio.sleep(5)
        await send({"type": "http.response.start", "status": code, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok" if code == 200 else b"gagal"})

    def ids(self, path: str) -> dict[str, list[Received]]:
        out: dict[str, list[Received]] = defaultdict(list)
        for r in self.got:
            if r.path == path:
                out[r.headers["webhook-id"]].append(r)
        return out


@contextlib.asynccontextmanager
async def http_receiver() -> AsyncIterator[Receiver]:
    rec = Receiver(port=free_port())
    server = uvicorn.Server(uvicorn.Config(rec, host="127.0.0.1", port=rec.port, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield rec
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


REGENCY = uuid.uuid4()
NOW = datetime.now(UTC)


@dataclass
class Org:
    unit: UnitUpserted
    head: AsnUpserted
    superior: AsnUpserted
    staff: list[AsnUpserted]


def org_facts(n_staff: int = 3, *, regency: uuid.UUID = REGENCY, domain: str = "tebokab.go.id") -> Org:
    """A puskesmas with a head, a superior, and staff (synthetic people, clearly fake)."""
    unit_id = uuid.uuid4()
    head = _asn("Kepala Puskesmas (contoh)", f"kepala.{unit_id.hex[:6]}@{domain}", unit_id, None, regency)
    superior = _asn("Atasan Contoh", f"atasan.{unit_id.hex[:6]}@{domain}", unit_id, head.asn_id, regency)
    staff = [
        _asn(f"Pegawai Contoh {i}", f"pegawai{i}.{unit_id.hex[:6]}@{domain}", unit_id, superior.asn_id, regency)
        for i in range(n_staff)
    ]
    unit = UnitUpserted(
        regency_id=regency, occurred_at=NOW, unit_id=unit_id, name="Puskesmas Muara Tebo", kind="puskesmas",
        public_facing=True, head_asn_id=head.asn_id,
    )  # fmt: skip
    return Org(unit, head, superior, staff)


def _asn(name: str, mail: str | None, unit: uuid.UUID, sup: uuid.UUID | None, regency: uuid.UUID) -> AsnUpserted:
    return AsnUpserted(
        regency_id=regency, occurred_at=NOW, asn_id=uuid.uuid4(), name=name, email=mail, unit_id=unit,
        position_title="Perawat Ahli Pertama", grade="III/a", position_class=8, superior_id=sup,
        gender=Gender.P, location=Location.RURAL,
    )  # fmt: skip


async def load_org(db: ProvisionedDatabase, facts: Iterable[UnitUpserted | AsnUpserted]) -> None:
    """Write org facts straight into the read model (what the consumer does for kinerja.org.v1)."""
    conn = await connect(db.owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        for f in facts:
            if isinstance(f, UnitUpserted):
                await conn.execute(
                    """INSERT INTO org_unit (unit_id, regency_id, parent_id, name, kind, public_facing, head_asn_id,
                       version) VALUES ($1, $2, NULL, $3, $4, $5, $6, $7)""",
                    f.unit_id, f.regency_id, f.name, f.kind, f.public_facing, f.head_asn_id, f.occurred_at,
                )  # fmt: skip
            else:
                await conn.execute(
                    """INSERT INTO org_asn (asn_id, regency_id, name, email, unit_id, position_title, grade,
                       position_class, superior_id, gender, location, active, version)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)""",
                    f.asn_id, f.regency_id, f.name, f.email, f.unit_id, f.position_title, f.grade,
                    f.position_class, f.superior_id, f.gender.value, f.location.value, f.active, f.occurred_at,
                )  # fmt: skip
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def notify_process(
    role: str,
    db: ProvisionedDatabase,
    kafka: Any,
    tmp: Any,
    *,
    smtp_port: int = 25,
    extra: dict[str, str] | None = None,
) -> AsyncIterator[tuple[Any, str]]:
    """`python -m kinerja_notify <role>` against the test database and namespace; SIGTERM on exit."""
    env = {
        "NOTIFY_SMTP_PORT": str(smtp_port),
        "NOTIFY_MAIL_FROM": "Kinerja <noreply@kinerja.test>",
        "NOTIFY_EMAIL_DOMAIN_RATE": "100000",
        "NOTIFY_EMAIL_DOMAIN_BURST": "100000",
        "NOTIFY_DISPATCH_POLL_S": "0.2",
        "NOTIFY_RETRY_BASE_S": "0.2",
        "NOTIFY_RETRY_MAX_S": "1",
        "NOTIFY_SEND_LEASE_S": "3",
        # the circuit and the give-up counts are exercised in test_dispatch; here a hiccup of a loaded CI
        # machine must not park a receiver for the production 5 minutes or spend a mail's last attempt
        "NOTIFY_CIRCUIT_PAUSE_S": "2",
        "NOTIFY_EMAIL_MAX_ATTEMPTS": "30",
        "NOTIFY_WEBHOOK_MAX_ATTEMPTS": "30",
        "LOG_LEVEL": "WARNING",
    } | (extra or {})
    # a test may SIGKILL the process itself (crash scenarios): exit 0 or -9 are both clean endings here
    async with run_service("notify", role, db, kafka, tmp, env=env, expect_clean_exit=False) as sp:
        yield sp.proc, sp.base_url
    assert sp.proc.returncode in (0, -9), f"notify {role} exited {sp.proc.returncode}: {sp.log()[-3000:]}"
