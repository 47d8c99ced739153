"""Broker-side operations: DLQ inspection and replay, consumer-group resets for read-model rebuilds."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord

from kinerja_shared.settings import KafkaSettings
from kinerja_shared.topics import BY_NAME, dlq_topic, retry_topic

# headers the consumer adds on the way to the retry topic or the DLQ; a replayed event starts clean
H_ORIGINAL_TOPIC = "kinerja_original_topic"
_CONSUMER_HEADERS = ("kinerja_attempt", "kinerja_not_before_ms", "kinerja_error", H_ORIGINAL_TOPIC)


def replay_group(group: str) -> str:
    """The consumer group kinerja-ops keeps per service group, so a second replay skips what the first one sent."""
    return f"kinerja-ops.replay.{group}"


def clean_headers(headers: Sequence[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The original event's headers: CloudEvents attributes (ce_id, ce_traceparent, …) kept, ours dropped."""
    return [(k, v) for k, v in headers if not k.startswith("kinerja_dlq_") and k not in _CONSUMER_HEADERS]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]

    def header(self, name: str) -> str:
        return dict(self.headers).get(name, b"").decode(errors="replace")

    def summary(self) -> dict[str, Any]:
        return {
            "offset": self.offset,
            "key": (self.key or b"").decode(errors="replace"),
            "ce_type": self.header("ce_type"),
            "ce_id": self.header("ce_id"),
            "reason": self.header("kinerja_dlq_reason"),
            "error": self.header("kinerja_dlq_error")[:200],
            "source": self.header("kinerja_dlq_source"),
            "at_ms": self.header("kinerja_dlq_at"),
        }


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    parts = consumer.partitions_for_topic(topic)
    if not parts:
        await consumer._client.force_metadata_update()  # noqa: SLF001 - metadata for an unsubscribed topic
        parts = consumer.partitions_for_topic(topic) or set()
    if not parts:
        raise SystemExit(f"topic {topic} does not exist")
    return [TopicPartition(topic, p) for p in sorted(parts)]


async def read_dead_letters(
    kafka: KafkaSettings, topic: str, group: str, *, from_beginning: bool, timeout_s: float = 30.0
) -> tuple[list[DeadLetter], dict[TopicPartition, int]]:
    """DLQ records not yet replayed (or all of them) up to the end seen now, and the offsets to commit after."""
    dlq = kafka.topic(dlq_topic(topic, group))
    consumer = AIOKafkaConsumer(
        **kafka.client_kwargs(),
        group_id=kafka.group(replay_group(group)),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        tps = await _partitions(consumer, dlq)
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        out: list[DeadLetter] = []
        pending = {tp for tp in tps if await consumer.position(tp) < ends[tp]}
        async with asyncio.timeout(timeout_s):
            while pending:
                batch = await consumer.getmany(*pending, timeout_ms=500)
                for tp, records in batch.items():
                    out.extend(_letter(r) for r in records if r.offset < ends[tp])
                for tp in list(pending):
                    if await consumer.position(tp) >= ends[tp]:
                        pending.discard(tp)
        return out, ends
    finally:
        await consumer.stop()


def _letter(r: ConsumerRecord[bytes, bytes]) -> DeadLetter:
    return DeadLetter(r.partition, r.offset, r.key, r.value, list(r.headers or ()))


async def replay_dead_letters(
    kafka: KafkaSettings,
    topic: str,
    group: str,
    *,
    to: str = "auto",
    from_beginning: bool = False,
    dry_run: bool = False,
    reason: str | None = None,
) -> dict[str, Any]:
    """Re-publish dead letters of `group` for `topic` with their key and CloudEvents headers, then remember them.

    `to="main"` sends to the topic itself: every group reads it again, and the others' inboxes skip an event they
    already applied (same ce_id). `to="retry"` sends to the group's retry topic, which only that group reads.
    `auto` is main, except for compacted topics: an old value must never become a key's latest value there.
    """
    spec = BY_NAME.get(topic)
    if spec is None:
        raise SystemExit(f"{topic} is not a registry topic")
    if group not in spec.consumers:
        raise SystemExit(f"{group} does not consume {topic} (consumers: {', '.join(spec.consumers) or 'none'})")
    target_kind = ("retry" if spec.compacted else "main") if to == "auto" else to
    target = kafka.topic(retry_topic(topic, group) if target_kind == "retry" else topic)
    letters, ends = await read_dead_letters(kafka, topic, group, from_beginning=from_beginning)
    chosen = [d for d in letters if reason is None or d.header("kinerja_dlq_reason") == reason]
    result: dict[str, Any] = {
        "dlq": kafka.topic(dlq_topic(topic, group)),
        "target": target,
        "found": len(letters),
        "replayed": 0,
        "event_ids": [d.header("ce_id") for d in chosen],
    }
    if dry_run:
        result["dry_run"] = True
        return result
    producer = AIOKafkaProducer(**kafka.client_kwargs(), acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        futures = []
        for d in chosen:
            headers = clean_headers(d.headers)
            if target_kind == "retry":
                headers.append((H_ORIGINAL_TOPIC, kafka.topic(topic).encode()))  # the consumer's own bookkeeping
            futures.append(await producer.send(target, d.value, key=d.key, headers=headers))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    result["replayed"] = len(chosen)
    # remember what was sent only after the broker has it: a crash before this replays again (inbox dedupes)
    await commit_offsets(kafka, replay_group(group), ends)
    return result


async def commit_offsets(kafka: KafkaSettings, group: str, offsets: dict[TopicPartition, int]) -> None:
    """Commit offsets for a group that has no live members (kinerja-ops' own, or a stopped service's)."""
    consumer = AIOKafkaConsumer(**kafka.client_kwargs(), group_id=kafka.group(group), enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


async def group_state(kafka: KafkaSettings, group: str) -> tuple[str, int]:
    """(state, member count) of a consumer group: 'Empty' or 'Dead' means no worker is running."""
    admin = AIOKafkaAdminClient(**kafka.client_kwargs())
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([kafka.group(group)])
        # v0+ layout: groups = [(error_code, group_id, state, protocol_type, protocol, members, ...)]
        row = response.groups[0]
        return str(row[2]), len(row[5])
    finally:
        await admin.close()


async def topic_event_ids(kafka: KafkaSettings, topic: str, timeout_s: float = 120.0) -> list[uuid.UUID]:
    """Every CloudEvents id on a topic now (read_committed), to forget them in a consumer's inbox."""
    consumer = AIOKafkaConsumer(
        **kafka.client_kwargs(), group_id=None, enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    ids: list[uuid.UUID] = []
    try:
        tps = await _partitions(consumer, kafka.topic(topic))
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        pending = {tp for tp in tps if ends[tp] > 0}
        async with asyncio.timeout(timeout_s):
            while pending:
                batch = await consumer.getmany(*pending, timeout_ms=500, max_records=10_000)
                for records in batch.values():
                    for r in records:
                        ce_id = dict(r.headers or ()).get("ce_id")
                        if ce_id is not None:
                            try:
                                ids.append(uuid.UUID(ce_id.decode()))
                            except ValueError:
                                continue  # poison without a usable id was never in any inbox
                for tp in list(pending):
                    if await consumer.position(tp) >= ends[tp]:
                        pending.discard(tp)
        return ids
    finally:
        await consumer.stop()


async def reset_to_earliest(kafka: KafkaSettings, group: str, topic: str) -> dict[TopicPartition, int]:
    """Point a stopped service's group at the first retained offset of `topic`."""
    consumer = AIOKafkaConsumer(**kafka.client_kwargs(), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = await _partitions(consumer, kafka.topic(topic))
        starts: dict[TopicPartition, int] = await consumer.beginning_offsets(tps)
    finally:
        await consumer.stop()
    await commit_offsets(kafka, group, starts)
    return starts
