"""Kafka handlers of the evaluation service."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from kinerja_shared.contracts.activity import ActivityVerified
from kinerja_shared.messaging.consumer import Received


async def on_activity_verified(conn: asyncpg.Connection, batch: Sequence[Received]) -> None:
    """Add verified minutes to the ASN's month, one set-based upsert per batch."""
    rows = []
    for r in batch:
        ev = r.event
        assert isinstance(ev, ActivityVerified)
        rows.append((ev.asn_id, ev.activity_date.replace(day=1), ev.regency_id, ev.minutes))
    await conn.execute(
        """INSERT INTO activity_minutes AS m (asn_id, month, regency_id, minutes, activities)
           SELECT asn_id, month, min(regency_id::text)::uuid, sum(minutes), count(*)
           FROM unnest($1::uuid[], $2::date[], $3::uuid[], $4::int[]) AS v(asn_id, month, regency_id, minutes)
           GROUP BY asn_id, month
           ON CONFLICT (asn_id, month) DO UPDATE
           SET minutes = m.minutes + excluded.minutes, activities = m.activities + excluded.activities""",
        *zip(*rows, strict=True),
    )
