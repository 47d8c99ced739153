"""Feedback's part of the personal data duties (docs/privacy.md register rows 2, 8–11): what an ASN's export
contains, the retention rules the worker's daily purge applies, and erasing a complaint reporter's contact on
request (the text stays, unlinked from the person)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final
from uuid import UUID

import asyncpg

from kinerja_feedback.domain.complaints import normalize_tracking_code
from kinerja_feedback.domain.errors import NotFound
from kinerja_shared import audit
from kinerja_shared.auth import Principal
from kinerja_shared.db import ALL_REGENCIES, tenant_transaction
from kinerja_shared.privacy import ExportSection, RetentionRule, RetentionSettings, years

_CLOSED = "status IN ('selesai', 'ditutup')"
_HAS_CONTACT = "(reporter_name <> '' OR reporter_contact <> '')"
# end of the period after next ("2026-M03" → 2026-06-01, "2026-Q3" → 2027-04-01, "2026-Y" → 2029-01-01)
_GUARD_EXPIRES = """CASE
    WHEN period LIKE '%-Y' THEN make_date(left(period, 4)::int + 3, 1, 1)
    WHEN period LIKE '%-Q%' THEN make_date(left(period, 4)::int, right(period, 1)::int * 3 - 2, 1) + interval '9 months'
    ELSE make_date(left(period, 4)::int, right(period, 2)::int, 1) + interval '3 months' END"""


def retention_rules(cfg: RetentionSettings) -> list[RetentionRule]:
    complaints = years(cfg.complaint_years)
    closed_at = (
        f"(SELECT c.updated_at FROM complaint c WHERE c.complaint_id = complaint_entry.complaint_id AND c.{_CLOSED})"
    )
    peer = years(cfg.peer_years)
    hidden = timedelta(days=cfg.forum_hidden_days)
    return [
        # a closed complaint's last change is its closing (a reopened one is not closed)
        RetentionRule(
            "feedback.complaint_contact",
            "complaint",
            "updated_at",
            timedelta(days=cfg.complaint_contact_days),
            where=f"{_CLOSED} AND {_HAS_CONTACT}",
            set="reporter_name = '', reporter_contact = ''",
        ),
        RetentionRule("feedback.complaint_entry", "complaint_entry", closed_at, complaints),
        RetentionRule(
            "feedback.complaint",
            "complaint",
            "updated_at",
            complaints,
            where=f"{_CLOSED} AND NOT EXISTS"
            " (SELECT 1 FROM complaint_entry e WHERE e.complaint_id = complaint.complaint_id)",
        ),
        RetentionRule("feedback.survey_response", "survey_response", "submitted_at", years(cfg.survey_years)),
        RetentionRule("feedback.survey_guard", "survey_guard", _GUARD_EXPIRES, timedelta(days=1)),
        RetentionRule("feedback.peer_response", "peer_response", "submitted_on", peer),
        RetentionRule("feedback.peer_invitation", "peer_invitation", "invited_at", peer),
        RetentionRule(
            "feedback.peer_round",
            "peer_round",
            "created_at",
            peer,
            where="NOT EXISTS (SELECT 1 FROM peer_invitation i WHERE i.request_id = peer_round.request_id)"
            " AND NOT EXISTS (SELECT 1 FROM peer_response r WHERE r.request_id = peer_round.request_id)",
        ),
        RetentionRule("feedback.forum_post_hidden", "forum_post", "hidden_at", hidden, where="hidden_at IS NOT NULL"),
        RetentionRule(
            "feedback.forum_post_of_hidden_thread",
            "forum_post",
            "(SELECT t.hidden_at FROM forum_thread t WHERE t.thread_id = forum_post.thread_id)",
            hidden,
        ),
        RetentionRule(
            "feedback.forum_thread_hidden",
            "forum_thread",
            "hidden_at",
            hidden,
            where="hidden_at IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM forum_post p WHERE p.thread_id = forum_thread.thread_id)",
        ),
    ]


# Peer responses carry no rater id (by design): an ASN's own answers cannot be picked out, so the export lists
# the rounds about them (aggregates are on the 360 page) and the invitations they received as rater.
EXPORT_SECTIONS = (
    ExportSection("org_asn", 2, "SELECT * FROM org_asn WHERE asn_id = $1"),
    ExportSection(
        "peer_round_about_me",
        8,
        """SELECT r.*, (SELECT count(*) FROM peer_invitation i WHERE i.request_id = r.request_id) AS invited,
                  (SELECT count(*) FROM peer_response p WHERE p.request_id = r.request_id) AS answered
           FROM peer_round r WHERE r.asn_id = $1 ORDER BY r.period""",
    ),
    ExportSection(
        "peer_invitation_as_rater",
        8,
        "SELECT invitation_id, request_id, relation, status, invited_at FROM peer_invitation WHERE rater_asn_id = $1",
    ),
    ExportSection("forum_thread", 11, "SELECT * FROM forum_thread WHERE author_asn_id = $1 ORDER BY created_at"),
    ExportSection("forum_post", 11, "SELECT * FROM forum_post WHERE author_asn_id = $1 ORDER BY created_at"),
    ExportSection(
        "complaint_assigned",
        10,
        "SELECT complaint_id, unit_id, tracking_code, status, filed_at, resolved_at FROM complaint"
        " WHERE assigned_asn_id = $1 ORDER BY filed_at",
    ),
)


# a citizen has no account: the tracking code is their proof, as for reading the complaint
CITIZEN: Final = audit.Actor(sub="citizen:tracking-code", roles=frozenset({"publik"}))


async def erase_reporter_contact(pool: asyncpg.Pool, principal: Principal, complaint_id: UUID) -> bool:
    """The citizen asked (art. 8): their name and contact go at once; the complaint text and steps stay, no
    longer linked to a person. Regency HR does it; audited as `personal_data.correct`. False if already empty."""
    if principal.regency_id is None:
        raise NotFound("Pengaduan tidak ditemukan.", field="complaint_id", reason="unknown complaint")
    async with tenant_transaction(pool, [principal.regency_id]) as conn:
        row = await conn.fetchrow(
            f"SELECT regency_id, {_HAS_CONTACT} AS has_contact FROM complaint WHERE complaint_id = $1 FOR UPDATE",  # noqa: S608
            complaint_id,
        )
        if row is None:
            raise NotFound("Pengaduan tidak ditemukan.", field="complaint_id", reason="unknown complaint")
        if row["has_contact"]:
            await conn.execute(
                "UPDATE complaint SET reporter_name = '', reporter_contact = '' WHERE complaint_id = $1", complaint_id
            )
        await audit.record(
            conn,
            actor=principal,
            action=audit.AuditAction.PERSONAL_DATA_CORRECT,
            subject_type="complaint",
            subject_id=complaint_id,
            regency_id=row["regency_id"],
            detail={"step": "erase_reporter_contact", "erased": bool(row["has_contact"])},
        )
    return bool(row["has_contact"])


async def erase_own_contact(pool: asyncpg.Pool, code: str) -> bool:
    """The citizen erases their own name and contact with the complaint's tracking code (art. 8), at once;
    audited as `personal_data.correct` by `citizen:tracking-code`. False if already empty."""
    normalized = normalize_tracking_code(code)
    # the code names one row in whichever regency; find which, then work inside that tenant only
    async with tenant_transaction(pool, ALL_REGENCIES) as conn:
        found = await conn.fetchrow(
            "SELECT complaint_id, regency_id FROM complaint WHERE tracking_code = $1", normalized
        )
    if found is None:
        raise NotFound("Pengaduan dengan kode ini tidak ditemukan.", field="kode", reason="unknown code")
    async with tenant_transaction(pool, [found["regency_id"]]) as conn:
        had = await conn.fetchval(
            f"SELECT {_HAS_CONTACT} FROM complaint WHERE complaint_id = $1 FOR UPDATE",  # noqa: S608
            found["complaint_id"],
        )
        if had:
            await conn.execute(
                "UPDATE complaint SET reporter_name = '', reporter_contact = '' WHERE complaint_id = $1",
                found["complaint_id"],
            )
        await audit.record(
            conn,
            actor=CITIZEN,
            action=audit.AuditAction.PERSONAL_DATA_CORRECT,
            subject_type="complaint",
            subject_id=found["complaint_id"],
            regency_id=found["regency_id"],
            detail={"step": "erase_own_contact", "erased": bool(had)},
        )
    return bool(had)
