"""PostgreSQL helpers: pools, the plain-SQL migration runner, and the per-transaction tenant scope."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from uuid import UUID

import asyncpg
import orjson

from kinerja_shared.logging import get_logger

log = get_logger(__name__)

ALL_REGENCIES = "*"
_MIGRATION_NAME = re.compile(r"^\d{4}_[a-z0-9_]+\.sql$")
_MIGRATION_LOCK = 0x6B696E65  # "kine": one migrator at a time per database


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb as Python objects, fast (orjson) and without a custom codec in every adapter
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda v: orjson.dumps(v).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
    )
    await conn.set_type_codec(
        "json", encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads, schema="pg_catalog"
    )


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 5) -> asyncpg.Pool:
    """A small pool (2 cores: a few connections per process) with our type codecs."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, command_timeout=60
    )
    return pool


async def connect(dsn: str) -> asyncpg.Connection:
    conn: asyncpg.Connection = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn


@dataclass(frozen=True, slots=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def shared_migrations() -> list[Migration]:
    """The plumbing (outbox, inbox, tenant helper) every service database gets first."""
    root = resources.files("kinerja_shared") / "migrations"
    return [
        Migration(f"shared/{p.name}", p.read_text())
        for p in sorted(root.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".sql")
    ]


def load_migrations(directory: Path | str, prefix: str) -> list[Migration]:
    """Plain SQL files NNNN_name.sql in order; anything else in the folder is an error, not ignored."""
    d = Path(str(directory))
    migrations = []
    for p in sorted(d.iterdir()):
        if p.name.startswith(("_", ".")) or p.suffix == ".py" or p.is_dir():
            continue
        if not _MIGRATION_NAME.match(p.name):
            raise ValueError(f"migration file {p} must be named NNNN_snake_case.sql")
        migrations.append(Migration(f"{prefix}/{p.name}", p.read_text()))
    return migrations


async def migrate(dsn: str, migrations: Iterable[Migration]) -> list[str]:
    """Apply pending migrations in order, each in its own transaction, recorded with its checksum.

    Run as the database owner. An applied migration whose file changed is refused: fix forward instead.
    """
    conn = await asyncpg.connect(dsn)
    applied_now: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {r["name"]: r["checksum"] for r in await conn.fetch("SELECT name, checksum FROM schema_migrations")}
        for m in migrations:
            if m.name in done:
                if done[m.name] != m.checksum:
                    raise RuntimeError(f"migration {m.name} changed after it was applied; add a new one instead")
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute("INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", m.name, m.checksum)
            applied_now.append(m.name)
            log.info("migration applied", migration=m.name)
    finally:
        await conn.close()
    return applied_now


async def set_tenant(conn: asyncpg.Connection, regency_ids: Sequence[UUID] | str) -> None:
    """Scope the current transaction to these regencies (SET LOCAL), which RLS policies read."""
    if isinstance(regency_ids, str):
        if regency_ids != ALL_REGENCIES:
            raise ValueError("regency scope must be a list of UUIDs or '*'")
        value = ALL_REGENCIES
    else:
        value = ",".join(str(UUID(str(r))) for r in regency_ids)
    await conn.execute("SELECT set_config('kinerja.regency_ids', $1, true)", value)


@asynccontextmanager
async def tenant_transaction(
    pool: asyncpg.Pool, regency_ids: Sequence[UUID] | str
) -> AsyncIterator[asyncpg.Connection]:
    """One transaction with the tenant set; rolled back unless the block finishes."""
    async with pool.acquire() as conn, conn.transaction():
        await set_tenant(conn, regency_ids)
        yield conn


def outbox_headers_json(headers: Sequence[tuple[str, bytes]]) -> list[list[str]]:
    return [[k, v.decode()] for k, v in headers]


async def provision_database(admin_dsn: str, database: str, *, owner: str, app_role: str) -> None:
    """Create `database` owned by `owner`, usable (DML only) by the non-owner `app_role`; idempotent."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", database):
        raise ValueError(f"bad database name {database!r}")
    admin = await asyncpg.connect(admin_dsn)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await admin.execute(f'CREATE DATABASE "{database}" OWNER "{owner}"')
        # the same grants as the local stack's provisioning (deploy/local postgres.py): tests see what users get;
        # TEMPORARY for the service's roles only (the outbox stages large batches through a temp table)
        await admin.execute(f'REVOKE CONNECT, TEMPORARY ON DATABASE "{database}" FROM PUBLIC')
        await admin.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO "{owner}", "{app_role}"')
    finally:
        await admin.close()
    db = await asyncpg.connect(admin_dsn.rsplit("/", 1)[0] + f"/{database}")
    try:
        await db.execute(f'ALTER SCHEMA public OWNER TO "{owner}"')
        await db.execute(f'REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO "{app_role}"')
        await db.execute(
            f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public '
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{app_role}"'
        )
        await db.execute(
            f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public '
            f'GRANT USAGE, SELECT ON SEQUENCES TO "{app_role}"'
        )
        await db.execute(
            f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO "{app_role}"'
        )
    finally:
        await db.close()


def dumps(value: object) -> str:
    return orjson.dumps(value).decode()
