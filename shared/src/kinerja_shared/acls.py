"""Kafka users and ACLs, derived from the topic registry: the one model the local broker and the manifests use.

Least privilege per principal:

- `kinerja-<svc>` writes only the topics it owns (its facts, and the retry/DLQ topics of what it consumes, which
  the registry gives to the consuming group) and reads only what it consumes (+ its retry topics) with its own
  consumer group `<svc>`. Its outbox relay is a transactional, idempotent producer (`kinerja-<svc>-outbox`) that
  also reads the tails of its own topics to recover after a crash, hence Read on what it owns.
- `agency-<name>` (an outside agency) reads only the public topic(s), with groups under `agency-<name>.`.
- `kinerja-ops` reads every topic (DLQ inspection, rebuild scans), writes main and retry topics (DLQ replay),
  manages the service groups' offsets (rebuilds) and its own `kinerja-ops*` groups.

Everything not granted is denied (`allow.everyone.if.no.acl.found=false`). `namespace` mirrors
`KafkaSettings.topic_namespace`: it prefixes every topic, group and transactional id, as the clients do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

from kinerja_shared.topics import TOPICS, Topic, all_topic_specs, retry_topic

ResourceType = Literal["topic", "group", "transactionalId", "cluster"]
PatternType = Literal["literal", "prefix"]
Operation = Literal["Read", "Write", "Describe", "Delete", "IdempotentWrite"]
UserKind = Literal["service", "ops", "agency"]

#: Outside agencies reading the public topic; add one entry per agency (docs/operations.md).
AGENCIES: Final[tuple[str, ...]] = ("bkn",)
OPS_USER: Final = "kinerja-ops"

#: Kafka's own spelling (AclCommand --list, the Admin API enums) of the model's names.
KAFKA_RESOURCE_TYPE: Final[dict[str, str]] = {
    "topic": "TOPIC",
    "group": "GROUP",
    "transactionalId": "TRANSACTIONAL_ID",
    "cluster": "CLUSTER",
}
KAFKA_PATTERN: Final[dict[str, str]] = {"literal": "LITERAL", "prefix": "PREFIXED"}
KAFKA_OPERATION: Final[dict[str, str]] = {
    "Read": "READ",
    "Write": "WRITE",
    "Describe": "DESCRIBE",
    "Delete": "DELETE",
    "IdempotentWrite": "IDEMPOTENT_WRITE",
}
KAFKA_CLUSTER_NAME: Final = "kafka-cluster"  # the one cluster resource's name in Kafka
# Kafka grants Describe to whoever may Read, Write or Delete a resource (the broker's implication rule)
_IMPLIES_DESCRIBE: Final = frozenset({"Read", "Write", "Delete"})


@dataclass(frozen=True, slots=True)
class Acl:
    """An allow rule: `principal` may do `operations` on the resource(s) `resource_type`/`name`/`pattern`."""

    principal: str  # the SCRAM user name, e.g. kinerja-activity
    resource_type: ResourceType
    name: str  # "" for the cluster
    operations: tuple[Operation, ...]
    pattern: PatternType = "literal"

    def matches(self, resource_type: ResourceType, name: str) -> bool:
        if resource_type != self.resource_type:
            return False
        if resource_type == "cluster":
            return True
        return name.startswith(self.name) if self.pattern == "prefix" else name == self.name

    def strimzi(self) -> dict[str, Any]:
        """One entry of a Strimzi KafkaUser's `spec.authorization.acls`."""
        resource: dict[str, Any] = {"type": self.resource_type}
        if self.resource_type != "cluster":
            resource |= {"name": self.name, "patternType": self.pattern}
        return {"resource": resource, "operations": list(self.operations), "type": "allow"}

    def bindings(self) -> Iterator[tuple[str, str, str, str, str]]:
        """(principal, resource type, name, pattern, operation) in Kafka's spelling, one per operation."""
        name = KAFKA_CLUSTER_NAME if self.resource_type == "cluster" else self.name
        for op in self.operations:
            yield (
                f"User:{self.principal}",
                KAFKA_RESOURCE_TYPE[self.resource_type],
                name,
                KAFKA_PATTERN[self.pattern],
                KAFKA_OPERATION[op],
            )


@dataclass(frozen=True, slots=True)
class KafkaUser:
    """A SCRAM-SHA-512 user with its ACLs; `component` labels it (service name, "ops" or "agency")."""

    name: str
    kind: UserKind
    component: str
    acls: tuple[Acl, ...]

    def allows(self, operation: Operation, resource_type: ResourceType, name: str = "") -> bool:
        """What the broker would answer for this user (no deny rules exist in the model)."""
        for acl in self.acls:
            if not acl.matches(resource_type, name):
                continue
            if operation in acl.operations:
                return True
            if operation == "Describe" and _IMPLIES_DESCRIBE & set(acl.operations):
                return True
        return False

    def strimzi_acls(self) -> list[dict[str, Any]]:
        return [a.strimzi() for a in self.acls]


# ---------------------------------------------------------------- who is who
def services() -> tuple[str, ...]:
    """Every service the registry names as an owner or a consumer, sorted."""
    names = {t.owner for t in TOPICS} | {c for t in TOPICS for c in t.consumers}
    return tuple(sorted(names))


def service_user(svc: str) -> str:
    return f"kinerja-{svc}"


def agency_user(agency: str) -> str:
    return f"agency-{agency}"


def agency_group_prefix(agency: str) -> str:
    """Every consumer group of an agency starts with this, e.g. `agency-bkn.dashboard`."""
    return f"{agency_user(agency)}."


def outbox_transactional_id(svc: str) -> str:
    """The outbox relay's transactional id (fences a zombie relay); same as OutboxRelay uses."""
    return f"kinerja-{svc}-outbox"


def consumed(svc: str) -> list[Topic]:
    return [t for t in TOPICS if svc in t.consumers]


def owned(svc: str) -> list[str]:
    """Topics `svc` writes: its facts and the retry/DLQ topics of its consumer group (registry owners)."""
    return [t.name for t in all_topic_specs() if t.owner == svc]


# ---------------------------------------------------------------- ACLs
def service_acls(svc: str, namespace: str = "") -> tuple[Acl, ...]:
    """Write only what it owns (the relay also reads their tails to recover), read only what it consumes."""
    user, ns = service_user(svc), namespace
    mine = owned(svc)
    acls = [Acl(user, "topic", ns + t, ("Write", "Read", "Describe")) for t in mine]
    reads: list[str] = []
    for t in consumed(svc):
        reads += [t.name, retry_topic(t.name, svc)]
    acls += [Acl(user, "topic", ns + t, ("Read", "Describe")) for t in reads if t not in mine]
    if consumed(svc):
        acls.append(Acl(user, "group", ns + svc, ("Read", "Describe")))
    acls.append(Acl(user, "transactionalId", ns + outbox_transactional_id(svc), ("Write", "Describe")))
    acls.append(Acl(user, "cluster", "", ("IdempotentWrite", "Describe")))
    return tuple(acls)


def agency_acls(agency: str, namespace: str = "") -> tuple[Acl, ...]:
    user = agency_user(agency)
    public = [t.name for t in TOPICS if t.public]
    return (
        *(Acl(user, "topic", namespace + t, ("Read", "Describe")) for t in public),
        Acl(user, "group", namespace + agency_group_prefix(agency), ("Read", "Describe"), pattern="prefix"),
    )


def ops_acls(namespace: str = "") -> tuple[Acl, ...]:
    """kinerja-ops: reads every topic, writes main and retry topics (never a DLQ: dead letters are evidence),
    manages the service groups' offsets (rebuild) and its own replay groups."""
    ns = namespace
    writes = [t.name for t in all_topic_specs() if not t.name.endswith(".dlq")]
    return (
        Acl(OPS_USER, "topic", ns + "kinerja.", ("Read", "Describe"), pattern="prefix"),
        *(Acl(OPS_USER, "topic", ns + t, ("Write",)) for t in writes),
        *(Acl(OPS_USER, "group", ns + s, ("Read", "Describe", "Delete")) for s in services()),
        Acl(OPS_USER, "group", ns + OPS_USER, ("Read", "Describe"), pattern="prefix"),
        Acl(OPS_USER, "cluster", "", ("IdempotentWrite", "Describe")),
    )


def users(agencies: Iterable[str] = AGENCIES, namespace: str = "") -> tuple[KafkaUser, ...]:
    """Every Kafka user of the system, services first, then kinerja-ops, then the agencies."""
    return (
        *(KafkaUser(service_user(s), "service", s, service_acls(s, namespace)) for s in services()),
        KafkaUser(OPS_USER, "ops", "ops", ops_acls(namespace)),
        *(KafkaUser(agency_user(a), "agency", "agency", agency_acls(a, namespace)) for a in agencies),
    )


def user(name: str, agencies: Iterable[str] = AGENCIES, namespace: str = "") -> KafkaUser:
    for u in users(agencies, namespace):
        if u.name == name:
            return u
    raise KeyError(name)


def bindings(all_users: Iterable[KafkaUser]) -> set[tuple[str, str, str, str, str]]:
    """The set of (principal, resource type, name, pattern, operation) bindings the broker must hold."""
    return {b for u in all_users for acl in u.acls for b in acl.bindings()}
