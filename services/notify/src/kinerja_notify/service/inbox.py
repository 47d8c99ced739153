"""In-app inbox use cases: list, count unread, mark read; each in one tenant-scoped transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from kinerja_shared.db import tenant_transaction


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class Reader:
    """Whose inbox: the ASN behind the token, inside their regency."""

    asn_id: uuid.UUID
    regency_id: uuid.UUID


def _item(r: asyncpg.Record) -> InboxItem:
    return InboxItem(r["id"], r["kind"], r["title"], r["body"], r["link"], r["created_at"], r["read_at"])


async def list_items(
    pool: asyncpg.Pool,
    reader: Reader,
    *,
    unread_only: bool = False,
    limit: int = 20,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> list[InboxItem]:
    """Newest first; `before` (created_at, id) of the last item seen pages on (keyset, stable under inserts)."""
    async with tenant_transaction(pool, [reader.regency_id]) as conn:
        rows = await conn.fetch(
            """SELECT id, kind, title, body, link, created_at, read_at FROM inbox_item
               WHERE recipient_id = $1 AND ($2::bool IS FALSE OR read_at IS NULL)
                 AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
               ORDER BY created_at DESC, id DESC LIMIT $5""",
            reader.asn_id,
            unread_only,
            before[0] if before else None,
            before[1] if before else None,
            limit,
        )
    return [_item(r) for r in rows]


async def unread_count(pool: asyncpg.Pool, reader: Reader) -> int:
    async with tenant_transaction(pool, [reader.regency_id]) as conn:
        n: int = await conn.fetchval(
            "SELECT count(*) FROM inbox_item WHERE recipient_id = $1 AND read_at IS NULL", reader.asn_id
        )
    return n


async def mark_read(pool: asyncpg.Pool, reader: Reader, item_ids: Sequence[uuid.UUID]) -> list[InboxItem]:
    """Mark the reader's own items read (others' ids are ignored); returns the items found."""
    async with tenant_transaction(pool, [reader.regency_id]) as conn:
        rows = await conn.fetch(
            """UPDATE inbox_item SET read_at = coalesce(read_at, now())
               WHERE recipient_id = $1 AND id = ANY($2::uuid[])
               RETURNING id, kind, title, body, link, created_at, read_at""",
            reader.asn_id,
            list(item_ids),
        )
    return [_item(r) for r in rows]


async def mark_all_read(pool: asyncpg.Pool, reader: Reader) -> int:
    async with tenant_transaction(pool, [reader.regency_id]) as conn:
        status: str = await conn.execute(
            "UPDATE inbox_item SET read_at = now() WHERE recipient_id = $1 AND read_at IS NULL", reader.asn_id
        )
    return int(status.rsplit(" ", 1)[1])
