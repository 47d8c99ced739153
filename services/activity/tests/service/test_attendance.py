"""Attendance use cases on real PostgreSQL: check-in/out, fingerprint CSV, leave marks, apel (T1 inputs)."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time, timedelta

import asyncpg
import pytest

from kinerja_activity.domain.attendance import AttendanceStatus
from kinerja_activity.domain.errors import InvalidInput, NotAllowed, StateConflict
from kinerja_activity.service import attendance as att
from kinerja_shared.testing.plugin import ProvisionedDatabase
from kinerja_shared.web import JAKARTA

from ..conftest import Org, owner

pytestmark = pytest.mark.postgres

THU = date(2026, 11, 26)


def at(d: date, hh: int, mm: int) -> datetime:
    return datetime.combine(d, time(hh, mm), JAKARTA)


async def events(db: ProvisionedDatabase) -> list[tuple[str, dict[str, object]]]:
    conn = await owner(db)
    try:
        rows = await conn.fetch("SELECT headers, payload FROM outbox ORDER BY id")
    finally:
        await conn.close()
    return [(dict(r["headers"])["ce_type"].rsplit(".", 2)[-2], json.loads(r["payload"])) for r in rows]


async def test_check_in_late_then_check_out_early(pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org) -> None:
    with pytest.raises(StateConflict):
        await att.check_in_out(pool, org.staff, check_out=True, now=at(THU, 15, 0))
    row = await att.check_in_out(pool, org.staff, check_out=False, now=at(THU, 7, 45), location=None)
    assert row["late_minutes"] == 15
    again = await att.check_in_out(pool, org.staff, check_out=False, now=at(THU, 9, 0))
    assert again["check_in"] == at(THU, 7, 45)  # a second tap keeps the first arrival
    out = await att.check_in_out(pool, org.staff, check_out=True, now=at(THU, 15, 30))
    assert (out["late_minutes"], out["early_leave_minutes"]) == (15, 30)
    evs = await events(db)
    assert [t for t, _ in evs] == ["attendance_recorded", "attendance_recorded"]
    assert evs[-1][1]["early_leave_minutes"] == 30 and evs[-1][1]["asn_id"] == str(org.staff.asn_id)


async def test_fingerprint_csv_import_reports_bad_lines_and_applies_the_rest(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    a, b = org.staff.asn_id, org.staff2.asn_id
    csv_text = (
        "asn_id;waktu\n"
        f"{a};2026-11-26 07:28:00\n"
        f"{a};2026-11-26 16:05\n"
        f"{b};2026-11-26 08:40\n"
        "bukan-uuid;2026-11-26 07:00\n"
        f"{a};26/11/2026 jam tujuh\n"
        f"{uuid.uuid4()};2026-11-26 07:00\n"
    )
    res = await att.import_fingerprint(pool, org.regency_id, csv_text, now=at(THU, 18, 0))
    assert res.days_changed == 2
    assert sorted(v.code for _, v in res.errors) == ["datetime_parsing", "unknown_asn", "uuid_parsing"]
    conn = await owner(db)
    try:
        rows = {
            r["asn_id"]: r
            for r in await conn.fetch("SELECT asn_id, late_minutes, early_leave_minutes, check_out FROM attendance_day")
        }
    finally:
        await conn.close()
    assert rows[a]["late_minutes"] == 0 and rows[a]["early_leave_minutes"] == 0
    assert rows[b]["late_minutes"] == 70 and rows[b]["check_out"] is None
    # importing the same file again changes nothing and sends nothing
    before = len(await events(db))
    again = await att.import_fingerprint(pool, org.regency_id, csv_text, now=at(THU, 19, 0))
    assert again.days_changed == 0 and len(await events(db)) == before
    with pytest.raises(InvalidInput):
        await att.import_fingerprint(pool, org.regency_id, "nama,jam\nx,y\n", now=at(THU, 19, 0))


async def test_leave_marks_each_working_day_and_only_by_superior_or_bkpsdm(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    fri, tue = date(2026, 11, 27), date(2026, 12, 1)  # Fri..Tue = 3 working days
    with pytest.raises(NotAllowed):
        await att.record_leave(
            pool, org.regency_id, org.staff.asn_id, AttendanceStatus.LEAVE, fri, tue,
            actor=org.stranger, recorded_by=org.stranger.asn_id, now=at(THU, 10, 0),
        )  # fmt: skip
    await att.record_leave(
        pool, org.regency_id, org.staff.asn_id, AttendanceStatus.OFFICIAL_TRAVEL, fri, tue,
        actor=org.superior, recorded_by=org.superior.asn_id, now=at(THU, 10, 0),
    )  # fmt: skip
    evs = await events(db)
    assert [t for t, _ in evs] == ["leave_recorded"] + ["attendance_recorded"] * 3
    assert evs[0][1]["working_days"] == 3 and evs[0][1]["status"] == "dinas_luar"
    assert [e["work_date"] for _, e in evs[1:]] == ["2026-11-27", "2026-11-30", "2026-12-01"]
    # BKPSDM (no relation check) marks sick leave for anyone in the regency
    await att.record_leave(
        pool, org.regency_id, org.stranger.asn_id, AttendanceStatus.SICK, THU, THU,
        actor=None, recorded_by=None, now=at(THU, 10, 0),
    )  # fmt: skip
    with pytest.raises(InvalidInput):
        await att.record_leave(
            pool, org.regency_id, org.staff.asn_id, AttendanceStatus.PRESENT, THU, THU,
            actor=None, recorded_by=None, now=at(THU, 10, 0),
        )  # fmt: skip


async def test_apel_attendance_is_recorded_for_subordinates(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    await att.check_in_out(pool, org.staff, check_out=False, now=at(THU, 7, 20))
    n = await att.record_apel(
        pool, org.regency_id, THU, [org.staff.asn_id], [org.staff2.asn_id], actor=org.superior, now=at(THU, 8, 0)
    )
    assert n == 2
    evs = [e for t, e in await events(db) if t == "attendance_recorded"]
    assert {(e["asn_id"], e["apel_attended"]) for e in evs[1:]} == {
        (str(org.staff.asn_id), True),
        (str(org.staff2.asn_id), False),
    }
    assert evs[1]["check_in"] is not None or evs[2]["check_in"] is not None  # the check-in is kept
    with pytest.raises(NotAllowed):
        await att.record_apel(pool, org.regency_id, THU, [org.staff.asn_id], [], actor=org.stranger, now=at(THU, 8, 0))
    with pytest.raises(InvalidInput):
        await att.record_apel(
            pool, org.regency_id, THU + timedelta(days=30), [org.staff.asn_id], [], actor=None, now=at(THU, 8, 0)
        )
