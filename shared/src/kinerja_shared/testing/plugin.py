"""pytest plugin: real Kafka and PostgreSQL for every test run, isolated per test.

Where they come from, in order: `KAFKA_BOOTSTRAP_SERVERS` + `KINERJA_TEST_ADMIN_DATABASE_URL` (a role that may
create databases and roles) if set; else testcontainers where a Docker engine answers; else the local stack
of deploy/local (started once, reused by later runs). Each test gets fresh topics and fresh databases.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from kinerja_shared.db import Migration, load_migrations, migrate, provision_database, shared_migrations
from kinerja_shared.messaging.admin import ensure_topics
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.topics import Topic, all_topic_specs, dlq_topic, retry_topic

TEST_OWNER = "kinerja_test_owner"
TEST_APP = "kinerja_test_app"
TEST_PASSWORD = "kinerja-test-only"  # noqa: S105 - throwaway roles in a throwaway cluster


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap: str
    pg_admin_dsn: str


@dataclass(frozen=True)
class ProvisionedDatabase:
    name: str
    app_url: str  # non-owner role, RLS applies: what services use
    owner_url: str  # owner role: migrations and test setup


def _docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    """Kafka and PostgreSQL for this test session (see module docstring for where they come from)."""
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    admin = os.environ.get("KINERJA_TEST_ADMIN_DATABASE_URL")
    if bootstrap and admin:
        yield Infra(bootstrap, admin)
        return
    if os.environ.get("KINERJA_TEST_USE_TESTCONTAINERS", "1") == "1" and _docker_answers():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer

        with KafkaContainer("apache/kafka:4.1.1").with_kraft() as k, PostgresContainer("postgres:15") as pg:
            yield Infra(k.get_bootstrap_server(), pg.get_connection_url(driver=None))
        return
    from kinerja_local.stack import ensure_infra

    local = ensure_infra(fast=True)
    yield Infra(local.kafka_bootstrap, local.pg_admin_dsn)


@pytest.fixture(scope="session")
def kafka(infra: Infra) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=infra.kafka_bootstrap)


@pytest.fixture(scope="session")
async def _test_roles(infra: Infra) -> None:
    conn = await asyncpg.connect(infra.pg_admin_dsn)
    try:
        for role, extra in ((TEST_OWNER, "CREATEDB"), (TEST_APP, "")):
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                await conn.execute(
                    f"CREATE ROLE {role} LOGIN {extra} NOSUPERUSER NOBYPASSRLS PASSWORD '{TEST_PASSWORD}'"
                )
    finally:
        await conn.close()


MakeDatabase = Callable[..., Awaitable[ProvisionedDatabase]]


@pytest.fixture
async def make_database(infra: Infra, _test_roles: None) -> AsyncIterator[MakeDatabase]:
    """Factory: a fresh database with the plumbing migrations and, if given, a service's migrations."""
    created: list[str] = []
    host = infra.pg_admin_dsn.split("@", 1)[1].rsplit("/", 1)[0]

    async def make(migrations_dir: Path | None = None, *, prefix: str = "service") -> ProvisionedDatabase:
        name = f"t_{secrets.token_hex(6)}"
        await provision_database(infra.pg_admin_dsn, name, owner=TEST_OWNER, app_role=TEST_APP)
        created.append(name)
        db = ProvisionedDatabase(
            name,
            app_url=f"postgresql://{TEST_APP}:{TEST_PASSWORD}@{host}/{name}",
            owner_url=f"postgresql://{TEST_OWNER}:{TEST_PASSWORD}@{host}/{name}",
        )
        ms: list[Migration] = shared_migrations()
        if migrations_dir is not None:
            ms += load_migrations(migrations_dir, prefix)
        await migrate(db.owner_url, ms)
        return db

    yield make
    if os.environ.get("KINERJA_TEST_KEEP_DATABASES") != "1":
        conn = await asyncpg.connect(infra.pg_admin_dsn)
        try:
            for name in created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


MakeTopic = Callable[..., Awaitable[str]]


@pytest.fixture
async def make_topic(kafka: KafkaSettings) -> AsyncIterator[MakeTopic]:
    """Factory: a fresh uuid-named topic (plus retry/DLQ topics for the given consumer groups)."""
    created: list[str] = []

    async def make(partitions: int = 3, *, groups: tuple[str, ...] = (), compacted: bool = False) -> str:
        name = f"test.{secrets.token_hex(6)}"
        specs = [Topic(name, owner="test", description="test", partitions=partitions, compacted=compacted)]
        for g in groups:
            specs.append(Topic(retry_topic(name, g), owner="test", description="retry", partitions=partitions))
            specs.append(Topic(dlq_topic(name, g), owner="test", description="dlq", partitions=1))
        await ensure_topics(kafka, specs)
        created.extend(s.name for s in specs)
        return name

    yield make
    if created:
        admin = AIOKafkaAdminClient(**kafka.client_kwargs())
        await admin.start()
        try:
            await admin.delete_topics(created)
        except Exception:  # noqa: BLE001 - cleanup is best effort; names are unique anyway
            pass
        finally:
            await admin.close()


MakeNamespace = Callable[..., Awaitable[KafkaSettings]]


@pytest.fixture
async def make_namespace(kafka: KafkaSettings) -> AsyncIterator[MakeNamespace]:
    """Factory: every registry topic under a fresh prefix, and Kafka settings that use it (services under test)."""
    created: list[str] = []

    async def make(partitions: int = 2) -> KafkaSettings:
        ns = f"t{secrets.token_hex(4)}."
        specs = [
            Topic(
                ns + t.name,
                owner=t.owner,
                description=t.description,
                partitions=min(partitions, t.partitions),
                compacted=t.compacted,
                retention_ms=t.retention_ms,
            )
            for t in all_topic_specs()
        ]
        await ensure_topics(kafka, specs)
        created.extend(s.name for s in specs)
        return kafka.model_copy(update={"topic_namespace": ns})

    yield make
    if created:
        admin = AIOKafkaAdminClient(**kafka.client_kwargs())
        await admin.start()
        try:
            await admin.delete_topics(created)
        except Exception:  # noqa: BLE001 - best effort; names are unique
            pass
        finally:
            await admin.close()
