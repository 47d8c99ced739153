"""Unit forum (Table C1): public threads and replies, moderated by the unit; hidden posts stay for audit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

import asyncpg

from kinerja_feedback.domain.errors import Conflict, InvalidInput, NotFound
from kinerja_feedback.service.common import Directory, ensure_unit_staff
from kinerja_shared.auth import Principal
from kinerja_shared.db import tenant_transaction

TITLE_MAX: Final = 150
BODY_MAX: Final = 4000
NAME_MAX: Final = 80


def _text(value: str, field: str, low: int, high: int, label: str) -> str:
    v = value.strip()
    if not low <= len(v) <= high:
        raise InvalidInput(f"{label} harus {low}–{high} karakter.", field=field, reason=f"length must be {low}..{high}")
    return v


@dataclass(frozen=True, slots=True)
class Post:
    post_id: UUID
    body: str
    author_name: str
    by_asn: bool
    created_at: datetime
    official: bool
    hidden_reason: str | None


@dataclass(frozen=True, slots=True)
class Thread:
    thread_id: UUID
    unit_id: UUID
    title: str
    body: str
    author_name: str
    by_asn: bool
    created_at: datetime
    last_post_at: datetime
    replies: int
    answered: bool
    hidden_reason: str | None


async def _author(conn: asyncpg.Connection, principal: Principal | None, name: str) -> tuple[str, UUID | None]:
    """A signed-in ASN posts under their own name; a citizen under the name they give (or 'Warga')."""
    if principal is not None and principal.asn_id is not None:
        asn_name = await conn.fetchval("SELECT name FROM org_asn WHERE asn_id = $1", principal.asn_id)
        return (asn_name or principal.name or "Pegawai"), principal.asn_id
    return (_text(name, "author_name", 0, NAME_MAX, "Nama") or "Warga"), None


async def start_thread(
    pool: asyncpg.Pool,
    directory: Directory,
    unit_id: UUID,
    title: str,
    body: str,
    author_name: str,
    principal: Principal | None,
    at: datetime,
) -> UUID:
    t = _text(title, "title", 5, TITLE_MAX, "Judul")
    b = _text(body, "body", 5, BODY_MAX, "Isi")
    unit = await directory.require_unit(unit_id)
    thread_id = uuid.uuid4()
    async with tenant_transaction(pool, [unit.regency_id]) as conn:
        name, asn = await _author(conn, principal, author_name)
        await conn.execute(
            """INSERT INTO forum_thread (thread_id, regency_id, unit_id, title, body, author_name, author_asn_id,
                                         created_at, last_post_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)""",
            thread_id,
            unit.regency_id,
            unit_id,
            t,
            b,
            name,
            asn,
            at,
        )
    return thread_id


async def reply(
    pool: asyncpg.Pool,
    directory: Directory,
    thread_id: UUID,
    body: str,
    author_name: str,
    principal: Principal | None,
    at: datetime,
) -> UUID:
    b = _text(body, "body", 2, BODY_MAX, "Balasan")
    regency = await _regency_of(pool, thread_id)
    post_id = uuid.uuid4()
    async with tenant_transaction(pool, [regency]) as conn:
        hidden = await conn.fetchval("SELECT hidden_at FROM forum_thread WHERE thread_id = $1 FOR UPDATE", thread_id)
        if hidden is not None:
            raise Conflict("Topik ini disembunyikan oleh moderator.")
        name, asn = await _author(conn, principal, author_name)
        await conn.execute(
            """INSERT INTO forum_post (post_id, thread_id, regency_id, body, author_name, author_asn_id, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            post_id,
            thread_id,
            regency,
            b,
            name,
            asn,
            at,
        )
        await conn.execute("UPDATE forum_thread SET last_post_at = $2 WHERE thread_id = $1", thread_id, at)
    return post_id


async def _regency_of(pool: asyncpg.Pool, thread_id: UUID) -> UUID:
    # public pages name a thread only; its regency is read across tenants, then everything runs scoped
    async with tenant_transaction(pool, "*") as conn:
        regency: UUID | None = await conn.fetchval(
            "SELECT regency_id FROM forum_thread WHERE thread_id = $1", thread_id
        )
    if regency is None:
        raise NotFound("Topik tidak ditemukan.", field="thread_id", reason="unknown thread")
    return regency


async def list_threads(pool: asyncpg.Pool, unit_id: UUID, *, include_hidden: bool = False) -> list[Thread]:
    async with tenant_transaction(pool, "*") as conn:
        rows = await conn.fetch(
            """SELECT t.*, (SELECT count(*) FROM forum_post p WHERE p.thread_id = t.thread_id AND p.hidden_at IS NULL)
                        AS replies,
                      EXISTS (SELECT 1 FROM forum_post p WHERE p.thread_id = t.thread_id AND p.official
                              AND p.hidden_at IS NULL) AS answered
               FROM forum_thread t WHERE t.unit_id = $1 AND ($2 OR t.hidden_at IS NULL)
               ORDER BY t.last_post_at DESC LIMIT 200""",
            unit_id,
            include_hidden,
        )
    return [_thread(r) for r in rows]


def _thread(r: asyncpg.Record) -> Thread:
    return Thread(
        r["thread_id"],
        r["unit_id"],
        r["title"],
        r["body"],
        r["author_name"],
        r["author_asn_id"] is not None,
        r["created_at"],
        r["last_post_at"],
        r["replies"],
        r["answered"],
        r["hidden_reason"] if r["hidden_at"] is not None else None,
    )


async def get_thread(pool: asyncpg.Pool, thread_id: UUID, *, moderator: bool = False) -> tuple[Thread, list[Post]]:
    """A thread and its replies; hidden ones are left out for the public, shown with their reason to moderators."""
    regency = await _regency_of(pool, thread_id)
    async with tenant_transaction(pool, [regency]) as conn:
        t = await conn.fetchrow(
            """SELECT t.*, 0 AS replies, EXISTS (SELECT 1 FROM forum_post p WHERE p.thread_id = t.thread_id
                      AND p.official AND p.hidden_at IS NULL) AS answered FROM forum_thread t WHERE thread_id = $1""",
            thread_id,
        )
        if t["hidden_at"] is not None and not moderator:
            raise NotFound("Topik ini disembunyikan oleh moderator.", field="thread_id", reason="hidden")
        posts = await conn.fetch(
            "SELECT * FROM forum_post WHERE thread_id = $1 AND ($2 OR hidden_at IS NULL) ORDER BY created_at",
            thread_id,
            moderator,
        )
    return _thread(t), [
        Post(
            p["post_id"],
            p["body"],
            p["author_name"],
            p["author_asn_id"] is not None,
            p["created_at"],
            p["official"],
            p["hidden_reason"] if p["hidden_at"] is not None else None,
        )
        for p in posts
    ]


async def hide(
    pool: asyncpg.Pool,
    directory: Directory,
    principal: Principal,
    *,
    thread_id: UUID,
    post_id: UUID | None,
    reason: str,
    at: datetime,
) -> None:
    """Hide a thread or a reply with a reason; the row stays (audit), the public no longer sees it."""
    why = _text(reason, "reason", 3, 300, "Alasan")
    regency = await _regency_of(pool, thread_id)
    async with tenant_transaction(pool, [regency]) as conn:
        unit_id = await conn.fetchval("SELECT unit_id FROM forum_thread WHERE thread_id = $1", thread_id)
        actor = await ensure_unit_staff(conn, principal, await directory.require_unit(unit_id))
        if post_id is None:
            done = await conn.execute(
                """UPDATE forum_thread SET hidden_at = $2, hidden_reason = $3, hidden_by = $4
                   WHERE thread_id = $1 AND hidden_at IS NULL""",
                thread_id,
                at,
                why,
                actor,
            )
        else:
            done = await conn.execute(
                """UPDATE forum_post SET hidden_at = $3, hidden_reason = $4, hidden_by = $5, official = false
                   WHERE post_id = $1 AND thread_id = $2 AND hidden_at IS NULL""",
                post_id,
                thread_id,
                at,
                why,
                actor,
            )
        if done.endswith(" 0"):
            raise Conflict("Sudah disembunyikan atau tidak ditemukan.")


async def mark_official(
    pool: asyncpg.Pool, directory: Directory, principal: Principal, *, thread_id: UUID, post_id: UUID
) -> None:
    """The unit marks one visible reply as its official answer (replacing an earlier mark)."""
    regency = await _regency_of(pool, thread_id)
    async with tenant_transaction(pool, [regency]) as conn:
        unit_id = await conn.fetchval("SELECT unit_id FROM forum_thread WHERE thread_id = $1", thread_id)
        actor = await ensure_unit_staff(conn, principal, await directory.require_unit(unit_id))
        ok = await conn.fetchval(
            "SELECT hidden_at IS NULL FROM forum_post WHERE post_id = $1 AND thread_id = $2", post_id, thread_id
        )
        if not ok:
            raise NotFound("Balasan tidak ditemukan.", field="post_id", reason="unknown or hidden post")
        await conn.execute("UPDATE forum_post SET official = false WHERE thread_id = $1 AND official", thread_id)
        await conn.execute("UPDATE forum_post SET official = true, marked_by = $2 WHERE post_id = $1", post_id, actor)
