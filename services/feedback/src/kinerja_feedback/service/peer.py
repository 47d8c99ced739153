"""360 feedback (Table B1): the superior or HR invites raters; answers are anonymous; aggregates from N raters.

Anonymity is structural: an invitation names its rater, a response does not (and carries only a day), so not
even this database links a rating to a person once the invitation is marked answered.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import asyncpg

from kinerja_feedback.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from kinerja_feedback.domain.peer import (
    COMMENT_MAX,
    Rating,
    Relation,
    Summary,
    Value,
    check_rater,
    summarize,
    validate_ratings,
)
from kinerja_feedback.domain.periods import parse_period
from kinerja_feedback.service.common import Directory, scope_of
from kinerja_shared import audit
from kinerja_shared.auth import Principal, Role
from kinerja_shared.contracts.feedback import BerakhlakValue, PeerFeedbackSummarized, ValueSummary
from kinerja_shared.db import tenant_transaction
from kinerja_shared.messaging import outbox
from kinerja_shared.web import JAKARTA


@dataclass(frozen=True, slots=True)
class Invitee:
    asn_id: UUID
    relation: Relation


async def _can_manage(conn: asyncpg.Connection, principal: Principal, ratee: UUID, on: datetime) -> None:
    """The ratee's superior (direct or acting on that day) or the regency's HR admin."""
    if principal.has_role(Role.ADMIN_BKPSDM):
        return
    if principal.asn_id is None:
        raise Forbidden("Hanya atasan langsung atau admin BKPSDM yang dapat mengundang penilai.")
    ok = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM org_asn WHERE asn_id = $1 AND superior_id = $2)
               OR EXISTS (SELECT 1 FROM org_acting_superior WHERE asn_id = $1 AND acting_superior_id = $2
                          AND $3::date BETWEEN valid_from AND valid_until)""",
        ratee,
        principal.asn_id,
        on.astimezone(JAKARTA).date(),
    )
    if not ok:
        raise Forbidden("Hanya atasan langsung atau admin BKPSDM yang dapat mengundang penilai.")


async def invite(
    pool: asyncpg.Pool,
    principal: Principal,
    ratee: UUID,
    period: str,
    invitees: Sequence[Invitee],
    at: datetime,
) -> UUID:
    """Open (or extend) the 360 round of `ratee` for `period` with these raters; returns the round id."""
    parse_period(period)
    if not invitees:
        raise InvalidInput("Pilih minimal satu penilai.", field="raters", reason="no raters")
    if len({i.asn_id for i in invitees}) != len(invitees):
        raise InvalidInput("Penilai yang sama dipilih dua kali.", field="raters", reason="duplicate rater")
    for i in invitees:
        check_rater(ratee, i.asn_id)
    regency = scope_of(principal)
    async with tenant_transaction(pool, regency) as conn:
        if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM org_asn WHERE asn_id = $1)", ratee):
            raise InvalidInput("Pegawai yang dinilai tidak dikenal.", field="asn_id", reason="unknown ASN")
        await _can_manage(conn, principal, ratee, at)
        known = {
            r["asn_id"]
            for r in await conn.fetch(
                "SELECT asn_id FROM org_asn WHERE asn_id = ANY($1::uuid[]) AND active", [i.asn_id for i in invitees]
            )
        }
        unknown = [i for i in invitees if i.asn_id not in known]
        if unknown:
            raise InvalidInput("Ada penilai yang tidak dikenal.", field="raters", reason="unknown rater")
        request_id = await conn.fetchval(
            """INSERT INTO peer_round (request_id, regency_id, asn_id, period, created_by, created_at)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (asn_id, period) DO UPDATE SET asn_id = excluded.asn_id RETURNING request_id""",
            uuid.uuid4(),
            regency[0],
            ratee,
            period,
            principal.sub,
            at,
        )
        await conn.executemany(
            """INSERT INTO peer_invitation (invitation_id, request_id, regency_id, rater_asn_id, relation, invited_at)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id, rater_asn_id) DO NOTHING""",
            [(uuid.uuid4(), request_id, regency[0], i.asn_id, i.relation.value, at) for i in invitees],
        )
    result: UUID = request_id
    return result


@dataclass(frozen=True, slots=True)
class OpenInvitation:
    invitation_id: UUID
    ratee_name: str
    ratee_position: str
    period: str
    relation: Relation


async def my_invitations(pool: asyncpg.Pool, principal: Principal) -> list[OpenInvitation]:
    if principal.asn_id is None:
        return []
    async with tenant_transaction(pool, scope_of(principal)) as conn:
        rows = await conn.fetch(
            """SELECT i.invitation_id, a.name, a.position_title, r.period, i.relation
               FROM peer_invitation i JOIN peer_round r USING (request_id) JOIN org_asn a ON a.asn_id = r.asn_id
               WHERE i.rater_asn_id = $1 AND i.status = 'terbuka' ORDER BY i.invited_at""",
            principal.asn_id,
        )
    return [OpenInvitation(r[0], r[1], r[2], r[3], Relation(r[4])) for r in rows]


async def invitation(pool: asyncpg.Pool, principal: Principal, invitation_id: UUID) -> OpenInvitation:
    for inv in await my_invitations(pool, principal):
        if inv.invitation_id == invitation_id:
            return inv
    raise NotFound("Undangan tidak ditemukan atau sudah dijawab.", field="invitation_id", reason="not open")


def _summary_event(
    regency: UUID, request_id: UUID, asn_id: UUID, period: str, s: Summary, version: int, at: datetime
) -> PeerFeedbackSummarized:
    return PeerFeedbackSummarized(
        regency_id=regency,
        occurred_at=at,
        request_id=request_id,
        asn_id=asn_id,
        period=period,
        raters=s.raters,
        version=version,
        values=tuple(
            ValueSummary(
                value=BerakhlakValue(t.value.value),
                di_atas=t.di_atas,
                sesuai=t.sesuai,
                di_bawah=t.di_bawah,
                score=t.score,
            )
            for t in s.values
        ),
    )


async def rate(
    pool: asyncpg.Pool,
    directory: Directory,
    principal: Principal,
    invitation_id: UUID,
    ratings: Mapping[str, str],
    comment: str,
    at: datetime,
) -> bool:
    """Record one anonymous answer; returns True when it made (or updated) the published aggregate."""
    checked = validate_ratings(ratings)
    text = comment.strip()
    if len(text) > COMMENT_MAX:
        raise InvalidInput(f"Komentar maksimal {COMMENT_MAX} karakter.", field="comment", reason="too long")
    if principal.asn_id is None:
        raise Forbidden("Hanya pegawai yang diundang yang dapat menilai.")
    regency = scope_of(principal)
    async with tenant_transaction(pool, regency) as conn:
        # flipping the invitation first makes a second answer by the same rater lose (one response per rater)
        row = await conn.fetchrow(
            """UPDATE peer_invitation SET status = 'dijawab'
               WHERE invitation_id = $1 AND rater_asn_id = $2 AND status = 'terbuka' RETURNING request_id""",
            invitation_id,
            principal.asn_id,
        )
        if row is None:
            exists = await conn.fetchval(
                "SELECT status FROM peer_invitation WHERE invitation_id = $1 AND rater_asn_id = $2",
                invitation_id,
                principal.asn_id,
            )
            if exists is None:
                raise NotFound("Undangan tidak ditemukan.", field="invitation_id", reason="not your invitation")
            raise Conflict("Anda sudah memberikan penilaian untuk undangan ini.")
        request_id = row["request_id"]
        rnd = await conn.fetchrow(
            "SELECT asn_id, period, published_version FROM peer_round WHERE request_id = $1 FOR UPDATE", request_id
        )
        if rnd["asn_id"] == principal.asn_id:
            raise InvalidInput("Pegawai tidak dapat menilai dirinya sendiri.", field="raters", reason="self-rating")
        await conn.execute(
            """INSERT INTO peer_response (response_id, request_id, regency_id, ratings, comment, submitted_on)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            uuid.uuid4(),
            request_id,
            regency[0],
            {v.value: r.value for v, r in checked.items()},
            text,
            at.astimezone(JAKARTA).date(),
        )
        answers = [
            {Value(k): Rating(v) for k, v in r["ratings"].items()}
            for r in await conn.fetch("SELECT ratings FROM peer_response WHERE request_id = $1", request_id)
        ]
        cfg = await directory.config(regency[0])
        s = summarize(answers, min_raters=cfg.peer_min_raters)
        if s is None:
            return False
        version = rnd["published_version"] + 1
        await conn.execute("UPDATE peer_round SET published_version = $2 WHERE request_id = $1", request_id, version)
        await outbox.add(conn, _summary_event(regency[0], request_id, rnd["asn_id"], rnd["period"], s, version, at))
        return True


@dataclass(frozen=True, slots=True)
class PeerView:
    asn_id: UUID
    name: str
    period: str
    invited: int
    answered: int
    min_raters: int
    summary: Summary | None  # None until enough raters answered
    comments: tuple[str, ...]  # shown only with the summary, shuffled by sort (not in answer order)

    def score(self, value: Value) -> Decimal | None:
        if self.summary is None:
            return None
        return next(t.score for t in self.summary.values if t.value is value)


async def summary(
    pool: asyncpg.Pool, directory: Directory, principal: Principal, ratee: UUID, period: str, at: datetime
) -> PeerView:
    """What the ratee, their superior or HR may see: counts always, the aggregate only from N raters."""
    parse_period(period)
    regency = scope_of(principal)
    async with tenant_transaction(pool, regency) as conn:
        if principal.asn_id != ratee:
            await _can_manage(conn, principal, ratee, at)
        name = await conn.fetchval("SELECT name FROM org_asn WHERE asn_id = $1", ratee)
        if name is None:
            raise NotFound("Pegawai tidak ditemukan.", field="asn_id", reason="unknown ASN")
        rnd = await conn.fetchrow("SELECT request_id FROM peer_round WHERE asn_id = $1 AND period = $2", ratee, period)
        invited = answered = 0
        answers: list[dict[Value, Rating]] = []
        comments: list[str] = []
        if rnd is not None:
            invited = await conn.fetchval(
                "SELECT count(*) FROM peer_invitation WHERE request_id = $1", rnd["request_id"]
            )
            for r in await conn.fetch(
                "SELECT ratings, comment FROM peer_response WHERE request_id = $1", rnd["request_id"]
            ):
                answers.append({Value(k): Rating(v) for k, v in r["ratings"].items()})
                if r["comment"]:
                    comments.append(r["comment"])
            answered = len(answers)
        if principal.asn_id != ratee:  # a superior or HR reading someone's 360 results
            await audit.record(
                conn,
                actor=principal,
                action=audit.AuditAction.PEER_SUMMARY_VIEW,
                subject_type="asn",
                subject_id=ratee,
                regency_id=regency[0],
                detail={"period": period, "answered": answered},
            )
    cfg = await directory.config(regency[0])
    s = summarize(answers, min_raters=cfg.peer_min_raters)
    return PeerView(
        asn_id=ratee,
        name=name,
        period=period,
        invited=invited,
        answered=answered,
        min_raters=cfg.peer_min_raters,
        summary=s,
        comments=tuple(sorted(comments)) if s is not None else (),
    )
