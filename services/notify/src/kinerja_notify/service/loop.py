"""The worker's loops: the dispatchers' (a step until nothing is due, then sleep until woken or the poll
interval) and the parked-notification sweep's."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
from prometheus_client import Gauge

from kinerja_notify.service.intake import Links, sweep_parked
from kinerja_shared.db import ALL_REGENCIES, tenant_transaction
from kinerja_shared.logging import get_logger

log = get_logger(__name__)

WAKE_CHANNEL = "kinerja_dispatch"
PARKED = Gauge("kinerja_notify_parked", "Notification requests waiting for their people's org facts")
PARKED_AGE = Gauge("kinerja_notify_parked_oldest_age_seconds", "Age of the oldest parked notification request")


async def run_dispatch_loop(
    name: str,
    dsn: str,
    step: Callable[[], Awaitable[bool]],
    stop: asyncio.Event,
    *,
    poll_s: float,
) -> None:
    """`step()` returns True while more work may be due right away. Survives database outages (backs off)."""
    wake = asyncio.Event()
    backoff = 0.5
    while not stop.is_set():
        listener: asyncpg.Connection | None = None
        try:
            listener = await asyncpg.connect(dsn)
            await listener.add_listener(WAKE_CHANNEL, lambda *_: wake.set())
            while not stop.is_set():
                wake.clear()
                if await step():
                    backoff = 0.5
                    continue
                backoff = 0.5
                waiter = asyncio.create_task(wake.wait())
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait({waiter, stopper}, timeout=poll_s, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            log.warning("dispatcher lost its database; retrying", dispatcher=name, error=str(e))
        except Exception as e:  # never die silently: readiness would report it, but keep trying
            log.exception("dispatcher step failed; retrying", dispatcher=name, error=str(e))
        finally:
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), backoff)
        backoff = min(backoff * 2, 15.0)


async def run_parked_sweep(
    pool: asyncpg.Pool, links: Links, stop: asyncio.Event, *, max_age_s: float, every_s: float
) -> None:
    """Every `every_s`: release parked notifications whose people arrived meanwhile, or that waited too long."""
    while not stop.is_set():
        try:
            async with tenant_transaction(pool, ALL_REGENCIES) as conn:
                res = await sweep_parked(conn, now=datetime.now(UTC), links=links, max_age_s=max_age_s)
                left = await conn.fetchrow(
                    "SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(parked_at)), 0) AS age"
                    " FROM notification_parked"
                )
            PARKED.set(left["n"])
            PARKED_AGE.set(float(left["age"]))
            if res.notifications:
                log.info("parked notifications released", notifications=res.notifications, still_parked=res.parked)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            log.warning("parked sweep lost its database; retrying", error=str(e))
        except Exception as e:  # never die silently; the next pass tries again
            log.exception("parked sweep failed; retrying", error=str(e))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)
