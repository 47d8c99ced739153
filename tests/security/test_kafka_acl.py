"""Kafka least privilege (issue 11, item 3): the ACL model of kinerja_shared.acls, and what a real broker with
SASL/SCRAM-SHA-512 + StandardAuthorizer answers to each user.

The broker test starts a broker of its own (kinerja_local.start_kafka in a temporary state dir, free ports),
never the shared one, creates the users and ACLs the way `kinerja-local up --sasl` does, and checks allowed and
denied operations with aiokafka clients authenticated as each user. It prints a table of the checks.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)

from kinerja_local import KafkaBroker, start_kafka
from kinerja_local.kafka_security import ACL_TOOL, acl_commands, parse_acl_list
from kinerja_shared import acls
from kinerja_shared.topics import (
    ACTIVITY,
    EVALUATION,
    FEEDBACK,
    NOTIFICATION,
    PUBLIC_PERFORMANCE,
    SCORE,
    TOPICS,
    all_topic_specs,
    dlq_topic,
    retry_topic,
)

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------------------------- the model
def test_every_registry_topic_is_covered_and_written_only_by_its_owner() -> None:
    users = acls.users()
    services = [u for u in users if u.kind == "service"]
    assert [u.component for u in services] == ["activity", "evaluation", "feedback", "notify"]
    for spec in all_topic_specs():
        writers = {u.name for u in services if u.allows("Write", "topic", spec.name)}
        assert writers == {acls.service_user(spec.owner)}, f"{spec.name} is written by {writers}"
        assert acls.user(acls.service_user(spec.owner)).allows("Read", "topic", spec.name)  # relay recovery
        ops = acls.user(acls.OPS_USER)
        assert ops.allows("Read", "topic", spec.name)
        assert ops.allows("Write", "topic", spec.name) is not spec.name.endswith(".dlq")  # DLQs are evidence
    for t in TOPICS:
        for group in t.consumers:
            consumer = acls.user(acls.service_user(group))
            assert consumer.allows("Read", "topic", t.name), (group, t.name)
            assert consumer.allows("Read", "topic", retry_topic(t.name, group))
            assert consumer.allows("Write", "topic", retry_topic(t.name, group))
            assert consumer.allows("Write", "topic", dlq_topic(t.name, group))
            assert consumer.allows("Read", "group", group)
        readers = {u.component for u in services if u.allows("Read", "topic", t.name)}
        assert readers == {t.owner, *t.consumers}, f"{t.name} is read by {readers}"


def test_no_service_writes_or_reads_beyond_the_registry() -> None:
    names = [t.name for t in all_topic_specs()]
    for user in acls.users():
        if user.kind != "service":
            continue
        svc = user.component
        consumed = {t.name for t in TOPICS if svc in t.consumers}
        for name in names + ["kinerja.unknown.v1", "other.topic"]:
            owner = next((t.owner for t in all_topic_specs() if t.name == name), None)
            assert user.allows("Write", "topic", name) is (owner == svc), (svc, name)
            may_read = owner == svc or name in consumed or name in {retry_topic(t, svc) for t in consumed}
            assert user.allows("Read", "topic", name) is may_read, (svc, name)
        other_groups = [s for s in acls.services() if s != svc] + ["agency-bkn.x", "kinerja-ops"]
        assert not any(user.allows("Read", "group", g) for g in other_groups)
        assert user.allows("Write", "transactionalId", acls.outbox_transactional_id(svc))
        assert not any(
            user.allows("Write", "transactionalId", acls.outbox_transactional_id(s))
            for s in acls.services()
            if s != svc
        )
        assert all(a.pattern == "literal" for a in user.acls), "no prefix grants for services"


def test_agency_reads_only_the_public_topic_with_its_group_prefix() -> None:
    bkn = acls.user("agency-bkn")
    for spec in all_topic_specs():
        assert bkn.allows("Read", "topic", spec.name) is spec.public
        assert not bkn.allows("Write", "topic", spec.name)
    assert [t.name for t in TOPICS if t.public] == [PUBLIC_PERFORMANCE]
    assert bkn.allows("Read", "group", "agency-bkn.dashboard")
    assert not bkn.allows("Read", "group", "agency-bknx.dashboard")  # the prefix ends with a dot on purpose
    assert not bkn.allows("Read", "group", "other")
    assert not bkn.allows("IdempotentWrite", "cluster")


def test_namespace_prefixes_every_topic_group_and_transactional_id() -> None:
    user = acls.user("kinerja-activity", namespace="staging.")
    assert user.allows("Write", "topic", "staging." + ACTIVITY)
    assert not user.allows("Write", "topic", ACTIVITY)
    assert user.allows("Read", "group", "staging.activity")
    assert user.allows("Write", "transactionalId", "staging.kinerja-activity-outbox")


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kinerja_k8s_generate", REPO / "deploy" / "k8s" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_strimzi_rendering_is_what_the_deploy_manifests_hold() -> None:
    """deploy/k8s/generate.py's KafkaUsers and this model agree entry for entry (until it imports this module)."""
    gen = _generator()
    assert tuple(gen.SERVICES) == acls.services()
    assert tuple(gen.AGENCIES) == acls.AGENCIES
    rendered = {u["metadata"]["name"]: u["spec"]["authorization"]["acls"] for u in gen.kafka_users()}
    assert rendered == {u.name: u.strimzi_acls() for u in acls.users()}


def test_acl_commands_grant_exactly_the_model_no_cross_product() -> None:
    """AclCommand grants every --operation on every resource to every principal of one invocation: re-expand the
    generated invocations the way the tool does and compare with the model's bindings."""
    desired = acls.bindings(acls.users())
    flag_type = {"--topic": "TOPIC", "--group": "GROUP", "--transactional-id": "TRANSACTIONAL_ID"}
    granted: set[tuple[str, str, str, str, str]] = set()
    cmds = acl_commands("127.0.0.1:1", desired, "--add")
    for cmd in cmds:
        assert cmd[0] == ACL_TOOL and "--add" in cmd
        args = cmd[1:]
        principals = [args[i + 1] for i, a in enumerate(args) if a == "--allow-principal"]
        ops = [args[i + 1] for i, a in enumerate(args) if a == "--operation"]
        pattern = args[args.index("--resource-pattern-type") + 1].upper()
        resources = [(flag_type[a], args[i + 1]) for i, a in enumerate(args) if a in flag_type]
        if "--cluster" in args:
            resources.append(("CLUSTER", "kafka-cluster"))
        for p in principals:
            for rtype, name in resources:
                for op in ops:
                    kafka_op = "IDEMPOTENT_WRITE" if op == "IdempotentWrite" else op.upper()
                    granted.add((p, rtype, name, "PREFIXED" if pattern == "PREFIXED" else "LITERAL", kafka_op))
    assert granted == desired
    assert len(cmds) < len(desired) / 4  # batched: one JVM runs them all, but fewer is still cheaper


def test_acl_list_output_is_parsed() -> None:
    text = (
        "Current ACLs for resource `ResourcePattern(resourceType=GROUP, name=agency-bkn., patternType=PREFIXED)`:\n"
        "\t(principal=User:agency-bkn, host=*, operation=READ, permissionType=ALLOW)\n"
        "\t(principal=User:agency-bkn, host=10.0.0.1, operation=DESCRIBE, permissionType=DENY)\n\n"
        "Current ACLs for resource `ResourcePattern(resourceType=CLUSTER, name=kafka-cluster, patternType=LITERAL)`:\n"
        "\t(principal=User:kinerja-ops, host=*, operation=IDEMPOTENT_WRITE, permissionType=ALLOW)\n"
    )
    assert parse_acl_list(text) == {
        (("User:agency-bkn", "GROUP", "agency-bkn.", "PREFIXED", "READ"), "*", "ALLOW"),
        (("User:agency-bkn", "GROUP", "agency-bkn.", "PREFIXED", "DESCRIBE"), "10.0.0.1", "DENY"),
        (("User:kinerja-ops", "CLUSTER", "kafka-cluster", "LITERAL", "IDEMPOTENT_WRITE"), "*", "ALLOW"),
    }


# ---------------------------------------------------------------------------------------------- the broker
# only what the checks touch: creating all 27 registry topics costs start-up time, ACLs exist either way
BROKER_TOPICS = (
    ACTIVITY,
    EVALUATION,
    FEEDBACK,
    SCORE,
    NOTIFICATION,
    PUBLIC_PERFORMANCE,
    dlq_topic(ACTIVITY, "evaluation"),
)


@pytest.fixture(scope="module")
def sasl_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    state_dir = tmp_path_factory.mktemp("kafka-sasl")
    t0 = time.monotonic()
    broker = start_kafka(state_dir, sasl=True, topics=BROKER_TOPICS, heap=("256m", "512m"))
    took, notes = time.monotonic() - t0, "; ".join(broker.notes)
    print(f"\nown SASL broker ready in {took:.1f} s on {broker.sasl_bootstrap}: {notes}")  # noqa: T201
    try:
        yield broker
    finally:
        broker.stop(timeout=15)


@dataclass(frozen=True, slots=True)
class Check:
    user: str
    action: str
    resource: str
    expected: str  # allowed | denied
    observed: str
    detail: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.expected == self.observed


class AuthenticationRejected(Exception):
    """The broker refused the SCRAM handshake (bad user or password)."""


class _SaslFailures(logging.Handler):
    """aiokafka logs (not raises) a rejected SCRAM handshake, then fails to bootstrap: catch the log line."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if "SaslAuthenticationFailed" in msg:
            self.seen.append(msg)


class Checker:
    def __init__(self, broker: KafkaBroker) -> None:
        self.broker = broker
        self.rows: list[Check] = []

    def kw(self, user: str, password: str | None = None) -> dict[str, Any]:
        kw = self.broker.kafka_settings(user).client_kwargs()
        if password is not None:
            kw["sasl_plain_password"] = password
        return dict(kw)

    async def check(
        self, user: str, action: str, resource: str, expected: str, op: Callable[[], Awaitable[object]]
    ) -> object:
        denied_types: tuple[type[BaseException], ...] = (
            TopicAuthorizationFailedError,
            ClusterAuthorizationFailedError,
            GroupAuthorizationFailedError,
            TransactionalIdAuthorizationFailed,
            AuthenticationRejected,
        )
        result: object = None
        t0 = time.monotonic()
        try:
            result = await asyncio.wait_for(op(), 45)
            observed, detail = "allowed", f"{result}"
        except denied_types as e:
            observed, detail = "denied", type(e).__name__
        except (KafkaError, TimeoutError) as e:
            observed, detail = "error", f"{type(e).__name__}: {e}"
        self.rows.append(Check(user, action, resource, expected, observed, detail, time.monotonic() - t0))
        return result

    # ------------------------------------------------------------------ operations
    async def produce(self, user: str, topic: str, n: int = 1, idempotent: bool = True) -> str:
        """As the services produce (idempotent); `idempotent=False` asks for the topic alone, not the cluster's
        IdempotentWrite as well."""
        producer = AIOKafkaProducer(
            **self.kw(user), acks="all", enable_idempotence=idempotent, request_timeout_ms=15000
        )
        try:
            await producer.start()
            offsets = [(await producer.send_and_wait(topic, b"v", key=uuid.uuid4().bytes)).offset for _ in range(n)]
        finally:
            await producer.stop()
        return f"wrote offsets {offsets}"

    async def relay_transaction(self, user: str, transactional_id: str, topics: list[str]) -> str:
        """What OutboxRelay does: one transaction over the service's topics, committed."""
        producer = AIOKafkaProducer(
            **self.kw(user), acks="all", enable_idempotence=True, transactional_id=transactional_id
        )
        try:
            await producer.start()
            async with producer.transaction():
                futures = [await producer.send(t, b"fact", key=uuid.uuid4().bytes) for t in topics]
                await asyncio.gather(*futures)
        finally:
            await producer.stop()
        return f"committed 1 transaction over {len(topics)} topics"

    async def consume(self, user: str, topic: str, group: str | None, want: int = 1) -> str:
        """Subscribe with the group (or assign, without one), read committed records, commit the offsets."""
        consumer = AIOKafkaConsumer(
            *([topic] if group is not None else []),
            **self.kw(user),
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
        try:
            await consumer.start()
            if group is None:
                parts = consumer.partitions_for_topic(topic) or set()
                if not parts:
                    await consumer._client.force_metadata_update()  # noqa: SLF001 - as the relay's recovery does
                    parts = consumer.partitions_for_topic(topic) or set()
                if not parts:
                    raise TopicAuthorizationFailedError(topic)
                tps = [TopicPartition(topic, p) for p in parts]
                consumer.assign(tps)
                await consumer.seek_to_beginning(*tps)
            got = 0
            deadline = time.monotonic() + 30
            while got < want and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=500)
                got += sum(len(r) for r in batch.values())
                if batch and group is not None:
                    await consumer.commit()
        finally:
            await consumer.stop()
        if got < want:
            raise TimeoutError(f"read {got} of {want} records")
        return f"read {got} record(s)" + (f", committed group {group}" if group else "")

    async def login(self, user: str, password: str) -> str:
        handler = _SaslFailures()
        logging.getLogger("aiokafka").addHandler(handler)
        producer = AIOKafkaProducer(**self.kw(user, password), request_timeout_ms=5000)
        try:
            await producer.start()
        except KafkaError:
            if handler.seen:
                raise AuthenticationRejected(handler.seen[0]) from None
            raise
        finally:
            logging.getLogger("aiokafka").removeHandler(handler)
            await producer.stop()
        return "authenticated"

    def table(self) -> str:
        head = ("user", "action", "resource", "expected", "observed", "s", "")
        rows = [head] + [
            (
                r.user,
                r.action,
                r.resource,
                r.expected,
                r.observed,
                f"{r.seconds:.1f}",
                (r.detail if r.observed == "denied" else "ok") if r.ok else f"MISMATCH {r.detail}",
            )
            for r in self.rows
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows)


@pytest.fixture
async def checker(sasl_broker: KafkaBroker) -> AsyncIterator[Checker]:
    yield Checker(sasl_broker)


@pytest.mark.kafka
async def test_users_do_what_they_may_and_nothing_else_on_a_scram_broker(checker: Checker) -> None:
    c = checker
    act, ev, fb, nt, bkn = "kinerja-activity", "kinerja-evaluation", "kinerja-feedback", "kinerja-notify", "agency-bkn"
    allowed, denied = "allowed", "denied"

    # allowed: each service writes its own facts, the relay's transaction, consumers with their own groups
    await c.check(act, "produce (idempotent)", ACTIVITY, allowed, lambda: c.produce(act, ACTIVITY))
    await c.check(fb, "produce (idempotent)", FEEDBACK, allowed, lambda: c.produce(fb, FEEDBACK))
    relay_topics = [EVALUATION, SCORE, NOTIFICATION, PUBLIC_PERFORMANCE]
    await c.check(
        ev,
        "outbox relay transaction",
        "txn kinerja-evaluation-outbox → " + ", ".join(t.removeprefix("kinerja.") for t in relay_topics),
        allowed,
        lambda: c.relay_transaction(ev, acls.outbox_transactional_id("evaluation"), relay_topics),
    )
    await c.check(ev, "consume, group evaluation", ACTIVITY, allowed, lambda: c.consume(ev, ACTIVITY, "evaluation"))
    await c.check(ev, "consume, group evaluation", FEEDBACK, allowed, lambda: c.consume(ev, FEEDBACK, "evaluation"))
    await c.check(act, "consume, group activity", EVALUATION, allowed, lambda: c.consume(act, EVALUATION, "activity"))
    await c.check(nt, "consume, group notify", NOTIFICATION, allowed, lambda: c.consume(nt, NOTIFICATION, "notify"))
    await c.check(ev, "relay recovery read (no group)", SCORE, allowed, lambda: c.consume(ev, SCORE, None))
    dlq = dlq_topic(ACTIVITY, "evaluation")
    await c.check(ev, "dead-letter (consumer's DLQ)", dlq, allowed, lambda: c.produce(ev, dlq))
    await c.check(
        bkn,
        "consume, group agency-bkn.x",
        PUBLIC_PERFORMANCE,
        allowed,
        lambda: c.consume(bkn, PUBLIC_PERFORMANCE, "agency-bkn.x"),
    )

    # denied: writing someone else's topic, reading what one does not consume, foreign groups and ids
    await c.check(act, "produce", EVALUATION, denied, lambda: c.produce(act, EVALUATION))
    await c.check(nt, "produce", dlq, denied, lambda: c.produce(nt, dlq))
    await c.check(
        bkn, "produce", PUBLIC_PERFORMANCE, denied, lambda: c.produce(bkn, PUBLIC_PERFORMANCE, idempotent=False)
    )
    await c.check(bkn, "idempotent producer", "cluster", denied, lambda: c.produce(bkn, PUBLIC_PERFORMANCE))
    await c.check(fb, "consume, group feedback", ACTIVITY, denied, lambda: c.consume(fb, ACTIVITY, "feedback"))
    await c.check(
        act, "consume, group evaluation", EVALUATION, denied, lambda: c.consume(act, EVALUATION, "evaluation")
    )
    await c.check(bkn, "consume, group agency-bkn.x", SCORE, denied, lambda: c.consume(bkn, SCORE, "agency-bkn.x"))
    await c.check(bkn, "read without a group", SCORE, denied, lambda: c.consume(bkn, SCORE, None))
    await c.check(
        bkn, "consume, group other", PUBLIC_PERFORMANCE, denied, lambda: c.consume(bkn, PUBLIC_PERFORMANCE, "other")
    )
    await c.check(
        act,
        "transaction with another's id",
        "txn kinerja-evaluation-outbox",
        denied,
        lambda: c.relay_transaction(act, acls.outbox_transactional_id("evaluation"), [ACTIVITY]),
    )
    await c.check(act, "SCRAM login, wrong password", "-", denied, lambda: c.login(act, "not-the-password"))
    await c.check(act, "SCRAM login, right password", "-", allowed, lambda: c.login(act, c.broker.credentials[act]))

    table = c.table()
    print("\n" + table)  # noqa: T201
    n_allowed = sum(r.expected == "allowed" for r in c.rows)
    mismatches = sum(not r.ok for r in c.rows)
    summary = f"{len(c.rows)} checks: {n_allowed} allowed, {len(c.rows) - n_allowed} denied, {mismatches} mismatches"
    print(summary)  # noqa: T201 - the figures go into the issue note
    assert all(r.ok for r in c.rows), "\n" + table


@pytest.mark.kafka
@pytest.mark.slow
async def test_resync_keeps_the_broker_equal_to_the_model(sasl_broker: KafkaBroker) -> None:
    """A grant the model lacks (here: activity may write the score topic) is removed by the next sync, nothing
    else changes, and the broker denies again."""
    from kinerja_local.config import Paths
    from kinerja_local.kafka_security import run_tools, sync
    from kinerja_local.state import State

    b = sasl_broker
    assert b.sasl_bootstrap is not None
    stray = ("User:kinerja-activity", "TOPIC", SCORE, "LITERAL", "WRITE")
    await asyncio.to_thread(run_tools, acl_commands(b.bootstrap, [stray], "--add"), b.version)
    c = Checker(b)
    act = ACTIVITY_USER
    await c.check(act, "produce (stray grant)", SCORE, "allowed", lambda: c.produce(act, SCORE))

    state = State(Paths(b.state_dir))
    result = await asyncio.to_thread(sync, b.bootstrap, b.sasl_bootstrap, state, b.version)
    assert (result.users_set, result.acls_added, result.acls_removed) == ((), 0, 1)
    assert result.acls_total == len(acls.bindings(acls.users()))
    await c.check(act, "produce (after sync)", SCORE, "denied", lambda: c.produce(act, SCORE))
    print("\n" + c.table())  # noqa: T201
    assert all(r.ok for r in c.rows), c.table()


ACTIVITY_USER = acls.service_user("activity")
