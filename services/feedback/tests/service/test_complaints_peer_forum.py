"""Complaints (Table C1), 360 (Table B1) and the forum on real PostgreSQL, with their outbox rows."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import asyncpg
import pytest

from kinerja_feedback.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from kinerja_feedback.domain.peer import Relation, Value
from kinerja_feedback.service import admin, complaints, forum, peer
from kinerja_feedback.service.common import Directory
from kinerja_shared.auth import Principal, Role
from kinerja_shared.contracts.feedback import CitizenVerdict
from kinerja_shared.testing.plugin import ProvisionedDatabase

from ..conftest import NOW, Org, rows

pytestmark = pytest.mark.postgres


def _asn(org: Org, asn_id: uuid.UUID, *roles: Role) -> Principal:
    return Principal(sub=str(asn_id), roles=frozenset({Role.ASN, *roles}), regency_id=org.regency_id, asn_id=asn_id)


def _hr(org: Org) -> Principal:
    return Principal(sub="hr-1", roles=frozenset({Role.ADMIN_BKPSDM}), regency_id=org.regency_id)


async def _types(db: ProvisionedDatabase) -> list[tuple[str, dict[str, object]]]:
    out = []
    for r in await rows(db, "SELECT headers, payload FROM outbox ORDER BY id"):
        headers = dict(r["headers"])
        out.append((headers["ce_type"], json.loads(r["payload"])))
    return out


async def test_complaint_deadlines_count_working_days_around_a_weekend_and_a_configured_holiday(
    pool: asyncpg.Pool, org: Org, feedback_db: ProvisionedDatabase
) -> None:
    d = Directory(pool)
    await admin.add_holiday(pool, _hr(org), date(2026, 12, 2), "Cuti bersama daerah")
    filed = await complaints.file_complaint(
        pool,
        d,
        complaints.FileComplaint(org.unit_id, "Antrian terlalu lama", "Saya menunggu empat jam di loket."),
        NOW,  # Friday 27 November 2026
    )
    assert filed.response_due == date(2026, 12, 7)  # Mon–Fri minus Wednesday's holiday: the next Monday
    assert filed.resolution_due == date(2026, 12, 18)
    [(type_, body)] = await _types(feedback_db)
    assert type_ == "id.kinerja.feedback.complaint_filed.v1"
    assert body["response_due"] == "2026-12-07" and body["assigned_asn_id"] is None
    assert "Antrian" not in json.dumps(body)  # the citizen's words stay in this service

    staff = _asn(org, org.staff[0])
    await complaints.assign(pool, d, _asn(org, org.head), filed.complaint_id, org.staff[0], NOW)
    late = datetime(2026, 12, 8, 2, tzinfo=UTC)  # Tuesday after the due Monday
    lines = await complaints.list_for_unit(pool, d, staff, org.unit_id, late.date())
    assert [line.overdue for line in lines] == [True]
    await complaints.respond(pool, d, staff, filed.complaint_id, "Mohon maaf, kami tambah petugas loket.", late)
    await complaints.resolve(pool, d, staff, filed.complaint_id, "Loket kedua sudah dibuka.", late)
    view = await complaints.review(pool, filed.tracking_code, CitizenVerdict.REOPENED, "Masih lama antrinya", late)
    assert view.complaint.status.value == "diproses"
    await complaints.resolve(pool, d, staff, filed.complaint_id, "Sistem nomor antrian daring aktif.", late)
    view = await complaints.review(pool, filed.tracking_code.lower(), CitizenVerdict.CONFIRMED, "", late)
    assert view.complaint.status.value == "ditutup"
    events = await _types(feedback_db)
    assert [t.rsplit(".", 2)[1] for t, _ in events] == [
        "complaint_filed",
        "complaint_assigned",
        "complaint_responded",
        "complaint_resolved",
        "complaint_reviewed",
        "complaint_resolved",
        "complaint_reviewed",
    ]
    responded = events[2][1]
    assert responded["assigned_asn_id"] == str(org.staff[0])
    assert (responded["working_days"], responded["on_time"]) == (6, False)


async def test_only_the_units_staff_handle_a_complaint_and_a_bad_code_is_not_found(
    pool: asyncpg.Pool, org: Org
) -> None:
    d = Directory(pool)
    filed = await complaints.file_complaint(
        pool, d, complaints.FileComplaint(org.unit_id, "Tarif tidak jelas", "Tidak ada papan tarif di loket."), NOW
    )
    stranger = Principal(sub="x", roles=frozenset({Role.ASN}), regency_id=org.regency_id, asn_id=uuid.uuid4())
    with pytest.raises(Forbidden):
        await complaints.respond(pool, d, stranger, filed.complaint_id, "Halo", NOW)
    other_regency = Principal(sub="y", roles=frozenset({Role.ADMIN_BKPSDM}), regency_id=org.other_regency_id)
    with pytest.raises(NotFound):  # RLS: another regency's admin does not even see it
        await complaints.respond(pool, d, other_regency, filed.complaint_id, "Halo", NOW)
    with pytest.raises(NotFound):
        await complaints.track(pool, "ADU-2222-2222", NOW.date())
    with pytest.raises(InvalidInput):
        await complaints.track(pool, "bukan kode", NOW.date())
    with pytest.raises(Conflict):
        await complaints.review(pool, filed.tracking_code, CitizenVerdict.CONFIRMED, "", NOW)


async def _rate(pool: asyncpg.Pool, d: Directory, org: Org, rater: uuid.UUID, level: str) -> bool:
    me = _asn(org, rater)
    [inv] = await peer.my_invitations(pool, me)
    return await peer.rate(pool, d, me, inv.invitation_id, {v.value: level for v in Value}, "Rajin membantu", NOW)


async def test_360_shows_nothing_with_two_raters_and_the_aggregate_with_three_without_naming_anyone(
    pool: asyncpg.Pool, org: Org, feedback_db: ProvisionedDatabase
) -> None:
    d = Directory(pool)
    ratee = org.staff[0]
    raters = org.staff[1:5]
    head = _asn(org, org.head, Role.ATASAN)
    await peer.invite(pool, head, ratee, "2026-Q4", [peer.Invitee(r, Relation.PEER) for r in raters], NOW)
    assert not await _rate(pool, d, org, raters[0], "di_atas")
    assert not await _rate(pool, d, org, raters[1], "sesuai")
    two = await peer.summary(pool, d, _asn(org, ratee), ratee, "2026-Q4", NOW)
    assert (two.answered, two.summary, two.comments) == (2, None, ())
    assert await _types(feedback_db) == []
    assert await _rate(pool, d, org, raters[2], "di_bawah")
    three = await peer.summary(pool, d, _asn(org, org.head, Role.ATASAN), ratee, "2026-Q4", NOW)
    assert three.summary is not None and three.summary.raters == 3
    assert three.score(Value.KOMPETEN) == Decimal("76.67")  # (100 + 80 + 50) / 3
    assert await _rate(pool, d, org, raters[3], "sesuai")  # each new answer updates the aggregate
    events = await _types(feedback_db)
    assert [b["version"] for _, b in events] == [1, 2]
    assert all(t == "id.kinerja.feedback.peer_feedback_summarized.v1" for t, _ in events)
    text = json.dumps([b for _, b in events]) + json.dumps(
        [dict(r) for r in await rows(feedback_db, "SELECT key, headers FROM outbox")], default=str
    )
    for r in raters:
        assert str(r) not in text  # no rater in key, headers or body
    assert "Rajin" not in text  # comments stay here
    [resp] = await rows(feedback_db, "SELECT * FROM peer_response LIMIT 1")
    assert set(resp.keys()) == {"response_id", "request_id", "regency_id", "ratings", "comment", "submitted_on"}


async def test_360_refuses_self_rating_double_answers_and_outsiders(pool: asyncpg.Pool, org: Org) -> None:
    d = Directory(pool)
    head = _asn(org, org.head, Role.ATASAN)
    ratee = org.staff[0]
    with pytest.raises(InvalidInput):
        await peer.invite(pool, head, ratee, "2026-Q4", [peer.Invitee(ratee, Relation.PEER)], NOW)
    with pytest.raises(Forbidden):  # a peer is not the superior
        await peer.invite(
            pool, _asn(org, org.staff[1]), ratee, "2026-Q4", [peer.Invitee(org.staff[2], Relation.PEER)], NOW
        )
    await peer.invite(pool, _hr(org), ratee, "2026-Q4", [peer.Invitee(org.staff[1], Relation.PEER)], NOW)
    rater = _asn(org, org.staff[1])
    [inv] = await peer.my_invitations(pool, rater)
    ratings = {v.value: "sesuai" for v in Value}
    assert not await peer.rate(pool, d, rater, inv.invitation_id, ratings, "", NOW)
    with pytest.raises(Conflict):  # one response per rater
        await peer.rate(pool, d, rater, inv.invitation_id, ratings, "", NOW)
    with pytest.raises(NotFound):  # someone else cannot use the invitation
        await peer.rate(pool, d, _asn(org, org.staff[2]), inv.invitation_id, ratings, "", NOW)
    assert await peer.my_invitations(pool, rater) == []
    with pytest.raises(Forbidden):  # a colleague cannot read someone else's summary
        await peer.summary(pool, d, _asn(org, org.staff[2]), ratee, "2026-Q4", NOW)


async def test_forum_moderation_hides_with_a_reason_and_keeps_the_row(
    pool: asyncpg.Pool, org: Org, feedback_db: ProvisionedDatabase
) -> None:
    d = Directory(pool)
    thread = await forum.start_thread(
        pool, d, org.unit_id, "Jam buka hari Sabtu?", "Apakah puskesmas buka hari Sabtu?", "Budi", None, NOW
    )
    spam = await forum.reply(pool, d, thread, "Beli obat murah di situs kami!!!", "Spammer", None, NOW)
    staff = _asn(org, org.staff[0])
    answer = await forum.reply(pool, d, thread, "Buka pukul 08.00–12.00 WIB.", "", staff, NOW + timedelta(minutes=5))
    await forum.hide(pool, d, staff, thread_id=thread, post_id=spam, reason="Iklan", at=NOW)
    await forum.mark_official(pool, d, staff, thread_id=thread, post_id=answer)
    t, posts = await forum.get_thread(pool, thread)
    assert t.answered and [p.post_id for p in posts] == [answer]
    assert posts[0].official and posts[0].by_asn and posts[0].author_name == "Pegawai Contoh 1"
    _, all_posts = await forum.get_thread(pool, thread, moderator=True)
    assert [p.hidden_reason for p in all_posts] == ["Iklan", None]
    with pytest.raises(Forbidden):
        await forum.hide(pool, d, _asn(org, uuid.uuid4()), thread_id=thread, post_id=None, reason="Tidak suka", at=NOW)
    [kept] = await rows(feedback_db, "SELECT hidden_reason, body FROM forum_post WHERE post_id = $1", spam)
    assert kept["hidden_reason"] == "Iklan" and kept["body"].startswith("Beli obat")
