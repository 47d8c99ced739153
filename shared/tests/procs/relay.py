"""Runs one outbox relay until SIGTERM; tests SIGKILL it. Env: DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS."""

from __future__ import annotations

import asyncio
import os
import signal

from kinerja_shared.db import create_pool
from kinerja_shared.messaging.outbox import OutboxRelay
from kinerja_shared.settings import KafkaSettings


async def main() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    dsn = os.environ["DATABASE_URL"]
    pool = await create_pool(dsn)
    relay = OutboxRelay(pool, dsn, KafkaSettings(), service="test", batch_size=int(os.environ.get("BATCH", "500")))
    await relay.run(stop)
    await pool.close()


asyncio.run(main())
