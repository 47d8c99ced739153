"""The batched consumer every service uses: getmany → one DB transaction (inbox + effect) → commit offsets.

Offsets are committed only after the transaction commits, so a crash redelivers and the inbox makes the
redelivery a no-op. Poison goes to `<topic>.<group>.dlq` with reason headers; a failing event goes to
`<topic>.<group>.retry` with a not-before time and is retried with exponential backoff, then dead-lettered.
Neither blocks its partition. If PostgreSQL itself is unreachable the batch is retried in place instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import ConsumerRecord
from prometheus_client import Counter, Gauge, Histogram

from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.envelope import Envelope
from kinerja_shared.db import ALL_REGENCIES, set_tenant
from kinerja_shared.errors import PermanentHandlerError, PoisonMessage
from kinerja_shared.logging import get_logger
from kinerja_shared.messaging.inbox import claim
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.topics import dlq_topic, retry_topic

log = get_logger(__name__)

H_ATTEMPT = "kinerja_attempt"
H_NOT_BEFORE = "kinerja_not_before_ms"
H_ORIGINAL_TOPIC = "kinerja_original_topic"
H_ERROR = "kinerja_error"
H_DLQ_REASON = "kinerja_dlq_reason"
H_DLQ_ERROR = "kinerja_dlq_error"
H_DLQ_CONSUMER = "kinerja_dlq_consumer"
H_DLQ_SOURCE = "kinerja_dlq_source"  # topic/partition/offset it was read from
H_DLQ_AT = "kinerja_dlq_at"
_OURS = (H_ATTEMPT, H_NOT_BEFORE, H_ORIGINAL_TOPIC, H_ERROR)

PROCESSED = Counter("kinerja_consumer_events_total", "Events applied (first delivery)", ["consumer"])
DUPLICATES = Counter("kinerja_consumer_duplicates_total", "Redelivered events skipped by the inbox", ["consumer"])
DEAD = Counter("kinerja_consumer_dlq_total", "Events sent to the DLQ", ["consumer", "reason"])
RETRIED = Counter("kinerja_consumer_retries_total", "Events sent to the retry topic", ["consumer"])
BATCH_SECONDS = Histogram("kinerja_consumer_batch_seconds", "Time to apply one batch", ["consumer"])
LAG = Gauge("kinerja_consumer_lag", "Records behind the high watermark", ["consumer", "topic", "partition"])

_CONFLICT_ATTEMPTS = 5
_DB_DOWN = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
)


@dataclass(frozen=True, slots=True)
class Received:
    """One decoded event with where it came from."""

    envelope: Envelope
    event: Event
    event_id: uuid.UUID
    topic: str  # the original topic, also for events that came back through the retry topic
    partition: int
    offset: int
    attempt: int


BatchHandler = Callable[[asyncpg.Connection, Sequence[Received]], Awaitable[None]]


@dataclass
class _Outcome:
    dead: list[tuple[ConsumerRecord[bytes, bytes], str, str]] = field(default_factory=list)
    retry: list[tuple[ConsumerRecord[bytes, bytes], Received, str]] = field(default_factory=list)


@dataclass
class _Prepared:
    items: list[tuple[ConsumerRecord[bytes, bytes], Received]] = field(default_factory=list)
    outcome: _Outcome = field(default_factory=_Outcome)
    starts: dict[TopicPartition, int] = field(default_factory=dict)  # first offset per partition
    offsets: dict[TopicPartition, int] = field(default_factory=dict)  # to commit once applied


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, consumer: BatchConsumer) -> None:
        self._c = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        # finish and commit the batch being applied, so the next owner does not redo it
        log.info("partitions revoked", consumer=self._c.name, count=len(revoked))
        with contextlib.suppress(Exception):
            await self._c._drain()
        for tp in revoked:
            self._c._paused_until.pop(tp, None)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("partitions assigned", consumer=self._c.name, count=len(assigned))


def _headers(rec: ConsumerRecord[bytes, bytes]) -> dict[str, bytes]:
    return dict(rec.headers or ())


class BatchConsumer:
    """Consumes `topics` (plus its own retry topics) as group `name` and applies batches exactly once.

    `topics` are logical names; the Kafka settings' namespace prefixes them and the group id.
    """

    def __init__(
        self,
        *,
        name: str,
        pool: asyncpg.Pool,
        kafka: KafkaSettings,
        topics: Sequence[str],
        handler: BatchHandler,
        batch_size: int = 500,
        batch_wait_ms: int = 200,
        max_attempts: int = 5,
        backoff_base_s: float = 2.0,
        backoff_max_s: float = 600.0,
        session_timeout_ms: int = 10_000,
        max_poll_interval_ms: int = 300_000,
    ) -> None:
        self.name = name
        self._pool = pool
        self._kafka = kafka
        self._topics = [kafka.topic(t) for t in topics]
        self._retry_topics = {retry_topic(t, name): t for t in self._topics}
        self._handler = handler
        self._batch_size = batch_size
        self._batch_wait_ms = batch_wait_ms
        self._max_attempts = max_attempts
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._session_timeout_ms = session_timeout_ms
        self._max_poll_interval_ms = max_poll_interval_ms
        self._paused_until: dict[TopicPartition, float] = {}
        self._positions: dict[TopicPartition, int] = {}
        self._inflight: tuple[asyncio.Task[None], _Prepared] | None = None
        self._rewound: dict[TopicPartition, int] = {}  # where the last failed batch was rewound to
        self._consumer: AIOKafkaConsumer | None = None
        self.running = asyncio.Event()  # set once the group has assigned us partitions at least once

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; then finish the batch in hand, commit and leave the group."""
        kafka_group = self._kafka.group(self.name)
        consumer = AIOKafkaConsumer(
            **self._kafka.client_kwargs(),
            group_id=kafka_group,
            client_id=f"kinerja-{self.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=self._batch_size,
            session_timeout_ms=self._session_timeout_ms,
            heartbeat_interval_ms=max(1000, self._session_timeout_ms // 4),
            max_poll_interval_ms=self._max_poll_interval_ms,
        )
        producer = AIOKafkaProducer(**self._kafka.client_kwargs(), acks="all", enable_idempotence=True, linger_ms=5)
        await producer.start()
        try:
            await consumer.start()
            try:
                consumer.subscribe([*self._topics, *self._retry_topics], listener=_Rebalance(self))
                await self._loop(consumer, producer, stop)
            finally:
                await consumer.stop()
        finally:
            await producer.stop()
        log.info("consumer stopped", consumer=self.name)

    async def _loop(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, stop: asyncio.Event) -> None:
        """Two stages overlap: while batch N is applied (DB and broker I/O), batch N+1 is fetched and decoded."""
        db_backoff = 0.5
        self._consumer = consumer
        while not stop.is_set():
            self._resume_due(consumer)
            batch = await consumer.getmany(timeout_ms=self._batch_wait_ms, max_records=self._batch_size)
            if consumer.assignment():
                self.running.set()
            prepared = self._prepare(consumer, batch) if batch else None
            try:
                await self._drain()
                if self._rewound:  # a drain in the rebalance listener failed: this batch comes after it
                    raise asyncpg.InterfaceError("previous batch failed during a rebalance")
            except _DB_DOWN as e:
                log.warning("database unavailable; retrying batch in place", consumer=self.name, error=str(e))
                if prepared is not None:
                    # re-read this batch too, except where the failed batch's rewind already went further back
                    self._rewind(consumer, {tp: o for tp, o in prepared.starts.items() if tp not in self._rewound})
                self._rewound = {}
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), db_backoff)
                db_backoff = min(db_backoff * 2, 15.0)
                continue
            db_backoff = 0.5
            if prepared is not None:
                self._inflight = (asyncio.create_task(self._apply_prepared(producer, prepared)), prepared)
            else:
                await self._commit_idle(consumer)
                self._report_lag(consumer)
        await self._drain()  # SIGTERM: finish the batch in hand and commit it

    async def _drain(self) -> None:
        """Wait for the batch being applied, then commit its offsets; on failure rewind to its start."""
        if self._inflight is None:
            return
        task, prepared = self._inflight
        self._inflight = None
        try:
            await task
        except BaseException:
            if self._consumer is not None:
                self._rewind(self._consumer, prepared.starts)
                self._rewound = dict(prepared.starts)
            raise
        self._positions.update(prepared.offsets)
        try:
            if prepared.offsets and self._consumer is not None:
                await self._consumer.commit(prepared.offsets)
        except (CommitFailedError, KafkaError) as e:
            # the group moved on; whoever owns these partitions now redelivers, and the inbox skips them
            log.warning("offset commit failed after a rebalance", consumer=self.name, error=str(e))

    async def _commit_idle(self, consumer: AIOKafkaConsumer) -> None:
        """Nothing fetched and nothing in flight: move the committed offsets past transaction markers. A marker
        takes an offset but carries no event, so after a transactional producer (every outbox relay) the group
        would otherwise show a lag of one per partition forever (dashboards, KEDA, drain checks)."""
        moved: dict[TopicPartition, int] = {}
        for tp in consumer.assignment():
            if tp in self._paused_until:
                continue
            try:
                position = await consumer.position(tp)
                known = self._positions.get(tp)
                if known is None:
                    known = await consumer.committed(tp) or 0
                    self._positions[tp] = known
            except KafkaError:  # revoked meanwhile (IllegalStateError)
                continue
            if position > known:
                moved[tp] = position
        if moved:
            try:
                await consumer.commit(moved)
                self._positions.update(moved)
            except (CommitFailedError, KafkaError) as e:
                log.info("idle offset commit skipped", consumer=self.name, error=str(e))

    @staticmethod
    def _rewind(consumer: AIOKafkaConsumer, starts: dict[TopicPartition, int]) -> None:
        # the batch after this one was already fetched: seeking to this one's start re-reads both, in order
        for tp, offset in starts.items():
            if tp in consumer.assignment():
                consumer.seek(tp, offset)

    def _prepare(
        self, consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> _Prepared:
        """Decode a fetched batch (CPU only): events to apply, poison to dead-letter, offsets to commit after."""
        now_ms = time.time() * 1000
        prepared = _Prepared()
        for tp, records in batch.items():
            if not records:
                continue
            prepared.starts[tp] = records[0].offset
            retrying = tp.topic in self._retry_topics
            for rec in records:
                if retrying:
                    not_before = int(_headers(rec).get(H_NOT_BEFORE, b"0"))
                    if not_before > now_ms:
                        # not due yet: wait on this partition only, from this record
                        consumer.pause(tp)
                        consumer.seek(tp, rec.offset)
                        self._paused_until[tp] = not_before / 1000
                        break
                try:
                    prepared.items.append((rec, self._decode(tp.topic, rec, retrying)))
                except PoisonMessage as e:
                    prepared.outcome.dead.append((rec, e.reason, e.detail))
            else:
                prepared.offsets[tp] = records[-1].offset + 1
                continue
            if rec.offset > records[0].offset:
                prepared.offsets[tp] = rec.offset  # up to (not including) the record that is not due yet
        return prepared

    async def _apply_prepared(self, producer: AIOKafkaProducer, prepared: _Prepared) -> None:
        with BATCH_SECONDS.labels(self.name).time():
            if prepared.items:
                await self._apply(prepared.items, prepared.outcome)
            await self._route(producer, prepared.outcome)

    def _decode(self, topic: str, rec: ConsumerRecord[bytes, bytes], retrying: bool) -> Received:
        env = Envelope.from_kafka(rec.key, rec.value, rec.headers or ())
        event = env.decode()
        original, attempt = topic, 0
        if retrying:
            hs = _headers(rec)
            original = hs.get(H_ORIGINAL_TOPIC, b"").decode() or self._retry_topics[topic]
            attempt = int(hs.get(H_ATTEMPT, b"0"))
        return Received(
            envelope=env,
            event=event,
            event_id=env.event_uuid(),
            topic=original,
            partition=rec.partition,
            offset=rec.offset,
            attempt=attempt,
        )

    async def _apply(self, items: list[tuple[ConsumerRecord[bytes, bytes], Received]], outcome: _Outcome) -> None:
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                await self._transaction([r for _, r in items])
                return
            except _DB_DOWN:
                raise
            except asyncpg.TransactionRollbackError as e:
                # a deadlock or serialization failure with another worker is about timing, not the events: the
                # whole batch again, after a short jittered pause, before suspecting any single event
                log.info("batch conflicted with another worker; retrying", consumer=self.name, error=repr(e))
                await asyncio.sleep(random.uniform(0.05, 0.2) * (attempt + 1))  # noqa: S311 - jitter
            except Exception as e:  # one bad event must not sink the batch: isolate it
                log.warning("batch failed; applying events one by one", consumer=self.name, error=repr(e))
                break
        for rec, received in items:
            try:
                await self._transaction([received])
            except _DB_DOWN:
                raise
            except (PermanentHandlerError, PoisonMessage) as e:
                outcome.dead.append((rec, "handler_rejected", str(e)))
            except Exception as e:
                if received.attempt + 1 >= self._max_attempts:
                    outcome.dead.append((rec, "retries_exhausted", repr(e)))
                else:
                    outcome.retry.append((rec, received, repr(e)))

    async def _transaction(self, received: list[Received]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await set_tenant(conn, ALL_REGENCIES)  # a batch spans regencies; the handler scopes its own writes
            fresh = await claim(conn, self.name, [r.event_id for r in received])
            todo: list[Received] = []
            for r in received:
                if r.event_id in fresh:
                    todo.append(r)
                    fresh.discard(r.event_id)  # the same id twice in one batch counts once
            if todo:
                ctx: dict[str, object] = {"event_id": str(todo[0].event_id)} if len(todo) == 1 else {"batch": len(todo)}
                tp = todo[0].envelope.traceparent
                if len(todo) == 1 and tp and tp.count("-") == 3:
                    ctx["trace_id"] = tp.split("-")[1]
                with structlog.contextvars.bound_contextvars(**ctx):
                    await self._handler(conn, todo)
        PROCESSED.labels(self.name).inc(len(todo))
        DUPLICATES.labels(self.name).inc(len(received) - len(todo))

    async def _route(self, producer: AIOKafkaProducer, outcome: _Outcome) -> None:
        """Write DLQ and retry records and wait for the broker's ack before offsets move past them."""
        futures = []
        now_ms = int(time.time() * 1000)
        for rec, reason, detail in outcome.dead:
            original = _headers(rec).get(H_ORIGINAL_TOPIC, b"").decode() or self._retry_topics.get(rec.topic, rec.topic)
            headers = [(k, v) for k, v in (rec.headers or ()) if k not in _OURS] + [
                (H_DLQ_REASON, reason.encode()),
                (H_DLQ_ERROR, detail[:1000].encode()),
                (H_DLQ_CONSUMER, self.name.encode()),
                (H_DLQ_SOURCE, f"{rec.topic}/{rec.partition}/{rec.offset}".encode()),
                (H_ORIGINAL_TOPIC, original.encode()),
                (H_DLQ_AT, str(now_ms).encode()),
            ]
            futures.append(await producer.send(dlq_topic(original, self.name), rec.value, key=rec.key, headers=headers))
            DEAD.labels(self.name, reason).inc()
            log.warning("event dead-lettered", consumer=self.name, reason=reason, source=f"{rec.topic}/{rec.offset}")
        for rec, received, error in outcome.retry:
            attempt = received.attempt + 1
            delay = min(self._backoff_max_s, self._backoff_base_s * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter
            headers = [(k, v) for k, v in (rec.headers or ()) if k not in _OURS] + [
                (H_ATTEMPT, str(attempt).encode()),
                (H_NOT_BEFORE, str(now_ms + int(delay * 1000)).encode()),
                (H_ORIGINAL_TOPIC, received.topic.encode()),
                (H_ERROR, error[:1000].encode()),
            ]
            futures.append(
                await producer.send(retry_topic(received.topic, self.name), rec.value, key=rec.key, headers=headers)
            )
            RETRIED.labels(self.name).inc()
        if futures:
            await asyncio.gather(*futures)

    def _resume_due(self, consumer: AIOKafkaConsumer) -> None:
        now = time.time()
        due = [tp for tp, t in self._paused_until.items() if t <= now]
        for tp in due:
            del self._paused_until[tp]
            if tp in consumer.assignment():
                consumer.resume(tp)

    def _report_lag(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            hw = consumer.highwater(tp)
            pos = self._positions.get(tp)
            if hw is not None and pos is not None:
                LAG.labels(self.name, tp.topic, str(tp.partition)).set(max(0, hw - pos))
