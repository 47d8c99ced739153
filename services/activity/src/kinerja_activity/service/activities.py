"""Use cases of the ASN's daily activity log: report one, sync a batch from an offline phone, revise, evidence.

Each use case is one tenant transaction; state and its ActivityReported events commit together (outbox).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, Protocol
from uuid import UUID, uuid4

import asyncpg
from pydantic import ValidationError

from kinerja_activity.adapters import repository as repo
from kinerja_activity.domain.activity import (
    ActivityStatus,
    DaySchedule,
    TimeRange,
    check_draft,
    ensure_editable,
    ensure_withdrawable,
    minutes_between,
    open_period_start,
    quota_percent,
)
from kinerja_activity.domain.errors import InvalidInput, NotAllowed, NotFound, StateConflict, Violation
from kinerja_activity.domain.evidence import CheckedEvidence, check_evidence
from kinerja_activity.service.commands import ActivityIn
from kinerja_shared import audit
from kinerja_shared.auth import Principal
from kinerja_shared.contracts.activity import ActivityRejected, ActivityReported
from kinerja_shared.db import tenant_transaction
from kinerja_shared.messaging import outbox
from kinerja_shared.web import JAKARTA

MAX_EVIDENCE_PER_ACTIVITY = 5


@dataclass(frozen=True, slots=True)
class Caller:
    """Who acts: an ASN of one regency (from the verified token)."""

    regency_id: UUID
    asn_id: UUID


@dataclass(slots=True)
class ItemResult:
    index: int
    id: UUID | None
    status: Literal["accepted", "rejected"]
    errors: list[Violation] = field(default_factory=list)


@dataclass(slots=True)
class SyncResult:
    items: list[ItemResult]
    created: int

    @property
    def accepted(self) -> int:
        return sum(1 for i in self.items if i.status == "accepted")

    @property
    def rejected(self) -> int:
        return len(self.items) - self.accepted


def _pydantic_violations(e: ValidationError) -> list[Violation]:
    return [
        Violation(".".join(str(p) for p in err["loc"]) or "item", str(err["msg"]), str(err["type"]))
        for err in e.errors()
    ]


def _local_today(now: datetime) -> date:
    return now.astimezone(JAKARTA).date()


async def _accept(
    conn: asyncpg.Connection, caller: Caller, items: Sequence[tuple[int, ActivityIn]], now: datetime
) -> tuple[dict[int, ItemResult], list[UUID]]:
    """Validate and insert items (ids set) in one transaction; identical replays are accepted without new rows."""
    results: dict[int, ItemResult] = {}
    if not items:
        return results, []
    await repo.lock_asn(conn, caller.asn_id)
    today = _local_today(now)
    rules, _ = await repo.rules(conn, caller.regency_id)
    ids = [a.id for _, a in items if a.id is not None]
    existing = await repo.existing_by_id(conn, ids)
    years = sorted({a.activity_date.year for _, a in items})
    approved = await repo.approved_indicators(conn, caller.asn_id, years)
    days = sorted({a.activity_date for _, a in items})
    stored: dict[date, list[TimeRange]] = defaultdict(list)
    for _, d, s, e in await repo.day_ranges(conn, caller.asn_id, days):
        stored[d].append(TimeRange(s, e))
    taken = {d: DaySchedule(stored[d]) for d in days}
    seen: dict[UUID, str] = {}
    fresh: list[tuple[int, ActivityIn, str]] = []
    for idx, a in items:
        assert a.id is not None
        h = a.content_hash()
        prior = existing.get(a.id)
        prior_hash = prior["client_hash"] if prior is not None and prior["asn_id"] == caller.asn_id else None
        if prior is not None or a.id in seen:
            same = (prior_hash or seen.get(a.id)) == h
            results[idx] = ItemResult(
                idx,
                a.id,
                "accepted" if same else "rejected",
                [] if same else [Violation("id", "Id ini sudah dipakai untuk kegiatan lain.", "id_conflict")],
            )
            continue
        problems = check_draft(
            a.draft(),
            today=today,
            rules=rules,
            approved_indicators=approved.get(a.activity_date.year, set()),
            same_day=taken[a.activity_date],
        )
        if problems:
            results[idx] = ItemResult(idx, a.id, "rejected", problems)
            continue
        seen[a.id] = h
        taken[a.activity_date].add(TimeRange(a.start_time, a.end_time))
        fresh.append((idx, a, h))
    rows = [
        (
            a.id,
            caller.regency_id,
            caller.asn_id,
            a.activity_date,
            a.start_time,
            a.end_time,
            minutes_between(a.start_time, a.end_time),
            a.description,
            a.quantity,
            a.output,
            a.indicator_id,
            h,
            now,
        )
        for _, a, h in fresh
    ]
    inserted = await repo.insert_activities(conn, rows) if rows else set()
    created: list[UUID] = []
    events: list[ActivityReported] = []
    for idx, a, _ in fresh:
        assert a.id is not None
        if a.id not in inserted:  # taken by a row this caller cannot see (another ASN or regency)
            results[idx] = ItemResult(
                idx, a.id, "rejected", [Violation("id", "Id ini sudah dipakai untuk kegiatan lain.", "id_conflict")]
            )
            continue
        results[idx] = ItemResult(idx, a.id, "accepted")
        created.append(a.id)
        events.append(
            ActivityReported(
                regency_id=caller.regency_id,
                occurred_at=now,
                activity_id=a.id,
                asn_id=caller.asn_id,
                activity_date=a.activity_date,
                minutes=minutes_between(a.start_time, a.end_time),
                indicator_id=a.indicator_id,
                quantity=a.quantity,
                output=a.output,
            )
        )
    if events:
        if len(events) == 1:
            await outbox.add(conn, events[0])
        else:
            await outbox.add_many(conn, events)
        await repo.notify_live(conn, caller.regency_id)
    return results, created


async def report_activity(pool: asyncpg.Pool, caller: Caller, item: ActivityIn, *, now: datetime) -> asyncpg.Record:
    """Record one activity; a retried request with the same id and content returns the same activity."""
    if item.id is None:
        item = item.model_copy(update={"id": uuid4()})
    async with tenant_transaction(pool, [caller.regency_id]) as conn:
        results, _ = await _accept(conn, caller, [(0, item)], now)
        res = results[0]
        if res.status == "rejected":
            if any(v.code == "id_conflict" for v in res.errors):
                raise StateConflict(res.errors[0].reason, "id_conflict")
            raise InvalidInput(res.errors)
        row = (await repo.existing_by_id(conn, [res.id] if res.id else []))[res.id]  # type: ignore[index]
        return row


async def sync_activities(
    pool: asyncpg.Pool, caller: Caller, raw_items: Sequence[dict[str, Any]], *, now: datetime
) -> SyncResult:
    """Offline-first batch (≤ 500): each item accepted or rejected with reasons; replays give the same result."""
    parsed: list[tuple[int, ActivityIn]] = []
    results: dict[int, ItemResult] = {}
    for idx, raw in enumerate(raw_items):
        try:
            item = ActivityIn.model_validate(raw)
        except ValidationError as e:
            rid = raw.get("id") if isinstance(raw, dict) else None
            try:
                uid = UUID(str(rid)) if rid is not None else None
            except ValueError:
                uid = None
            results[idx] = ItemResult(idx, uid, "rejected", _pydantic_violations(e))
            continue
        if item.id is None:
            results[idx] = ItemResult(
                idx, None, "rejected", [Violation("id", "Sinkronisasi memerlukan id dari perangkat.", "missing")]
            )
            continue
        parsed.append((idx, item))
    created: list[UUID] = []
    if parsed:
        async with tenant_transaction(pool, [caller.regency_id]) as conn:
            accepted, created = await _accept(conn, caller, parsed, now)
        results.update(accepted)
    return SyncResult([results[i] for i in range(len(raw_items))], len(created))


async def revise_activity(
    pool: asyncpg.Pool, caller: Caller, activity_id: UUID, item: ActivityIn, *, now: datetime
) -> asyncpg.Record:
    """The ASN changes a pending or rejected activity; it goes back to the superior as a new revision."""
    async with tenant_transaction(pool, [caller.regency_id]) as conn:
        await repo.lock_asn(conn, caller.asn_id)
        rows = await repo.existing_by_id(conn, [activity_id])
        row = rows.get(activity_id)
        if row is None or row["asn_id"] != caller.asn_id:
            raise NotFound("kegiatan tidak ditemukan")
        ensure_editable(ActivityStatus(row["status"]))
        rules, _ = await repo.rules(conn, caller.regency_id)
        today = _local_today(now)
        if row["activity_date"] < open_period_start(today, rules.report_grace_days):
            raise StateConflict("Periode pelaporan kegiatan ini sudah ditutup.", "closed_period")
        approved = await repo.approved_indicators(conn, caller.asn_id, [item.activity_date.year])
        same_day = [
            TimeRange(s, e)
            for aid, _, s, e in await repo.day_ranges(conn, caller.asn_id, [item.activity_date])
            if aid != activity_id
        ]
        problems = check_draft(
            item.draft(),
            today=today,
            rules=rules,
            approved_indicators=approved[item.activity_date.year],
            same_day=same_day,
        )
        if problems:
            raise InvalidInput(problems)
        minutes = minutes_between(item.start_time, item.end_time)
        updated = await conn.fetchrow(
            f"""UPDATE activity SET activity_date = $2, start_time = $3, end_time = $4, minutes = $5,
                   description = $6, quantity = $7, output = $8, indicator_id = $9, status = 'menunggu',
                   revision = revision + 1, reported_at = $10, updated_at = $10, decided_by = NULL,
                   decided_at = NULL, reject_reason = NULL, overdue_flagged_at = NULL
               WHERE activity_id = $1 RETURNING {repo.ACTIVITY_COLUMNS}""",  # noqa: S608 - constant columns
            activity_id,
            item.activity_date,
            item.start_time,
            item.end_time,
            minutes,
            item.description,
            item.quantity,
            item.output,
            item.indicator_id,
            now,
        )
        assert updated is not None
        await outbox.add(
            conn,
            ActivityReported(
                regency_id=caller.regency_id,
                occurred_at=now,
                activity_id=activity_id,
                asn_id=caller.asn_id,
                activity_date=item.activity_date,
                minutes=minutes,
                indicator_id=item.indicator_id,
                quantity=item.quantity,
                output=item.output,
                revision=updated["revision"],
            ),
        )
        await repo.notify_live(conn, caller.regency_id)
        return updated


WITHDRAWN_REASON = "Ditarik oleh pegawai."


def actor_of(caller: Caller, principal: Principal | None) -> audit.Actor | Principal:
    """The audit actor: the signed-in principal, or (service-level callers, tests) the ASN behind the caller."""
    return principal if principal is not None else audit.Actor(sub=f"asn:{caller.asn_id}", asn_id=caller.asn_id)


async def withdraw_activity(
    pool: asyncpg.Pool, caller: Caller, activity_id: UUID, *, now: datetime, principal: Principal | None = None
) -> asyncpg.Record:
    """The ASN withdraws (tarik) their own activity while it waits for verification; verified or rejected → 409.

    Sent as ActivityRejected(withdrawn=True): for evaluation a withdrawal ends the revision exactly like a
    rejection (no longer pending, never counted), so its consumer needs no change. Withdrawing twice is a no-op.
    """
    async with tenant_transaction(pool, [caller.regency_id]) as conn:
        await repo.lock_asn(conn, caller.asn_id)
        row = await conn.fetchrow(
            f"SELECT {repo.ACTIVITY_COLUMNS} FROM activity WHERE activity_id = $1 FOR UPDATE",  # noqa: S608
            activity_id,
        )
        if row is None or row["asn_id"] != caller.asn_id:
            raise NotFound("kegiatan tidak ditemukan")
        if not ensure_withdrawable(ActivityStatus(row["status"])):
            return row
        rules, _ = await repo.rules(conn, caller.regency_id)
        if row["activity_date"] < open_period_start(_local_today(now), rules.report_grace_days):
            raise StateConflict("Periode pelaporan kegiatan ini sudah ditutup.", "closed_period")
        updated = await conn.fetchrow(
            f"""UPDATE activity SET status = 'ditarik', withdrawn_at = $2, updated_at = $2
                WHERE activity_id = $1 RETURNING {repo.ACTIVITY_COLUMNS}""",  # noqa: S608 - constant columns
            activity_id,
            now,
        )
        assert updated is not None
        await outbox.add(
            conn,
            ActivityRejected(
                regency_id=caller.regency_id,
                occurred_at=now,
                activity_id=activity_id,
                asn_id=caller.asn_id,
                verifier_id=caller.asn_id,
                reason=WITHDRAWN_REASON,
                withdrawn=True,
            ),
        )
        await repo.notify_live(conn, caller.regency_id)
        await audit.record(
            conn,
            actor=actor_of(caller, principal),
            action="activity.withdraw",
            subject_type="activity",
            subject_id=activity_id,
            regency_id=caller.regency_id,
            detail={"revision": updated["revision"]},
            at=now,
        )
        return updated


class EvidenceStore(Protocol):
    async def put(self, sha256: str, content: bytes) -> None: ...


async def attach_evidence(
    pool: asyncpg.Pool,
    store: EvidenceStore,
    caller: Caller,
    activity_id: UUID,
    content: bytes,
    filename: str,
    *,
    max_bytes: int,
    now: datetime,
) -> CheckedEvidence:
    """Add a photo or PDF to one's own editable activity; stored once by content (SHA-256)."""
    checked = check_evidence(content, max_bytes=max_bytes)
    async with tenant_transaction(pool, [caller.regency_id]) as conn:
        row = await conn.fetchrow("SELECT asn_id, status FROM activity WHERE activity_id = $1 FOR UPDATE", activity_id)
        if row is None or row["asn_id"] != caller.asn_id:
            raise NotFound("kegiatan tidak ditemukan")
        ensure_editable(ActivityStatus(row["status"]))
        count = await conn.fetchval("SELECT count(*) FROM evidence WHERE activity_id = $1", activity_id)
        if count >= MAX_EVIDENCE_PER_ACTIVITY:
            raise InvalidInput(
                [Violation("evidence", f"Paling banyak {MAX_EVIDENCE_PER_ACTIVITY} bukti per kegiatan.", "too_many")]
            )
        # the file first: content-addressed, so a rolled-back row leaves only a harmless duplicate-free blob
        await store.put(checked.sha256, content)
        await conn.execute(
            "INSERT INTO evidence (activity_id, sha256, regency_id, kind, size, filename, uploaded_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            activity_id,
            checked.sha256,
            caller.regency_id,
            checked.kind.value,
            checked.size,
            filename[:200] or "bukti",
            now,
        )
    return checked


async def evidence_for(
    pool: asyncpg.Pool, caller: Caller, activity_id: UUID, sha256: str, *, today: date
) -> asyncpg.Record:
    """An evidence row the caller may download: the ASN's own, or a subordinate's for their superior."""
    async with tenant_transaction(pool, [caller.regency_id]) as conn:
        row = await conn.fetchrow(
            "SELECT e.sha256, e.kind, e.filename, a.asn_id, a.activity_date FROM evidence e"
            " JOIN activity a USING (activity_id) WHERE e.activity_id = $1 AND e.sha256 = $2",
            activity_id,
            sha256,
        )
        if row is None:
            raise NotFound("bukti tidak ditemukan")
        if row["asn_id"] != caller.asn_id:
            ok = await repo.subordinates_allowed(conn, caller.asn_id, [(row["asn_id"], row["activity_date"])], today)
            if not ok:
                raise NotAllowed("bukan bawahan Anda")
        return row


@dataclass(frozen=True, slots=True)
class MonthSummary:
    month: date
    quota_minutes: int
    reported_minutes: int
    verified_minutes: int
    pending: int
    rejected: int

    @property
    def percent(self) -> float:
        return float(quota_percent(self.reported_minutes, self.quota_minutes))

    @property
    def verified_percent(self) -> float:
        return float(quota_percent(self.verified_minutes, self.quota_minutes))


async def month_summary(pool: asyncpg.Pool, caller: Caller, month: date) -> MonthSummary:
    """Minutes reported and verified in a month against the regency's quota (Table T1, default 6,750)."""
    first = month.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    async with tenant_transaction(pool, [caller.regency_id]) as conn:
        rules, _ = await repo.rules(conn, caller.regency_id)
        r = await conn.fetchrow(
            """SELECT coalesce(sum(minutes) FILTER (WHERE status IN ('menunggu', 'diverifikasi')), 0) AS reported,
                      coalesce(sum(minutes) FILTER (WHERE status = 'diverifikasi'), 0) AS verified,
                      count(*) FILTER (WHERE status = 'menunggu') AS pending,
                      count(*) FILTER (WHERE status = 'ditolak') AS rejected
               FROM activity WHERE asn_id = $1 AND activity_date >= $2 AND activity_date < $3""",
            caller.asn_id,
            first,
            nxt,
        )
    assert r is not None
    return MonthSummary(first, rules.monthly_quota_minutes, r["reported"], r["verified"], r["pending"], r["rejected"])


async def list_activities(pool: asyncpg.Pool, caller: Caller, start: date, end: date) -> list[asyncpg.Record]:
    """The caller's own activities between two dates, newest day first, with indicator name and evidence."""
    async with tenant_transaction(pool, [caller.regency_id]) as conn:
        return list(
            await conn.fetch(
                """SELECT a.activity_id, a.activity_date, a.start_time, a.end_time, a.minutes, a.description,
                          a.quantity, a.output, a.indicator_id, i.name AS indicator_name, a.status, a.revision,
                          a.reject_reason, a.reported_at,
                          coalesce((SELECT json_agg(json_build_object('sha256', e.sha256, 'kind', e.kind,
                                     'size', e.size, 'filename', e.filename) ORDER BY e.uploaded_at)
                                    FROM evidence e WHERE e.activity_id = a.activity_id), '[]'::json) AS evidence
                   FROM activity a LEFT JOIN approved_indicator i ON i.indicator_id = a.indicator_id
                   WHERE a.asn_id = $1 AND a.activity_date BETWEEN $2 AND $3
                   ORDER BY a.activity_date DESC, a.start_time DESC""",
                caller.asn_id,
                start,
                end,
            )
        )


async def indicator_choices(pool: asyncpg.Pool, caller: Caller, year: int) -> list[asyncpg.Record]:
    async with tenant_transaction(pool, [caller.regency_id]) as conn:
        return await repo.indicators_of(conn, caller.asn_id, year)


def default_times(last_end: time | None) -> tuple[time, time]:
    """Form defaults: start where the last activity ended (or 07:30), one hour long."""
    start = last_end or time(7, 30)
    end_minutes = min(start.hour * 60 + start.minute + 60, 23 * 60 + 59)
    return start, time(end_minutes // 60, end_minutes % 60)
