"""Routing use case on real PostgreSQL: recipients (Table R1), preferences, dedupe per notification id."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from kinerja_notify.domain.errors import MissingTemplateVariable, UnknownKind
from kinerja_notify.service.intake import IntakeResult, Links, accept_requests
from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.db import ALL_REGENCIES, create_pool, tenant_transaction
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


async def test_unknown_asn_still_gets_its_inbox_item(make_database: MakeDatabase) -> None:
    # org facts may lag the request (different topics): the subject is told; nobody else can be resolved
    db = await notify_database(make_database)
    asn = uuid.uuid4()
    assert (await accept(db, [req(asn, "mentoring_needed")])) == IntakeResult(1, 1, 0)
    [item] = await owner_rows(db, "SELECT recipient_id FROM inbox_item")
    assert item["recipient_id"] == asn


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
    asn = uuid.uuid4()
    await accept(db, [req(asn, "evaluation_finalized")])
    pool = await create_pool(db.app_url)
    try:
        async with tenant_transaction(pool, [uuid.uuid4()]) as conn:
            assert await conn.fetchval("SELECT count(*) FROM inbox_item") == 0
        async with tenant_transaction(pool, [REGENCY]) as conn:
            assert await conn.fetchval("SELECT count(*) FROM inbox_item") == 1
    finally:
        await pool.close()
