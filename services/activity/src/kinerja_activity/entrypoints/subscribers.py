"""Kafka handlers of the activity service: keep the approved-indicator read model current."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from kinerja_shared.contracts.evaluation import SkpApproved
from kinerja_shared.messaging.consumer import Received


async def on_skp_approved(conn: asyncpg.Connection, batch: Sequence[Received]) -> None:
    """Replace an ASN's indicators for the year with those of the newest approved SKP version."""
    latest: dict[tuple[object, int], SkpApproved] = {}
    for r in batch:
        ev = r.event
        assert isinstance(ev, SkpApproved)
        k = (ev.asn_id, ev.year)
        if k not in latest or latest[k].version <= ev.version:
            latest[k] = ev
    for ev in latest.values():
        newer = await conn.fetchval(
            "SELECT 1 FROM approved_indicator WHERE asn_id = $1 AND year = $2 AND skp_version > $3 LIMIT 1",
            ev.asn_id,
            ev.year,
            ev.version,
        )
        if newer:  # an older approval arriving late (replay) must not undo a newer one
            continue
        await conn.execute("DELETE FROM approved_indicator WHERE asn_id = $1 AND year = $2", ev.asn_id, ev.year)
        await conn.executemany(
            """INSERT INTO approved_indicator (indicator_id, asn_id, regency_id, skp_id, year, skp_version, rhk_id,
                   name, unit, target, direction, aspect, weight)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)""",
            [
                (
                    i.indicator_id,
                    ev.asn_id,
                    ev.regency_id,
                    ev.skp_id,
                    ev.year,
                    ev.version,
                    i.rhk_id,
                    i.name,
                    i.unit,
                    i.target,
                    i.direction.value,
                    i.aspect.value,
                    i.weight,
                )
                for i in ev.indicators
            ],
        )
