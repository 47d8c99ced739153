"""Helpers for tests against the real broker and database: bounded waits, reading a topic, producing events."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from kinerja_shared.auth import REGENCY_ROLES, Role
from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.envelope import Envelope
from kinerja_shared.devissuer import mint_token
from kinerja_shared.settings import KafkaSettings, ServiceSettings


async def wait_until(
    check: Callable[[], Awaitable[bool]],
    *,
    timeout: float = 30.0,
    interval: float = 0.2,
    what: str = "condition",
) -> None:
    """Poll `check` until true; fail with `what` after `timeout` seconds (never waits forever)."""
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(interval)


async def read_all(
    kafka: KafkaSettings, topic: str, *, isolation_level: str = "read_committed", timeout: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic` from offset 0 up to its current end, in partition order."""
    consumer = AIOKafkaConsumer(
        **kafka.client_kwargs(), enable_auto_commit=False, isolation_level=isolation_level, group_id=None
    )
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(topic)
        if not parts:
            await consumer._client.force_metadata_update()  # noqa: SLF001
            parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: list[ConsumerRecord[bytes, bytes]] = []
        pending = {tp for tp in tps if ends[tp] > 0}
        deadline = time.monotonic() + timeout
        while pending:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out reading {topic}")
            batch = await consumer.getmany(*pending, timeout_ms=500)
            for recs in batch.values():
                out.extend(recs)
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        return out
    finally:
        await consumer.stop()


async def produce(
    kafka: KafkaSettings,
    topic: str,
    events: Iterable[Event | Envelope | tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]],
) -> int:
    """Produce events (wrapped as CloudEvents), envelopes, or raw (key, value, headers) records; waits for acks."""
    producer = AIOKafkaProducer(**kafka.client_kwargs(), acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    n = 0
    try:
        futures: list[Any] = []
        for e in events:
            if isinstance(e, Event):
                e = Envelope.wrap(e)
            if isinstance(e, Envelope):
                futures.append(await producer.send(topic, e.data, key=e.key.encode(), headers=e.headers()))
            else:
                key, value, headers = e
                futures.append(await producer.send(topic, value, key=key, headers=headers))
            n += 1
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return n


def role_token(
    key: Path, settings: ServiceSettings, role: Role, *, regency_id: uuid.UUID, province_id: uuid.UUID, label: str
) -> str:
    """A dev-issuer token holding one role as the matrix and fuzz tests see it: regency roles carry the regency
    and an ASN id, province roles only the province."""
    regency_role = role in REGENCY_ROLES
    return mint_token(
        key,
        sub=f"{label}-{role.value}",
        roles=[role],
        regency_id=regency_id if regency_role else None,
        province_id=province_id,
        asn_id=uuid.uuid4() if regency_role else None,
        name=f"Uji {role.value}",
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
