"""Inbox dedupe: a consumer records (consumer, event id) in the same transaction as the event's effect."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg


async def claim(conn: asyncpg.Connection, consumer: str, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Record these ids for `consumer`; returns the ones not seen before (their effects are still owed).

    Must run inside the transaction that applies the effects: if it rolls back, the claim does too.
    """
    if not event_ids:
        return set()
    rows = await conn.fetch(
        "INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::uuid[])"
        " ON CONFLICT DO NOTHING RETURNING event_id",
        consumer,
        list(event_ids),
    )
    return {r["event_id"] for r in rows}
