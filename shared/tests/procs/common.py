"""Shared by the subprocess helpers that tests SIGKILL: the effect table and the test handler."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence

import asyncpg

from kinerja_shared.messaging.consumer import Received

EFFECTS_DDL = """
CREATE TABLE IF NOT EXISTS applied (event_id uuid NOT NULL, asn_id uuid NOT NULL, seq int NOT NULL);
CREATE TABLE IF NOT EXISTS totals (asn_id uuid PRIMARY KEY, n bigint NOT NULL);
"""


async def apply_effects(conn: asyncpg.Connection, batch: Sequence[Received]) -> None:
    """The test effect: one `applied` row per event (no unique key, so a double shows) and a running total."""
    rows = [(r.event_id, r.event.asn_id, int(r.event.quantity)) for r in batch]  # type: ignore[attr-defined]
    await conn.copy_records_to_table("applied", records=rows)
    await conn.execute(
        """INSERT INTO totals (asn_id, n) SELECT asn_id, count(*) FROM unnest($1::uuid[]) AS a(asn_id) GROUP BY asn_id
           ON CONFLICT (asn_id) DO UPDATE SET n = totals.n + excluded.n""",
        [r[1] for r in rows],
    )
    delay = float(os.environ.get("TEST_HANDLER_DELAY_S", "0"))
    if delay:
        await asyncio.sleep(delay)  # widens the window in which a SIGKILL lands mid-batch
