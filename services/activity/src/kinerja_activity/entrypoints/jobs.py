"""Worker jobs of the activity service: the scan for activities waiting too long for verification, and the
day-end job that marks working days without any attendance record as `alpa`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from kinerja_activity.entrypoints.common import now
from kinerja_activity.service.alpa import mark_absent
from kinerja_activity.service.verification import flag_overdue
from kinerja_shared.logging import get_logger
from kinerja_shared.runtime import Runtime, WorkerTask

log = get_logger(__name__)


def periodic(name: str, step: Callable[[], Awaitable[int]], interval_s: float) -> WorkerTask:
    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                done = await step()
                if done:
                    log.info(f"{name} done", count=done)
            except Exception as e:  # database blip: try again next round, never kill the worker
                log.warning(f"{name} failed", error=str(e))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)

    return run


def overdue_scanner(rt: Runtime, interval_s: float) -> WorkerTask:
    return periodic("verification overdue", lambda: flag_overdue(rt.db(), now=now()), interval_s)


def alpa_closer(rt: Runtime, interval_s: float, lookback_days: int) -> WorkerTask:
    return periodic("day-end alpa", lambda: mark_absent(rt.db(), now=now(), lookback_days=lookback_days), interval_s)


def jobs(rt: Runtime) -> dict[str, WorkerTask]:
    s = rt.settings
    return {
        "verification-overdue": overdue_scanner(rt, float(getattr(s, "overdue_scan_seconds", 300.0))),
        "day-end-alpa": alpa_closer(
            rt, float(getattr(s, "alpa_scan_seconds", 600.0)), int(getattr(s, "alpa_lookback_days", 7))
        ),
    }
