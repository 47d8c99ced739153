"""Use cases of the superior: verify or reject subordinates' activities, the queue, the live team view, and
the worker's overdue scan (Table R1 verification_pending)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from uuid import UUID

import asyncpg

from kinerja_activity.adapters import repository as repo
from kinerja_activity.domain.activity import ActivityStatus, ensure_verifiable
from kinerja_activity.domain.calendar import working_days_waited
from kinerja_activity.domain.errors import NotAllowed, NotFound
from kinerja_activity.service.activities import Caller, actor_of
from kinerja_shared import audit
from kinerja_shared.auth import Principal
from kinerja_shared.contracts.activity import ActivityRejected, ActivityVerificationOverdue, ActivityVerified
from kinerja_shared.contracts.base import Event
from kinerja_shared.db import ALL_REGENCIES, tenant_transaction
from kinerja_shared.messaging import outbox
from kinerja_shared.web import JAKARTA


async def decide(
    pool: asyncpg.Pool,
    verifier: Caller,
    activity_ids: Sequence[UUID],
    *,
    approve: bool,
    reason: str = "",
    now: datetime,
    principal: Principal | None = None,
) -> list[UUID]:
    """Approve (one or many) or reject activities; all or nothing. Returns the ids whose state changed.

    Only the direct superior, or an acting superior (Plt/Plh) valid on the activity's date or today, may
    decide (NotAllowed → 403); ids the caller cannot see, including other regencies', are NotFound (404).
    """
    ids = list(dict.fromkeys(activity_ids))
    today = now.astimezone(JAKARTA).date()
    async with tenant_transaction(pool, [verifier.regency_id]) as conn:
        rows = await conn.fetch(
            "SELECT activity_id, asn_id, regency_id, activity_date, minutes, indicator_id, status FROM activity"
            " WHERE activity_id = ANY($1::uuid[]) ORDER BY activity_id FOR UPDATE",
            ids,
        )
        if len(rows) != len(ids):
            raise NotFound("kegiatan tidak ditemukan")
        if any(r["asn_id"] == verifier.asn_id for r in rows):
            raise NotAllowed("Kegiatan sendiri tidak dapat diverifikasi sendiri.")
        pairs = [(r["asn_id"], r["activity_date"]) for r in rows]
        allowed = await repo.subordinates_allowed(conn, verifier.asn_id, pairs, today)
        if any(p not in allowed for p in pairs):
            raise NotAllowed("Hanya atasan langsung (atau Plt/Plh) yang dapat memverifikasi kegiatan ini.")
        to_change = [r for r in rows if ensure_verifiable(ActivityStatus(r["status"]), approve=approve)]
        if not to_change:
            return []
        status = ActivityStatus.VERIFIED if approve else ActivityStatus.REJECTED
        await conn.execute(
            "UPDATE activity SET status = $2, decided_by = $3, decided_at = $4, updated_at = $4,"
            " reject_reason = $5 WHERE activity_id = ANY($1::uuid[])",
            [r["activity_id"] for r in to_change],
            status.value,
            verifier.asn_id,
            now,
            None if approve else reason,
        )
        events: list[Event] = []
        for r in sorted(to_change, key=lambda r: ids.index(r["activity_id"])):
            if approve:
                events.append(
                    ActivityVerified(
                        regency_id=r["regency_id"],
                        occurred_at=now,
                        activity_id=r["activity_id"],
                        asn_id=r["asn_id"],
                        verifier_id=verifier.asn_id,
                        activity_date=r["activity_date"],
                        minutes=r["minutes"],
                        indicator_id=r["indicator_id"],
                    )
                )
            else:
                events.append(
                    ActivityRejected(
                        regency_id=r["regency_id"],
                        occurred_at=now,
                        activity_id=r["activity_id"],
                        asn_id=r["asn_id"],
                        verifier_id=verifier.asn_id,
                        reason=reason,
                    )
                )
        if len(events) == 1:
            await outbox.add(conn, events[0])
        else:
            await outbox.add_many(conn, events)
        await repo.notify_live(conn, verifier.regency_id)
        actor = actor_of(verifier, principal)
        for r in to_change:  # last: the audit append holds its lock until commit
            await audit.record(
                conn,
                actor=actor,
                action=audit.AuditAction.ACTIVITY_VERIFY if approve else "activity.reject",
                subject_type="activity",
                subject_id=r["activity_id"],
                regency_id=r["regency_id"],
                detail={"asn_id": r["asn_id"], "status": status.value, "minutes": r["minutes"]},
                at=now,
            )
        return [r["activity_id"] for r in to_change]


async def pending_queue(pool: asyncpg.Pool, superior: Caller, *, today: date, limit: int = 200) -> list[asyncpg.Record]:
    """Subordinates' activities waiting for this superior, oldest first."""
    async with tenant_transaction(pool, [superior.regency_id]) as conn:
        return list(await conn.fetch(repo.PENDING_SQL, superior.asn_id, today, limit))


async def team_today(pool: asyncpg.Pool, superior: Caller, *, today: date) -> list[asyncpg.Record]:
    """Each subordinate today: attendance, lateness, activities reported, latest activity, pending count."""
    async with tenant_transaction(pool, [superior.regency_id]) as conn:
        return list(await conn.fetch(repo.TEAM_SQL, superior.asn_id, today))


async def flag_overdue(pool: asyncpg.Pool, *, now: datetime, limit: int = 5000) -> int:
    """Worker job: each pending activity waiting more than the regency's working days (default 2) gets one
    ActivityVerificationOverdue, so evaluation can raise verification_pending (Table R1)."""
    today = now.astimezone(JAKARTA).date()
    async with tenant_transaction(pool, ALL_REGENCIES) as conn:
        # two calendar days is the least any rule can mean; the working-day count is decided below
        rows = await conn.fetch(
            """SELECT activity_id, asn_id, regency_id, activity_date, reported_at FROM activity
               WHERE status = 'menunggu' AND overdue_flagged_at IS NULL AND reported_at < $1
               ORDER BY reported_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
            now - timedelta(days=2),
            limit,
        )
        if not rows:
            return 0
        by_regency: dict[UUID, list[asyncpg.Record]] = defaultdict(list)
        for r in rows:
            by_regency[r["regency_id"]].append(r)
        flagged: list[UUID] = []
        events: list[Event] = []
        for regency_id, items in by_regency.items():
            rules, _ = await repo.rules(conn, regency_id)
            oldest = min(r["reported_at"] for r in items).astimezone(JAKARTA).date()
            off = await repo.holidays(conn, regency_id, oldest, today)
            for r in items:
                waited = working_days_waited(r["reported_at"].astimezone(JAKARTA).date(), today, off)
                if waited <= rules.overdue_working_days:
                    continue
                flagged.append(r["activity_id"])
                events.append(
                    ActivityVerificationOverdue(
                        regency_id=regency_id,
                        occurred_at=now,
                        activity_id=r["activity_id"],
                        asn_id=r["asn_id"],
                        superior_id=await repo.superior_of(conn, r["asn_id"], today),
                        activity_date=r["activity_date"],
                        reported_at=r["reported_at"],
                        pending_working_days=waited,
                    )
                )
        if flagged:
            await conn.execute(
                "UPDATE activity SET overdue_flagged_at = $2 WHERE activity_id = ANY($1::uuid[])", flagged, now
            )
            await outbox.add_many(conn, events)
        return len(flagged)
