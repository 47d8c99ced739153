"""Use cases on real PostgreSQL: rows and outbox rows together, replays, bad input, edit window, evidence."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from kinerja_activity.adapters.evidence_store import FileEvidenceStore
from kinerja_activity.domain.errors import InvalidInput, NotAllowed, NotFound, StateConflict
from kinerja_activity.service import activities as acts
from kinerja_activity.service import verification as ver
from kinerja_activity.service.commands import ActivityIn
from kinerja_shared.testing.plugin import ProvisionedDatabase
from kinerja_shared.web import JAKARTA

from ..conftest import Org, owner, today

pytestmark = pytest.mark.postgres


def item(org: Org, n: int = 0, **kw: Any) -> dict[str, Any]:
    """The n-th two-minute slot of today (500 fit between 00:00 and 16:40)."""
    start = n * 2
    base: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "activity_date": today().isoformat(),
        "start_time": f"{start // 60:02d}:{start % 60:02d}",
        "end_time": f"{(start + 2) // 60:02d}:{(start + 2) % 60:02d}",
        "description": f"Melayani pasien rawat jalan #{n}",
        "quantity": "3",
        "output": "pasien",
        "indicator_id": str(org.indicator_id),
    }
    base.update(kw)
    return base


def now() -> datetime:
    return datetime.now(JAKARTA)


async def outbox_types(db: ProvisionedDatabase) -> list[tuple[str, str]]:
    conn = await owner(db)
    try:
        rows = await conn.fetch("SELECT key, headers FROM outbox ORDER BY id")
    finally:
        await conn.close()
    return [(r["key"], dict(r["headers"])["ce_type"]) for r in rows]


async def count(db: ProvisionedDatabase, sql: str, *args: object) -> int:
    conn = await owner(db)
    try:
        n: int = await conn.fetchval(sql, *args)
        return n
    finally:
        await conn.close()


async def test_report_then_verify_writes_rows_and_two_outbox_events_in_order(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    row = await acts.report_activity(pool, org.staff, ActivityIn.model_validate(item(org)), now=now())
    assert row["status"] == "menunggu" and row["minutes"] == 2
    changed = await ver.decide(pool, org.superior, [row["activity_id"]], approve=True, now=now())
    assert changed == [row["activity_id"]]
    key = str(org.staff.asn_id)
    assert await outbox_types(db) == [
        (key, "id.kinerja.activity.reported.v1"),
        (key, "id.kinerja.activity.verified.v1"),
    ]
    # an ASN cannot change a verified activity
    with pytest.raises(StateConflict):
        await acts.revise_activity(
            pool, org.staff, row["activity_id"], ActivityIn.model_validate(item(org, 1)), now=now()
        )


async def test_single_report_retried_with_same_id_is_one_row(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    body = ActivityIn.model_validate(item(org))
    a = await acts.report_activity(pool, org.staff, body, now=now())
    b = await acts.report_activity(pool, org.staff, body, now=now())
    assert a["activity_id"] == b["activity_id"]
    assert await count(db, "SELECT count(*) FROM activity") == 1
    assert await count(db, "SELECT count(*) FROM outbox") == 1
    with pytest.raises(StateConflict):  # same id, different content
        await acts.report_activity(pool, org.staff, body.model_copy(update={"description": "lain"}), now=now())


async def test_replaying_a_500_item_batch_gives_500_rows_and_500_events(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    batch = [item(org, n) for n in range(500)]
    first = await acts.sync_activities(pool, org.staff, batch, now=now())
    second = await acts.sync_activities(pool, org.staff, batch, now=now())
    assert (first.accepted, first.rejected, first.created) == (500, 0, 500)
    assert [(i.id, i.status) for i in second.items] == [(i.id, i.status) for i in first.items]
    assert second.created == 0
    assert await count(db, "SELECT count(*) FROM activity") == 500
    assert (
        await count(
            db, 'SELECT count(*) FROM outbox WHERE headers @> \'[["ce_type", "id.kinerja.activity.reported.v1"]]\''
        )
        == 500
    )


async def test_batch_reports_bad_items_and_keeps_the_good_ones(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    tomorrow = (today() + timedelta(days=1)).isoformat()
    long_ago = (today() - timedelta(days=70)).isoformat()
    batch = [
        item(org, 0),
        item(org, 1, end_time="00:01"),  # end before start
        item(org, 2, activity_date=tomorrow),
        item(org, 3, activity_date=long_ago),  # closed period
        item(org, 4, indicator_id=str(uuid.uuid4())),  # not in the approved SKP
        item(org, 5, start_time="00:01", end_time="00:03"),  # overlaps item 0 (00:00–00:02)
        item(org, 6, quantity="-1"),  # schema
        {"activity_date": "kemarin"},  # malformed
        item(org, 8),
    ]
    res = await acts.sync_activities(pool, org.staff, batch, now=now())
    by = {i.index: i for i in res.items}
    assert [i.status for i in res.items] == ["accepted"] + ["rejected"] * 7 + ["accepted"]
    assert by[1].errors[0].code == "end_before_start" and by[1].errors[0].field == "end_time"
    assert by[2].errors[0].code == "future_date"
    assert by[3].errors[0].code == "closed_period"
    assert by[4].errors[0].code == "indicator_not_approved"
    assert by[5].errors[0].code == "overlap"
    assert by[6].errors[0].field == "quantity"
    assert {e.field for e in by[7].errors} >= {"activity_date", "start_time", "indicator_id"}
    assert await count(db, "SELECT count(*) FROM activity") == 2
    # a later batch overlapping what is stored is refused too; the stored ones stay
    again = await acts.sync_activities(pool, org.staff, [item(org, 0, id=str(uuid.uuid4()))], now=now())
    assert again.items[0].errors[0].code == "overlap"
    assert await count(db, "SELECT count(*) FROM activity") == 2


async def test_same_id_with_other_content_or_by_another_asn_is_a_conflict(pool: asyncpg.Pool, org: Org) -> None:
    one = item(org, 0)
    await acts.sync_activities(pool, org.staff, [one], now=now())
    changed = await acts.sync_activities(pool, org.staff, [one | {"description": "diubah"}], now=now())
    assert changed.items[0].errors[0].code == "id_conflict"
    other = await acts.sync_activities(pool, org.staff2, [one | {"indicator_id": str(org.indicator2_id)}], now=now())
    assert other.items[0].errors[0].code == "id_conflict"


async def test_single_report_bad_input_raises_with_field(pool: asyncpg.Pool, org: Org) -> None:
    with pytest.raises(InvalidInput) as e:
        await acts.report_activity(
            pool, org.staff, ActivityIn.model_validate(item(org, indicator_id=str(org.indicator2_id))), now=now()
        )
    assert e.value.violations[0].field == "indicator_id"


async def test_rejected_activity_can_be_revised_and_goes_back_pending(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    row = await acts.report_activity(pool, org.staff, ActivityIn.model_validate(item(org)), now=now())
    await ver.decide(pool, org.superior, [row["activity_id"]], approve=False, reason="Uraian kurang jelas", now=now())
    with pytest.raises(StateConflict):
        await ver.decide(pool, org.superior, [row["activity_id"]], approve=True, now=now())
    revised = await acts.revise_activity(
        pool,
        org.staff,
        row["activity_id"],
        ActivityIn.model_validate(item(org, 0, description="Lebih jelas")),
        now=now(),
    )
    assert (revised["status"], revised["revision"], revised["reject_reason"]) == ("menunggu", 2, None)
    types = [t for _, t in await outbox_types(db)]
    assert types == [
        "id.kinerja.activity.reported.v1",
        "id.kinerja.activity.rejected.v1",
        "id.kinerja.activity.reported.v1",
    ]


async def test_only_the_direct_or_acting_superior_may_verify(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    row = await acts.report_activity(pool, org.staff, ActivityIn.model_validate(item(org)), now=now())
    aid = row["activity_id"]
    for who in (org.stranger, org.staff2, org.staff):
        with pytest.raises(NotAllowed):
            await ver.decide(pool, who, [aid], approve=True, now=now())
    # a superior of another regency does not even see it
    other = acts.Caller(uuid.uuid4(), org.superior.asn_id)
    with pytest.raises(NotFound):
        await ver.decide(pool, other, [aid], approve=True, now=now())
    assert await ver.pending_queue(pool, other, today=today()) == []
    # the stranger becomes Plt for this ASN today
    conn = await owner(db)
    try:
        await conn.execute(
            "INSERT INTO org_acting_superior VALUES ($1, $2, $3, $4, $5)",
            org.staff.asn_id,
            org.stranger.asn_id,
            org.regency_id,
            today() - timedelta(days=1),
            today() + timedelta(days=30),
        )
    finally:
        await conn.close()
    assert [r["activity_id"] for r in await ver.pending_queue(pool, org.stranger, today=today())] == [aid]
    assert await ver.decide(pool, org.stranger, [aid], approve=True, now=now()) == [aid]


async def test_bulk_approve_is_all_or_nothing_and_idempotent(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    a = await acts.sync_activities(pool, org.staff, [item(org, n) for n in range(3)], now=now())
    b = await acts.report_activity(
        pool, org.staff2, ActivityIn.model_validate(item(org, 0, indicator_id=str(org.indicator2_id))), now=now()
    )
    ids = [i.id for i in a.items if i.id] + [b["activity_id"]]
    assert len(await ver.decide(pool, org.superior, ids, approve=True, now=now())) == 4
    assert await ver.decide(pool, org.superior, ids, approve=True, now=now()) == []  # retried: no new events
    assert await count(db, "SELECT count(*) FROM outbox") == 4 + 4  # reported + verified, once each
    team = await ver.team_today(pool, org.superior, today=today())
    assert {r["name"]: (r["activities_today"], r["pending"]) for r in team} == {
        "Siti Rahmawati (contoh)": (3, 0),
        "Bambang Wijaya (contoh)": (1, 0),
    }


async def test_overdue_activities_are_flagged_once_after_two_working_days(
    pool: asyncpg.Pool, db: ProvisionedDatabase, org: Org
) -> None:
    row = await acts.report_activity(pool, org.staff, ActivityIn.model_validate(item(org)), now=now())
    later = now() + timedelta(days=7)  # a week on: five working days whatever today is
    assert await ver.flag_overdue(pool, now=now()) == 0
    assert await ver.flag_overdue(pool, now=later) == 1
    assert await ver.flag_overdue(pool, now=later) == 0
    conn = await owner(db)
    try:
        payload = await conn.fetchval(
            "SELECT payload FROM outbox WHERE headers @> $1::jsonb",
            [["ce_type", "id.kinerja.activity.verification_overdue.v1"]],
        )
    finally:
        await conn.close()
    import json

    body = json.loads(payload)
    assert body["activity_id"] == str(row["activity_id"]) and body["superior_id"] == str(org.superior.asn_id)
    assert body["pending_working_days"] == 5


async def test_evidence_is_checked_by_content_and_stored_by_hash(pool: asyncpg.Pool, org: Org, tmp_path: Path) -> None:
    store = FileEvidenceStore(tmp_path)
    row = await acts.report_activity(pool, org.staff, ActivityIn.model_validate(item(org)), now=now())
    pdf = b"%PDF-1.4\n" + b"0" * 500
    checked = await acts.attach_evidence(
        pool, store, org.staff, row["activity_id"], pdf, "laporan.pdf", max_bytes=10_000, now=now()
    )
    assert store.path(checked.sha256).read_bytes() == pdf
    assert checked.kind.value == "application/pdf"
    with pytest.raises(InvalidInput) as e:
        await acts.attach_evidence(
            pool, store, org.staff, row["activity_id"], b"MZ\x90 not a photo", "foto.jpg", max_bytes=10_000, now=now()
        )
    assert e.value.violations[0].code == "evidence_type"
    with pytest.raises(InvalidInput):
        await acts.attach_evidence(
            pool, store, org.staff, row["activity_id"], pdf * 30, "besar.pdf", max_bytes=10_000, now=now()
        )
    with pytest.raises(NotFound):  # not one's own activity
        await acts.attach_evidence(
            pool, store, org.staff2, row["activity_id"], pdf, "x.pdf", max_bytes=10_000, now=now()
        )
    got = await acts.evidence_for(pool, org.superior, row["activity_id"], checked.sha256, today=today())
    assert got["kind"] == "application/pdf"
    with pytest.raises(NotAllowed):
        await acts.evidence_for(pool, org.stranger, row["activity_id"], checked.sha256, today=today())


async def test_month_summary_against_quota(pool: asyncpg.Pool, org: Org) -> None:
    res = await acts.sync_activities(pool, org.staff, [item(org, n) for n in range(10)], now=now())
    await ver.decide(pool, org.superior, [res.items[0].id], approve=True, now=now())  # type: ignore[list-item]
    s = await acts.month_summary(pool, org.staff, today())
    assert (s.quota_minutes, s.reported_minutes, s.verified_minutes, s.pending) == (6750, 20, 2, 9)


def test_default_times_follow_the_last_activity() -> None:
    assert acts.default_times(None) == (time(7, 30), time(8, 30))
    assert acts.default_times(time(23, 30)) == (time(23, 30), time(23, 59))
