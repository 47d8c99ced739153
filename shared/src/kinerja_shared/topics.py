"""The topic registry: one source of truth for local provisioning, code and deploy manifests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

DAY_MS: Final = 24 * 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class Topic:
    """A Kafka topic with the settings it is created with."""

    name: str
    owner: str  # the service that writes facts to it
    description: str
    partitions: int = 12
    compacted: bool = False
    retention_ms: int = 30 * DAY_MS
    consumers: tuple[str, ...] = ()  # consumer groups that read it (each gets .retry and .dlq)
    public: bool = False  # readable by outside agencies

    def config(self) -> dict[str, str]:
        """Topic-level configs for CreateTopics / KafkaTopic.spec.config."""
        cfg: dict[str, str] = {"retention.ms": str(self.retention_ms)}
        if self.compacted:
            # latest value per key forever; tombstones kept a day so read models can see deletes
            cfg = {
                "cleanup.policy": "compact",
                "retention.ms": "-1",
                "delete.retention.ms": str(DAY_MS),
                "min.compaction.lag.ms": "60000",
            }
        return cfg


def retry_topic(topic: str, group: str) -> str:
    return f"{topic}.{group}.retry"


def dlq_topic(topic: str, group: str) -> str:
    return f"{topic}.{group}.dlq"


ACTIVITY: Final = "kinerja.activity.v1"
EVALUATION: Final = "kinerja.evaluation.v1"
FEEDBACK: Final = "kinerja.feedback.v1"
SCORE: Final = "kinerja.score.v1"
NOTIFICATION: Final = "kinerja.notification.v1"
ORG: Final = "kinerja.org.v1"
PUBLIC_PERFORMANCE: Final = "kinerja.public.performance.v1"

TOPICS: Final[tuple[Topic, ...]] = (
    Topic(
        ORG,
        owner="evaluation",
        description="Organisation master data facts (regency, unit, position, ASN, superior relation), "
        "keyed by entity UUID",
        compacted=True,
        # evaluation keeps org_* from its own facts too: the scoring engine's read model replays from topics only
        consumers=("activity", "evaluation", "feedback", "notify"),
    ),
    Topic(
        ACTIVITY,
        owner="activity",
        description="Daily activity, attendance and verification facts, keyed by ASN UUID",
        consumers=("evaluation",),
    ),
    Topic(
        EVALUATION,
        owner="evaluation",
        description="SKP, realisasi and assessment facts, keyed by ASN UUID",
        # evaluation reads its own facts too: the scoring engine keeps period state from events, not from tables
        consumers=("activity", "evaluation"),
    ),
    Topic(
        FEEDBACK,
        owner="feedback",
        description="Survey (SKM), complaint and 360 feedback facts, keyed by unit or ASN UUID",
        consumers=("evaluation",),
    ),
    Topic(
        SCORE,
        owner="evaluation",
        description="Latest score per ASN per period, keyed asn:period",
        compacted=True,
    ),
    Topic(
        NOTIFICATION,
        owner="evaluation",
        description="Requests to notify someone, keyed by recipient ASN UUID",
        consumers=("notify",),
    ),
    Topic(
        PUBLIC_PERFORMANCE,
        owner="evaluation",
        description="Pseudonymised performance events for other agencies",
        retention_ms=90 * DAY_MS,
        consumers=("notify",),  # relays them to agencies' signed webhooks
        public=True,
    ),
)

BY_NAME: Final = {t.name: t for t in TOPICS}


def all_topic_specs() -> list[Topic]:
    """Every topic to provision: the main topics plus each consumer group's retry and DLQ topics."""
    specs: list[Topic] = list(TOPICS)
    for t in TOPICS:
        for group in t.consumers:
            specs.append(
                Topic(
                    retry_topic(t.name, group),
                    owner=group,
                    description=f"Retries of {t.name} for consumer group {group}",
                    partitions=t.partitions,
                    retention_ms=7 * DAY_MS,
                )
            )
            specs.append(
                Topic(
                    dlq_topic(t.name, group),
                    owner=group,
                    description=f"Poison messages of {t.name} for consumer group {group}, reason in headers",
                    partitions=1,  # low volume; one partition keeps inspection simple
                    retention_ms=90 * DAY_MS,
                )
            )
    return specs
