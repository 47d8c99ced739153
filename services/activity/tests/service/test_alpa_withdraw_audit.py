"""Day-end alpa job, withdrawing a pending activity, and audit rows of decisions, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, datetime, time

import asyncpg
import pytest

from kinerja_activity.domain.attendance import AttendanceStatus
from kinerja_activity.domain.errors import NotFound, StateConflict
from kinerja_activity.service import activities as acts
from kinerja_activity.service import alpa
from kinerja_activity.service import attendance as att
from kinerja_activity.service import verification as ver
from kinerja_activity.service.commands import ActivityIn
from kinerja_shared.testing.plugin import ProvisionedDatabase
from kinerja_shared.web import JAKARTA

from ..conftest import Org, add_asn, owner, start_alpa
from .test_activities import item, now

pytestmark = pytest.mark.postgres

MON, TUE, WED = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)
AFTER_WED = datetime.combine(date(2026, 11, 26), time(0, 5), JAKARTA)  # Thursday just after midnight


async def setup_alpa(db: ProvisionedDatabase, org: Org, *, start: date = MON) -> None:
    await start_alpa(db, org, start)


async def attendance(db: ProvisionedDatabase, org: Org) -> dict[tuple[uuid.UUID, date], str]:
    conn = await owner(db)
    try:
        rows = await conn.fetch(
            "SELECT asn_id, work_date, status FROM attendance_day WHERE regency_id = $1", org.regency_id
        )
    finally:
        await conn.close()
    return {(r["asn_id"], r["work_date"]): r["status"] for r in rows}


async def outbox_rows(db: ProvisionedDatabase) -> list[asyncpg.Record]:
    conn = await owner(db)
    try:
        return list(await conn.fetch("SELECT event_id, key, headers, payload FROM outbox ORDER BY id"))
    finally:
        await conn.close()


async def test_day_end_marks_exactly_the_asn_without_any_record(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    """Table T1 "absent without reason": a mixed day — one checked in, one on leave, one by fingerprint, one
    inactive — only the ASN with no record at all get `alpa`, published via the outbox."""
    await setup_alpa(db, org, start=WED)
    conn = await owner(db)
    try:
        inactive = await add_asn(conn, org.regency_id, "Pensiun (contoh)", None)
        await conn.execute("UPDATE org_asn SET active = false WHERE asn_id = $1", inactive)
    finally:
        await conn.close()
    await att.check_in_out(pool, org.staff, check_out=False, now=datetime.combine(WED, time(7, 20), JAKARTA))
    await att.record_leave(
        pool, org.regency_id, org.staff2.asn_id, AttendanceStatus.SICK, WED, WED, actor=None, recorded_by=None,
        now=AFTER_WED,
    )  # fmt: skip
    await att.import_fingerprint(
        pool, org.regency_id, f"asn_id,waktu\n{org.superior.asn_id},{WED} 07:10\n", now=AFTER_WED
    )
    before = len(await outbox_rows(db))

    marked = await alpa.mark_absent(pool, now=AFTER_WED)

    assert marked == 1
    days = await attendance(db, org)
    assert days[(org.stranger.asn_id, WED)] == "alpa"
    assert days[(org.staff.asn_id, WED)] == "hadir"
    assert days[(org.staff2.asn_id, WED)] == "sakit"
    assert days[(org.superior.asn_id, WED)] == "hadir"
    assert (inactive, WED) not in days
    new = (await outbox_rows(db))[before:]
    assert len(new) == 1
    assert new[0]["key"] == str(org.stranger.asn_id)
    assert dict(new[0]["headers"])["ce_type"].endswith("attendance_recorded.v1")
    assert json.loads(new[0]["payload"])["status"] == "alpa"
    assert new[0]["event_id"] == alpa.alpa_event_id(org.stranger.asn_id, WED)


async def test_rerun_and_two_workers_at_once_create_nothing_new(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    await setup_alpa(db, org, start=MON)
    first, second = await asyncio.gather(alpa.mark_absent(pool, now=AFTER_WED), alpa.mark_absent(pool, now=AFTER_WED))
    assert sorted([first, second]) == [0, 12]  # 4 ASN × Mon–Wed, by whichever worker got the lock first
    n = len(await outbox_rows(db))
    assert await alpa.mark_absent(pool, now=AFTER_WED) == 0
    assert len(await outbox_rows(db)) == n == 12
    assert (org.staff.asn_id, date(2026, 11, 26)) not in await attendance(db, org)  # Thursday has not ended


async def test_holidays_weekends_and_regencies_without_a_start_are_left_alone(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    assert await alpa.mark_absent(pool, now=AFTER_WED) == 0  # no alpa_start: attendance not kept in Kinerja
    await setup_alpa(db, org, start=WED)
    conn = await owner(db)
    try:
        await conn.execute("INSERT INTO holiday VALUES ($1, $2, 'Hari Guru (contoh)')", org.regency_id, WED)
    finally:
        await conn.close()
    assert await alpa.mark_absent(pool, now=AFTER_WED) == 0
    sunday = datetime.combine(date(2026, 11, 30), time(0, 5), JAKARTA)  # after Sat and Sun
    conn = await owner(db)
    try:
        await conn.execute("UPDATE activity_config SET alpa_start = '2026-11-28' WHERE regency_id = $1", org.regency_id)
    finally:
        await conn.close()
    assert await alpa.mark_absent(pool, now=sunday) == 0
    assert await outbox_rows(db) == []


async def test_a_fingerprint_import_after_the_day_end_turns_alpa_into_hadir(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    await setup_alpa(db, org, start=WED)
    await alpa.mark_absent(pool, now=AFTER_WED)
    res = await att.import_fingerprint(
        pool, org.regency_id, f"asn_id,waktu\n{org.staff.asn_id},{WED} 07:45\n{org.staff.asn_id},{WED} 16:10\n",
        now=AFTER_WED,
    )  # fmt: skip
    assert res.days_changed == 1
    days = await attendance(db, org)
    assert days[(org.staff.asn_id, WED)] == "hadir"
    last = json.loads((await outbox_rows(db))[-1]["payload"])
    assert (last["status"], last["late_minutes"]) == ("hadir", 15)


async def test_withdraw_a_pending_activity_once_then_409_when_decided(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    a = await acts.report_activity(pool, org.staff, ActivityIn.model_validate(item(org, 0)), now=now())
    b = await acts.report_activity(pool, org.staff, ActivityIn.model_validate(item(org, 1)), now=now())
    with pytest.raises(NotFound):  # only one's own
        await acts.withdraw_activity(pool, org.staff2, a["activity_id"], now=now())
    row = await acts.withdraw_activity(pool, org.staff, a["activity_id"], now=now())
    assert row["status"] == "ditarik"
    again = await acts.withdraw_activity(pool, org.staff, a["activity_id"], now=now())
    assert again["status"] == "ditarik"
    rows = await outbox_rows(db)
    withdrawn = [json.loads(r["payload"]) for r in rows if dict(r["headers"])["ce_type"].endswith("rejected.v1")]
    assert len(withdrawn) == 1 and withdrawn[0]["withdrawn"] is True
    assert withdrawn[0]["verifier_id"] == str(org.staff.asn_id) and rows[-1]["key"] == str(org.staff.asn_id)
    summary = await acts.month_summary(pool, org.staff, date.today())
    assert summary.pending == 1 and summary.reported_minutes == 2  # the withdrawn one no longer counts
    # its time slot is free again, and it cannot be revised or verified any more
    await acts.report_activity(pool, org.staff, ActivityIn.model_validate(item(org, 0)), now=now())
    with pytest.raises(StateConflict):
        await acts.revise_activity(
            pool, org.staff, a["activity_id"], ActivityIn.model_validate(item(org, 5)), now=now()
        )
    with pytest.raises(StateConflict):
        await ver.decide(pool, org.superior, [a["activity_id"]], approve=True, now=now())
    await ver.decide(pool, org.superior, [b["activity_id"]], approve=True, now=now())
    with pytest.raises(StateConflict):
        await acts.withdraw_activity(pool, org.staff, b["activity_id"], now=now())


async def test_verify_reject_and_withdraw_leave_audit_rows(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    a = await acts.report_activity(pool, org.staff, ActivityIn.model_validate(item(org, 0)), now=now())
    b = await acts.report_activity(pool, org.staff, ActivityIn.model_validate(item(org, 1)), now=now())
    c = await acts.report_activity(pool, org.staff, ActivityIn.model_validate(item(org, 2)), now=now())
    await ver.decide(pool, org.superior, [a["activity_id"]], approve=True, now=now())
    await ver.decide(pool, org.superior, [a["activity_id"]], approve=True, now=now())  # no-op: no second row
    await ver.decide(pool, org.superior, [b["activity_id"]], approve=False, reason="Tidak sesuai RHK", now=now())
    await acts.withdraw_activity(pool, org.staff, c["activity_id"], now=now())
    conn = await owner(db)
    try:
        rows = await conn.fetch(
            "SELECT action, subject_id, actor_asn_id, regency_id, detail FROM audit_log ORDER BY seq"
        )
    finally:
        await conn.close()
    assert [(r["action"], r["subject_id"], r["actor_asn_id"]) for r in rows] == [
        ("activity.verify", a["activity_id"], org.superior.asn_id),
        ("activity.reject", b["activity_id"], org.superior.asn_id),
        ("activity.withdraw", c["activity_id"], org.staff.asn_id),
    ]
    assert all(r["regency_id"] == org.regency_id for r in rows)
    assert "Tidak sesuai" not in str(rows[1]["detail"])  # free text stays out of the audit log
