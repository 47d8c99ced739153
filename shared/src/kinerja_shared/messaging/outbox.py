"""Transactional outbox: events are rows written in the state change's transaction; a relay publishes them.

The relay is single-active per database (a PostgreSQL advisory lock), publishes rows in id order inside
Kafka transactions (acks=all, idempotent), and marks them sent after the Kafka commit. If it dies between
the Kafka commit and the mark, the next relay reads the topics' tails and marks what already landed, so
every row reaches Kafka exactly once (readers with isolation_level=read_committed never see aborted sends).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client import Counter, Gauge, Histogram

from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.envelope import Envelope
from kinerja_shared.logging import get_logger
from kinerja_shared.settings import KafkaSettings

log = get_logger(__name__)

RELAY_LOCK = 0x6F757462  # "outb"
NOTIFY_CHANNEL = "kinerja_outbox"

PUBLISHED = Counter("kinerja_outbox_published_total", "Outbox rows published to Kafka", ["service"])
RECOVERED = Counter("kinerja_outbox_recovered_total", "Rows found already on Kafka after a relay crash", ["service"])
PENDING = Gauge("kinerja_outbox_pending", "Unsent outbox rows seen by the relay", ["service"])
BATCH_SECONDS = Histogram("kinerja_outbox_batch_seconds", "Time to publish one outbox batch", ["service"])


def _current_traceparent() -> str | None:
    """W3C traceparent of the request or event being handled, so consumers continue the same trace."""
    trace_id = structlog.contextvars.get_contextvars().get("trace_id")
    if not isinstance(trace_id, str) or len(trace_id) != 32:
        return None
    return f"00-{trace_id}-{secrets.token_hex(8)}-01"


def _row(event: Event, event_id: uuid.UUID | None, traceparent: str | None, topic: str | None) -> tuple[Any, ...]:
    env = Envelope.wrap(event, event_id=event_id, traceparent=traceparent or _current_traceparent())
    return (
        uuid.UUID(env.id),
        topic or event.topic,
        env.key,
        [[k, v.decode()] for k, v in env.headers()],
        env.data,
    )


async def add(
    conn: asyncpg.Connection,
    event: Event,
    *,
    event_id: uuid.UUID | None = None,
    traceparent: str | None = None,
    topic: str | None = None,
) -> uuid.UUID:
    """Stage one event in the caller's transaction; returns its CloudEvents id. `topic` overrides (tests)."""
    row = _row(event, event_id, traceparent, topic)
    await conn.execute("INSERT INTO outbox (event_id, topic, key, headers, payload) VALUES ($1, $2, $3, $4, $5)", *row)
    eid: uuid.UUID = row[0]
    return eid


async def add_many(
    conn: asyncpg.Connection,
    events: Iterable[Event],
    *,
    traceparent: str | None = None,
    topic: str | None = None,
    event_ids: Sequence[uuid.UUID | None] | None = None,
) -> int:
    """Stage many events with COPY (imports, batch consumers); the iterable's order is the publish order.

    `event_ids`, if given, are the events' CloudEvents ids in the same order (deterministic ids for re-runs).
    """
    items = list(events)
    if event_ids is not None and len(event_ids) != len(items):
        raise ValueError("event_ids must match events one to one")
    ids: Sequence[uuid.UUID | None] = event_ids if event_ids is not None else [None] * len(items)
    rows = [_row(e, i, traceparent, topic) for e, i in zip(items, ids, strict=True)]
    if not rows:
        return 0
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS _outbox_stage"
        " (seq int, event_id uuid, topic text, key text, headers text, payload bytea) ON COMMIT DELETE ROWS"
    )
    # headers go through COPY as text and are cast once in SQL (binary COPY has no jsonb codec)
    await conn.copy_records_to_table(
        "_outbox_stage",
        records=[(i, r[0], r[1], r[2], orjson.dumps(r[3]).decode(), r[4]) for i, r in enumerate(rows)],
    )
    await conn.execute(
        "INSERT INTO outbox (event_id, topic, key, headers, payload)"
        " SELECT event_id, topic, key, headers::jsonb, payload FROM _outbox_stage ORDER BY seq"
    )
    await conn.execute("TRUNCATE _outbox_stage")
    return len(rows)


async def add_batch(
    conn: asyncpg.Connection,
    events: Sequence[Event],
    *,
    traceparents: Sequence[str | None] | None = None,
) -> list[uuid.UUID]:
    """Stage events with one multi-row INSERT (unnest); the sequence's order is the publish order.

    For hot paths that commit a few hundred events at a time (group commit): no temp table, no COPY round trips,
    and each event may carry its own `traceparent` (one per request that produced it). Returns the event ids.
    """
    if traceparents is not None and len(traceparents) != len(events):
        raise ValueError("traceparents must match events one to one")
    if not events:
        return []
    tps: Sequence[str | None] = traceparents if traceparents is not None else [None] * len(events)
    ids: list[uuid.UUID] = []
    topics: list[str] = []
    keys: list[str] = []
    headers: list[str] = []
    payloads: list[bytes] = []
    for e, tp in zip(events, tps, strict=True):
        # the caller's traceparent only: the structlog context lookup costs more than the rest of the row
        env = Envelope.wrap(e, traceparent=tp)
        ids.append(uuid.UUID(env.id))
        topics.append(e.topic)
        keys.append(env.key)
        headers.append(orjson.dumps([[k, v.decode()] for k, v in env.headers()]).decode())
        payloads.append(env.data)
    await conn.execute(
        "INSERT INTO outbox (event_id, topic, key, headers, payload)"
        " SELECT i, t, k, h::jsonb, p FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[])"
        " WITH ORDINALITY AS x(i, t, k, h, p, n) ORDER BY n",
        ids,
        topics,
        keys,
        headers,
        payloads,
    )
    return ids


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    event_id: uuid.UUID
    topic: str
    key: str
    headers: list[tuple[str, bytes]]
    payload: bytes


class OutboxRelay:
    """Publishes a service database's outbox to Kafka; run one or more per service, one is active."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        dsn: str,
        kafka: KafkaSettings,
        *,
        service: str,
        batch_size: int = 500,
        idle_poll_s: float = 1.0,
        sent_retention: str = "3 days",
    ) -> None:
        self._pool = pool
        self._dsn = dsn  # a dedicated connection holds the advisory lock and LISTENs
        self._kafka = kafka
        self._service = service
        self._batch_size = batch_size
        self._idle_poll_s = idle_poll_s
        self._retention = sent_retention
        self._wake = asyncio.Event()
        self.active = asyncio.Event()  # set while this instance holds the relay lock (tests, readiness)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: wait for the relay lock, then publish; reconnects after database or broker failures."""
        while not stop.is_set():
            try:
                await self._run_once(stop)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
                log.warning("outbox relay lost its database; retrying", error=str(e))
            except Exception as e:  # broker errors and anything else: back off, never die silently
                log.exception("outbox relay failed; retrying", error=str(e))
            finally:
                self.active.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)

    async def _run_once(self, stop: asyncio.Event) -> None:
        lock_conn: asyncpg.Connection = await asyncpg.connect(self._dsn)
        try:
            while not await lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 2.0)
                if stop.is_set():
                    return
            await lock_conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
            producer = AIOKafkaProducer(
                **self._kafka.client_kwargs(),
                acks="all",
                enable_idempotence=True,
                transactional_id=self._kafka.group(
                    f"kinerja-{self._service}-outbox"
                ),  # fences a zombie relay's open transaction
                linger_ms=5,
                max_batch_size=256 * 1024,
                compression_type=None,
            )
            await producer.start()
            try:
                self.active.set()
                log.info("outbox relay active", service=self._service)
                await self._recover()
                await self._publish_loop(producer, lock_conn, stop)
            finally:
                await producer.stop()
        finally:
            await lock_conn.close()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _publish_loop(
        self, producer: AIOKafkaProducer, lock_conn: asyncpg.Connection, stop: asyncio.Event
    ) -> None:
        """Pipelined: the next batch is claimed and the previous one marked while this one is on the wire."""
        purged_at = 0.0
        loop = asyncio.get_running_loop()
        marking: asyncio.Task[None] | None = None
        marking_ids: list[int] = []
        try:
            rows = await self._claim([])
            while not stop.is_set():
                if lock_conn.is_closed():
                    raise asyncpg.InterfaceError("relay lock connection closed")
                if rows:
                    ids = [r.id for r in rows]
                    # rows in flight (this batch, and the previous one until its mark lands) are not claimed again
                    claiming = asyncio.create_task(self._claim(ids + marking_ids))
                    try:
                        with BATCH_SECONDS.labels(self._service).time():
                            await self._publish(producer, rows)
                        if marking is not None:
                            await marking
                    except BaseException:
                        claiming.cancel()
                        raise
                    marking, marking_ids = asyncio.create_task(self._mark(rows)), ids
                    rows = await claiming
                    continue
                if marking is not None:
                    await marking
                    marking, marking_ids = None, []
                PENDING.labels(self._service).set(0)
                if loop.time() - purged_at > 600:
                    await self._purge()
                    purged_at = loop.time()
                self._wake.clear()
                rows = await self._claim([])
                if rows:
                    continue
                waiter = asyncio.create_task(self._wake.wait())
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait({waiter, stopper}, timeout=self._idle_poll_s, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()
                rows = await self._claim([])
        finally:
            if marking is not None:
                with contextlib.suppress(Exception):
                    await marking  # a committed batch gets marked even on shutdown

    async def _claim(self, in_flight: list[int], limit: int | None = None) -> list[_Row]:
        records = await self._pool.fetch(
            "SELECT id, event_id, topic, key, headers, payload FROM outbox"
            " WHERE sent_at IS NULL AND NOT (id = ANY($2::bigint[])) ORDER BY id LIMIT $1",
            limit or self._batch_size,
            in_flight,
        )
        return [
            _Row(
                r["id"],
                r["event_id"],
                r["topic"],
                r["key"],
                [(k, v.encode()) for k, v in r["headers"]],
                r["payload"],
            )
            for r in records
        ]

    async def _publish(self, producer: AIOKafkaProducer, rows: Sequence[_Row]) -> None:
        PENDING.labels(self._service).set(len(rows))
        async with producer.transaction():
            futures = [
                await producer.send(self._kafka.topic(r.topic), value=r.payload, key=r.key.encode(), headers=r.headers)
                for r in rows
            ]
            await asyncio.gather(*futures)
        # Kafka committed; a crash before _mark lands is what _recover() repairs

    async def _mark(self, rows: Sequence[_Row]) -> None:
        await self._pool.execute("UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", [r.id for r in rows])
        PUBLISHED.labels(self._service).inc(len(rows))

    async def _recover(self) -> None:
        """Mark unsent rows that a dead relay already committed to Kafka.

        Only a dead relay's last two batches can be such (pipelining), and they sit at the tails of their
        partitions: every event id found in the tails of the topics that unsent rows go to is marked, whichever
        rows those are (rows are not always published in id order: a transaction can commit a lower id late)."""
        topics = [r["topic"] for r in await self._pool.fetch("SELECT DISTINCT topic FROM outbox WHERE sent_at IS NULL")]
        if not topics:
            return
        consumer = AIOKafkaConsumer(
            **self._kafka.client_kwargs(),
            enable_auto_commit=False,
            isolation_level="read_committed",
            group_id=None,
        )
        await consumer.start()
        found: set[uuid.UUID] = set()
        try:
            for logical in topics:
                topic = self._kafka.topic(logical)
                parts = consumer.partitions_for_topic(topic) or set()
                if not parts:
                    await consumer._client.force_metadata_update()  # noqa: SLF001 - metadata for an unassigned topic
                    parts = consumer.partitions_for_topic(topic) or set()
                tps = [TopicPartition(topic, p) for p in parts]
                if not tps:
                    continue
                consumer.assign(tps)
                ends = await consumer.end_offsets(tps)
                # two batches may be committed but unmarked (pipelining), each ≤ batch_size per partition + a marker
                span = 4 * self._batch_size + 4
                active = {tp for tp in tps if ends[tp] > 0}
                for tp in active:
                    consumer.seek(tp, max(0, ends[tp] - span))
                # read every partition up to its end: an empty fetch from a busy broker is not the end, and
                # stopping early would publish again what is already there; without the full tail, give up loudly
                deadline = asyncio.get_running_loop().time() + 120
                while active:
                    if asyncio.get_running_loop().time() > deadline:
                        raise RuntimeError(f"outbox recovery could not read the tail of {topic} within 120 s")
                    batch = await consumer.getmany(*active, timeout_ms=2000)
                    for records in batch.values():
                        for rec in records:
                            ce_id = dict(rec.headers).get("ce_id")
                            if ce_id is not None:
                                with contextlib.suppress(ValueError):
                                    found.add(uuid.UUID(ce_id.decode()))
                    for tp in list(active):
                        if await consumer.position(tp) >= ends[tp]:
                            active.discard(tp)
        finally:
            await consumer.stop()
        if not found:
            return
        marked = await self._pool.fetch(
            "UPDATE outbox SET sent_at = now() WHERE event_id = ANY($1::uuid[]) AND sent_at IS NULL RETURNING id",
            list(found),
        )
        if marked:
            RECOVERED.labels(self._service).inc(len(marked))
            log.warning("outbox relay recovered rows already on Kafka", count=len(marked))

    async def _purge(self) -> None:
        await self._pool.execute(
            f"DELETE FROM outbox WHERE sent_at < now() - interval '{self._retention}'"  # noqa: S608 - our constant
        )
