"""Runs one batched consumer with the test effect until SIGTERM. Env: DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS,
TOPIC, GROUP, BATCH."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import apply_effects  # noqa: E402

import kinerja_shared.contracts  # noqa: E402,F401 - registers event types
from kinerja_shared.db import create_pool  # noqa: E402
from kinerja_shared.logging import configure_logging  # noqa: E402
from kinerja_shared.messaging.consumer import BatchConsumer  # noqa: E402
from kinerja_shared.settings import KafkaSettings  # noqa: E402


async def main() -> None:
    configure_logging("test-consumer", "WARNING")
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    pool = await create_pool(os.environ["DATABASE_URL"])
    consumer = BatchConsumer(
        name=os.environ["GROUP"],
        pool=pool,
        kafka=KafkaSettings(),
        topics=[os.environ["TOPIC"]],
        handler=apply_effects,
        batch_size=int(os.environ.get("BATCH", "200")),
        session_timeout_ms=6000,
    )
    await consumer.run(stop)
    await pool.close()


asyncio.run(main())
