"""Outbox backlog gauges, sampled by every publishing worker (not only the active relay).

The relay's own `kinerja_outbox_pending` shows its current batch; these show the whole backlog and how long the
oldest row has waited, which is what the outbox-age alert needs: a relay that is stuck or fenced stops updating
its own metrics, while the standby workers keep reporting the growing age from the database.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
from prometheus_client import Gauge

from kinerja_shared.logging import get_logger

log = get_logger(__name__)

BACKLOG = Gauge("kinerja_outbox_backlog", "Unsent outbox rows in the service database", ["service"])
OLDEST_AGE = Gauge(
    "kinerja_outbox_oldest_age_seconds", "Age of the oldest unsent outbox row; 0 when everything is sent", ["service"]
)

_QUERY = (
    "SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age"
    " FROM outbox WHERE sent_at IS NULL"
)


async def sample(pool: asyncpg.Pool, service: str) -> tuple[int, float]:
    """One sample of the backlog (rows, oldest age in seconds); also sets the gauges."""
    row = await pool.fetchrow(_QUERY)
    assert row is not None
    n, age = int(row["n"]), float(row["age"])
    BACKLOG.labels(service).set(n)
    OLDEST_AGE.labels(service).set(age)
    return n, age


async def observe(pool: asyncpg.Pool, service: str, stop: asyncio.Event, every_s: float = 5.0) -> None:
    """Sample until `stop`; a failed sample (database away) is logged and retried, never fatal."""
    while not stop.is_set():
        try:
            await sample(pool, service)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            log.warning("outbox backlog sample failed", service=service, error=str(e))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)
