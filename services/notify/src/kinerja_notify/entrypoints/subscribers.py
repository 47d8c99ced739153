"""Kafka handlers of the notify service."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import orjson

from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.messaging.consumer import Received


async def on_notification_requested(conn: asyncpg.Connection, batch: Sequence[Received]) -> None:
    """Put each requested notification in the recipient's in-app inbox, once per notification id."""
    rows = []
    for r in batch:
        ev = r.event
        assert isinstance(ev, NotificationRequested)
        rows.append(
            (
                ev.notification_id,
                ev.asn_id,
                ev.regency_id,
                ev.kind,
                orjson.dumps(ev.params).decode(),
                ev.link,
                ev.occurred_at,
            )
        )
    await conn.execute(
        """INSERT INTO notification (notification_id, asn_id, regency_id, kind, params, link, created_at)
           SELECT n, a, r, k, p::jsonb, l, c
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
                AS v(n, a, r, k, p, l, c)
           ON CONFLICT (notification_id) DO NOTHING""",
        *zip(*rows, strict=True),
    )
