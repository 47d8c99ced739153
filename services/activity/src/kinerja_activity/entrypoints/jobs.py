"""Worker jobs of the activity service: the periodic scan for activities waiting too long for verification."""

from __future__ import annotations

import asyncio
import contextlib

from kinerja_activity.entrypoints.common import now
from kinerja_activity.service.verification import flag_overdue
from kinerja_shared.logging import get_logger
from kinerja_shared.runtime import Runtime, WorkerTask

log = get_logger(__name__)


def overdue_scanner(rt: Runtime, interval_s: float) -> WorkerTask:
    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                flagged = await flag_overdue(rt.db(), now=now())
                if flagged:
                    log.info("verification overdue flagged", count=flagged)
            except Exception as e:  # database blip: try again next round, never kill the worker
                log.warning("overdue scan failed", error=str(e))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)

    return run


def jobs(rt: Runtime) -> dict[str, WorkerTask]:
    interval = float(getattr(rt.settings, "overdue_scan_seconds", 300.0))
    return {"verification-overdue": overdue_scanner(rt, interval)}
