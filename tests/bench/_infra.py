"""What every benchmark needs: the broker and database to use, and a fresh database with its two roles."""

from __future__ import annotations

import os
import secrets

import asyncpg

from kinerja_shared.db import provision_database

OWNER, APP, PASSWORD = "kinerja_bench_owner", "kinerja_bench_app", "kinerja-bench-only"


def infra() -> tuple[str, str]:
    """(Kafka bootstrap, admin DSN): KAFKA_BOOTSTRAP_SERVERS + KINERJA_TEST_ADMIN_DATABASE_URL, else the local stack."""
    bootstrap, admin = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("KINERJA_TEST_ADMIN_DATABASE_URL")
    if bootstrap and admin:
        return bootstrap, admin
    from kinerja_local.stack import ensure_infra

    local = ensure_infra(fast=True)
    return local.kafka_bootstrap, local.pg_admin_dsn


def admin_dsn() -> str:
    """The admin DSN only (benchmarks without Kafka): KINERJA_TEST_ADMIN_DATABASE_URL, else the local stack."""
    admin = os.environ.get("KINERJA_TEST_ADMIN_DATABASE_URL")
    if admin:
        return admin
    from kinerja_local.stack import ensure_infra

    return ensure_infra(fast=True).pg_admin_dsn


async def drop_database(admin_dsn: str, url: str) -> None:
    """Drop the database `url` points at (a benchmark cleans up after itself, even mid-run)."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


async def bench_database(admin_dsn: str) -> tuple[str, str]:
    """A fresh database: (app-role URL, owner URL); no migrations applied yet."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        for role, extra in ((OWNER, "CREATEDB"), (APP, "")):
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                await conn.execute(f"CREATE ROLE {role} LOGIN {extra} PASSWORD '{PASSWORD}'")
    finally:
        await conn.close()
    name = f"bench_{secrets.token_hex(4)}"
    await provision_database(admin_dsn, name, owner=OWNER, app_role=APP)
    host = admin_dsn.split("@", 1)[1].rsplit("/", 1)[0]
    return f"postgresql://{APP}:{PASSWORD}@{host}/{name}", f"postgresql://{OWNER}:{PASSWORD}@{host}/{name}"
