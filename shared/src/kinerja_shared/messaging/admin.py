"""Operational queries on the broker: consumer-group lag and topic provisioning from the registry."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from kinerja_shared.settings import KafkaSettings
from kinerja_shared.topics import Topic


async def group_lag(kafka: KafkaSettings, group: str, topics: Iterable[str]) -> dict[TopicPartition, int]:
    """Per partition: end offset minus the group's committed offset (uncommitted counts from 0)."""
    admin = AIOKafkaAdminClient(**kafka.client_kwargs())
    consumer = AIOKafkaConsumer(**kafka.client_kwargs(), enable_auto_commit=False, isolation_level="read_committed")
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        tps = [
            TopicPartition(t, p)
            for t in topics
            for p in sorted(consumer.partitions_for_topic(t) or await _partitions(consumer, t))
        ]
        ends = await consumer.end_offsets(tps)
        return {
            tp: ends[tp] - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0) for tp in tps
        }
    finally:
        await consumer.stop()
        await admin.close()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # noqa: SLF001 - metadata for an unsubscribed topic
    return consumer.partitions_for_topic(topic) or set()


async def ensure_topics(kafka: KafkaSettings, topics: Iterable[Topic], *, replication: int = 1) -> list[str]:
    """Create missing topics with their configs; existing ones are left as they are. Returns those created."""
    admin = AIOKafkaAdminClient(**kafka.client_kwargs())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [
            NewTopic(t.name, num_partitions=t.partitions, replication_factor=replication, topic_configs=t.config())
            for t in topics
            if t.name not in existing
        ]
        created = []
        for nt in new:
            try:
                await admin.create_topics([nt])
                created.append(nt.name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        await admin.close()
