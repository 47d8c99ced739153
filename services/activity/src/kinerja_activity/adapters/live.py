"""Live team view plumbing: one LISTEN connection per API process fans PostgreSQL NOTIFYs out to SSE streams.

Use cases NOTIFY `kinerja_activity_live` with the regency id inside their transaction, so a stream wakes only
after the change is committed and visible, whichever API replica took the write.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from uuid import UUID

import asyncpg

from kinerja_activity.adapters.repository import LIVE_CHANNEL
from kinerja_shared.logging import get_logger

log = get_logger(__name__)


class LiveHub:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._subscribers: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def subscribe(self, regency_id: UUID) -> asyncio.Event:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name="activity-live-listen")
        ev = asyncio.Event()
        self._subscribers[str(regency_id)].add(ev)
        return ev

    def unsubscribe(self, regency_id: UUID, ev: asyncio.Event) -> None:
        self._subscribers[str(regency_id)].discard(ev)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        for ev in self._subscribers.get(payload, ()):
            ev.set()

    async def _listen(self) -> None:
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self._dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(LIVE_CHANNEL, self._on_notify)
                self.connected.set()
                for subs in self._subscribers.values():  # changes missed while reconnecting
                    for ev in subs:
                        ev.set()
                await lost.wait()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # database restart: streams keep their periodic refresh meanwhile
                log.warning("live listener lost its connection; retrying", error=str(e))
            finally:
                self.connected.clear()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
            await asyncio.sleep(2)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
