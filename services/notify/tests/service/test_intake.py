"""Routing use case on real PostgreSQL: recipients (Table R1), preferences, dedupe per notification id."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from kinerja_notify.domain.errors import MissingTemplateVariable, UnknownKind
from kinerja_notify.entrypoints.subscribers import handlers
from kinerja_notify.service.intake import IntakeResult, Links, accept_requests, sweep_parked
from kinerja_notify.service.loop import PARKED, PARKED_AGE, run_parked_sweep
from kinerja_shared.contracts import Envelope
from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.contracts.org import AsnUpserted
from kinerja_shared.db import ALL_REGENCIES, create_pool, tenant_transaction
from kinerja_shared.messaging.consumer import Received
from kinerja_shared.testing.plugin import MakeDatabase, ProvisionedDatabase

from ..support import NOW, REGENCY, load_org, notify_database, org_facts, owner_rows

pytestmark = [pytest.mark.postgres]
LINKS = Links("https://kinerja.jambiprov.go.id")


def req(
    asn: uuid.UUID, kind: str, params: dict[str, str] | None = None, nid: uuid.UUID | None = None
) -> NotificationRequested:
    return NotificationRequested(
        regency_id=REGENCY, occurred_at=NOW, notification_id=nid or uuid.uuid4(), asn_id=asn, kind=kind,
        params={"periode": "2026-Q3"} if params is None else params, link="/evaluation/pembinaan",
    )  # fmt: skip


async def accept(db: ProvisionedDatabase, requests: list[NotificationRequested]) -> IntakeResult:
    pool = await create_pool(db.app_url)
    try:
        async with tenant_transaction(pool, ALL_REGENCIES) as conn:
            return await accept_requests(conn, requests, now=datetime.now(UTC), links=LINKS)
    finally:
        await pool.close()


async def test_table_r1_mentoring_needed_reaches_asn_superior_and_bkpsdm(make_database: MakeDatabase) -> None:
    db = await notify_database(make_database)
    org = org_facts(2)
    await load_org(db, [org.unit, org.head, org.superior, *org.staff])
    await owner_rows(db, "INSERT INTO hr_admin (regency_id, asn_id, added_by) VALUES ($1, $2, 't') RETURNING 1",
                     REGENCY, org.head.asn_id)  # fmt: skip
    subject = org.staff[0]
    result = await accept(db, [req(subject.asn_id, "mentoring_needed")])
    assert result == IntakeResult(1, 3, 3)
    items = {r["recipient_id"]: r for r in await owner_rows(db, "SELECT * FROM inbox_item")}
    assert {k: v["audience"] for k, v in items.items()} == {
        subject.asn_id: "self",
        org.superior.asn_id: "superior",
        org.head.asn_id: "hr_admin",
    }
    assert "Anda" in items[subject.asn_id]["body"] and "Triwulan III 2026" in items[subject.asn_id]["body"]
    assert "Pegawai Contoh 0" in items[org.superior.asn_id]["body"]
    assert items[subject.asn_id]["link"] == "/evaluation/pembinaan"
    mails = {r["address"]: r for r in await owner_rows(db, "SELECT * FROM email_delivery")}
    assert set(mails) == {subject.email, org.superior.email, org.head.email}
    m = mails[str(subject.email)]
    assert m["status"] == "pending" and not m["digest"] and m["domain"] == "tebokab.go.id"
    assert f"https://kinerja.jambiprov.go.id/notify/buka/{items[subject.asn_id]['id']}" in m["body_text"]
    assert "<h2" in m["body_html"] and "Rencana pembinaan dibuka" in m["subject"]


async def test_same_notification_id_twice_gives_one_item_per_recipient(make_database: MakeDatabase) -> None:
    db = await notify_database(make_database)
    org = org_facts(1)
    await load_org(db, [org.unit, org.head, org.superior, *org.staff])
    r = req(org.staff[0].asn_id, "target_at_risk")
    assert (await accept(db, [r, r])).inbox_items == 2  # within one batch
    assert (await accept(db, [r])).inbox_items == 0  # a later batch (a new event id for the same notification)
    assert len(await owner_rows(db, "SELECT 1 FROM inbox_item")) == 2
    assert len(await owner_rows(db, "SELECT 1 FROM email_delivery")) == 2
    [n] = await owner_rows(db, "SELECT recipients FROM notification")
    assert n["recipients"] == 2


async def test_preferences_user_over_regency_over_r1(make_database: MakeDatabase) -> None:
    db = await notify_database(make_database)
    org = org_facts(2)
    await load_org(db, [org.unit, org.head, org.superior, *org.staff])
    a, b = org.staff
    await owner_rows(
        db,
        "INSERT INTO regency_default (regency_id, kind, email_mode)"
        " VALUES ($1, 'evaluation_finalized', 'digest') RETURNING 1",
        REGENCY,
    )
    await owner_rows(db, "INSERT INTO preference (regency_id, asn_id, kind, email_mode) VALUES ($1, $2,"
                     " 'evaluation_finalized', 'off') RETURNING 1", REGENCY, b.asn_id)  # fmt: skip
    await accept(db, [req(a.asn_id, "evaluation_finalized"), req(b.asn_id, "evaluation_finalized")])
    assert len(await owner_rows(db, "SELECT 1 FROM inbox_item")) == 2  # in-app always
    [m] = await owner_rows(db, "SELECT recipient_id, digest, due_at FROM email_delivery")
    assert m["recipient_id"] == a.asn_id and m["digest"]
    assert m["due_at"].astimezone().hour is not None and m["due_at"] > datetime.now(UTC)


async def test_suppressed_address_is_recorded_not_sent(make_database: MakeDatabase) -> None:
    db = await notify_database(make_database)
    org = org_facts(1)
    await load_org(db, [org.unit, org.head, org.superior, *org.staff])
    await owner_rows(db, "INSERT INTO email_suppression (address, reason) VALUES ($1, 'x') RETURNING 1",
                     org.staff[0].email)  # fmt: skip
    result = await accept(db, [req(org.staff[0].asn_id, "evaluation_finalized")])
    assert result.emails == 0
    [m] = await owner_rows(db, "SELECT status FROM email_delivery")
    assert m["status"] == "suppressed"


async def test_a_request_before_its_org_facts_waits_for_them_then_reaches_everyone(
    make_database: MakeDatabase,
) -> None:
    """Org facts may lag the request (different topics): it is parked, not delivered short of a superior and
    e-mail, and the facts' arrival through the consumer's handler delivers it in full, once."""
    db = await notify_database(make_database)
    org = org_facts(1)
    await load_org(db, [org.unit, org.head, org.superior])  # the new ASN's own fact has not arrived
    subject = org.staff[0]
    early = req(subject.asn_id, "mentoring_needed")
    assert await accept(db, [early]) == IntakeResult(0, 0, 0, parked=1)
    assert await accept(db, [early]) == IntakeResult(0, 0, 0, parked=1)  # redelivered while waiting
    assert await owner_rows(db, "SELECT 1 FROM inbox_item") == []
    [parked] = await owner_rows(db, "SELECT waiting_for FROM notification_parked")
    assert parked["waiting_for"] == [subject.asn_id]

    handler = handlers(LINKS)[AsnUpserted]
    pool = await create_pool(db.app_url)
    try:
        async with tenant_transaction(pool, ALL_REGENCIES) as conn:
            env = Envelope.wrap(subject)
            await handler(conn, [Received(env, subject, uuid.uuid4(), "org", 0, 0, 1)])
    finally:
        await pool.close()
    items = {r["recipient_id"]: r["audience"] for r in await owner_rows(db, "SELECT * FROM inbox_item")}
    assert items == {subject.asn_id: "self", org.superior.asn_id: "superior"}
    mails = {r["address"] for r in await owner_rows(db, "SELECT address FROM email_delivery")}
    assert mails == {subject.email, org.superior.email}
    assert await owner_rows(db, "SELECT 1 FROM notification_parked") == []
    assert await accept(db, [early]) == IntakeResult(0, 0, 0)  # a late redelivery: already delivered


async def test_a_missing_superior_keeps_it_waiting_and_the_sweep_sends_it_after_the_limit(
    make_database: MakeDatabase,
) -> None:
    db = await notify_database(make_database)
    org = org_facts(1)
    await load_org(db, [org.unit, org.head, *org.staff])  # the superior's fact is late
    subject = org.staff[0]
    assert (await accept(db, [req(subject.asn_id, "mentoring_needed")])).parked == 1
    [parked] = await owner_rows(db, "SELECT waiting_for FROM notification_parked")
    assert parked["waiting_for"] == [org.superior.asn_id]
    pool = await create_pool(db.app_url)
    try:
        async with tenant_transaction(pool, ALL_REGENCIES) as conn:
            assert await sweep_parked(conn, now=datetime.now(UTC), links=LINKS, max_age_s=3600) == IntakeResult(0, 0, 0)
        later = datetime.now(UTC) + timedelta(hours=2)
        async with tenant_transaction(pool, ALL_REGENCIES) as conn:
            sent = await sweep_parked(conn, now=later, links=LINKS, max_age_s=3600)
    finally:
        await pool.close()
    # the superior never arrived: whoever is known is told (the subject, by inbox and e-mail)
    assert sent == IntakeResult(1, 2, 1)
    assert {r["recipient_id"] for r in await owner_rows(db, "SELECT * FROM inbox_item")} == {
        subject.asn_id,
        org.superior.asn_id,
    }
    assert await owner_rows(db, "SELECT 1 FROM notification_parked") == []


@pytest.mark.parametrize(
    ("kind", "params", "error"),
    [("lottery_won", {}, UnknownKind), ("verification_pending", {"periode": "2026-Q3"}, MissingTemplateVariable)],
)
async def test_bad_requests_write_nothing(
    make_database: MakeDatabase, kind: str, params: dict[str, str], error: type[Exception]
) -> None:
    db = await notify_database(make_database)
    good = req(uuid.uuid4(), "evaluation_finalized")
    with pytest.raises(error):
        await accept(db, [good, req(uuid.uuid4(), kind, params)])
    assert await owner_rows(db, "SELECT 1 FROM notification") == []


async def test_rls_keeps_regencies_apart(make_database: MakeDatabase) -> None:
    db = await notify_database(make_database)
    org = org_facts(1)
    await load_org(db, [org.unit, org.head, org.superior, *org.staff])
    await accept(db, [req(org.staff[0].asn_id, "evaluation_finalized")])
    pool = await create_pool(db.app_url)
    try:
        async with tenant_transaction(pool, [uuid.uuid4()]) as conn:
            assert await conn.fetchval("SELECT count(*) FROM inbox_item") == 0
        async with tenant_transaction(pool, [REGENCY]) as conn:
            assert await conn.fetchval("SELECT count(*) FROM inbox_item") == 1
    finally:
        await pool.close()


async def test_the_worker_sweep_releases_what_a_concurrent_fact_left_parked_and_reports_it(
    make_database: MakeDatabase,
) -> None:
    """The race the trigger cannot see: the org fact committed by another worker while this request was being
    parked. The sweep loop finds the arrived id, delivers, and its gauges show what still waits."""
    db = await notify_database(make_database)
    org = org_facts(1)
    await load_org(db, [org.unit, org.head, org.superior])
    subject = org.staff[0]
    assert (await accept(db, [req(subject.asn_id, "evaluation_finalized")])).parked == 1

    pool = await create_pool(db.app_url)
    try:

        async def one_pass() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(run_parked_sweep(pool, LINKS, stop, max_age_s=3600, every_s=0.05))
            await asyncio.sleep(0.3)
            stop.set()
            await asyncio.wait_for(task, 10)

        await one_pass()
        assert PARKED._value.get() == 1 and PARKED_AGE._value.get() >= 0  # noqa: SLF001 - the exported gauges
        await load_org(db, [subject])  # straight into the read model: no handler ran
        await one_pass()
    finally:
        await pool.close()
    assert [r["recipient_id"] for r in await owner_rows(db, "SELECT recipient_id FROM inbox_item")] == [subject.asn_id]
    assert PARKED._value.get() == 0  # noqa: SLF001 - reading the gauge the worker exports


async def test_a_parked_request_that_can_no_longer_be_rendered_is_dropped_not_the_org_fact(
    make_database: MakeDatabase,
) -> None:
    db = await notify_database(make_database)
    org = org_facts(1)
    await load_org(db, [org.unit, org.head, org.superior])
    subject = org.staff[0]
    good = req(subject.asn_id, "evaluation_finalized")
    assert (await accept(db, [good])).parked == 1
    gone = req(subject.asn_id, "lottery_won", {})  # a type an older version knew
    await owner_rows(
        db,
        """INSERT INTO notification_parked (notification_id, regency_id, asn_id, request, waiting_for)
           VALUES ($1, $2, $3, $4::text::jsonb, ARRAY[$3]::uuid[]) RETURNING 1""",
        gone.notification_id, REGENCY, subject.asn_id, gone.model_dump_json(),
    )  # fmt: skip
    pool = await create_pool(db.app_url)
    try:
        async with tenant_transaction(pool, ALL_REGENCIES) as conn:
            env = Envelope.wrap(subject)
            await handlers(LINKS)[AsnUpserted](conn, [Received(env, subject, uuid.uuid4(), "org", 0, 0, 1)])
    finally:
        await pool.close()
    assert [r["notification_id"] for r in await owner_rows(db, "SELECT notification_id FROM notification")] == [
        good.notification_id
    ]
    assert await owner_rows(db, "SELECT 1 FROM notification_parked") == []
