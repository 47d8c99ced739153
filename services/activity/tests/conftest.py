"""Shared fixtures of the activity tests: a migrated database, an org with a superior and subordinates."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from kinerja_activity.bootstrap import DEFINITION
from kinerja_activity.service.activities import Caller
from kinerja_activity.settings import ActivitySettings
from kinerja_shared.db import connect, create_pool, load_migrations, migrate
from kinerja_shared.readmodels.org import MIGRATIONS_DIR as ORG_MIGRATIONS
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.testing.plugin import MakeDatabase, ProvisionedDatabase
from kinerja_shared.web import JAKARTA


@dataclass
class Org:
    regency_id: uuid.UUID
    superior: Caller
    staff: Caller
    staff2: Caller
    stranger: Caller  # same regency, not their superior
    indicator_id: uuid.UUID
    indicator2_id: uuid.UUID


async def migrated(make_database: MakeDatabase) -> ProvisionedDatabase:
    db = await make_database()
    await migrate(
        db.owner_url,
        load_migrations(ORG_MIGRATIONS, "shared-org") + load_migrations(DEFINITION.migrations_dir, "activity"),
    )
    return db


async def owner(db: ProvisionedDatabase) -> asyncpg.Connection:
    conn = await connect(db.owner_url)
    await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
    return conn


async def add_asn(
    conn: asyncpg.Connection, regency_id: uuid.UUID, name: str, superior_id: uuid.UUID | None
) -> uuid.UUID:
    asn_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO org_asn (asn_id, regency_id, name, unit_id, position_title, grade, position_class,
               superior_id, gender, location, active, version)
           VALUES ($1, $2, $3, $4, 'Perawat Ahli Pertama', 'III/a', 8, $5, 'P', 'perdesaan', true, now())""",
        asn_id,
        regency_id,
        name,
        uuid.uuid4(),
        superior_id,
    )
    return asn_id


async def add_indicator(conn: asyncpg.Connection, regency_id: uuid.UUID, asn_id: uuid.UUID, year: int) -> uuid.UUID:
    ind = uuid.uuid4()
    await conn.execute(
        """INSERT INTO approved_indicator (indicator_id, asn_id, regency_id, skp_id, year, skp_version, rhk_id, name,
               unit, target, direction, aspect, weight)
           VALUES ($1, $2, $3, $4, $5, 1, $6, 'Jumlah pasien terlayani', 'pasien', 400, 'higher', 'kuantitas', 100)""",
        ind,
        asn_id,
        regency_id,
        uuid.uuid4(),
        year,
        uuid.uuid4(),
    )
    return ind


async def make_org(db: ProvisionedDatabase, *, year: int | None = None) -> Org:
    regency = uuid.uuid4()
    year = year or datetime.now(JAKARTA).year
    conn = await owner(db)
    try:
        boss = await add_asn(conn, regency, "dr. Hendra Saputra (contoh)", None)
        staff = await add_asn(conn, regency, "Siti Rahmawati (contoh)", boss)
        staff2 = await add_asn(conn, regency, "Bambang Wijaya (contoh)", boss)
        stranger = await add_asn(conn, regency, "Rina Kusuma (contoh)", None)
        ind = await add_indicator(conn, regency, staff, year)
        ind2 = await add_indicator(conn, regency, staff2, year)
    finally:
        await conn.close()
    return Org(
        regency,
        Caller(regency, boss),
        Caller(regency, staff),
        Caller(regency, staff2),
        Caller(regency, stranger),
        ind,
        ind2,
    )


@pytest.fixture
async def db(make_database: MakeDatabase) -> ProvisionedDatabase:
    return await migrated(make_database)


@pytest.fixture
async def pool(db: ProvisionedDatabase) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(db.app_url, max_size=4)
    yield p
    await p.close()


@pytest.fixture
async def org(db: ProvisionedDatabase) -> Org:
    return await make_org(db)


async def start_alpa(db: ProvisionedDatabase, org: Org, start: date) -> None:
    """BKPSDM turns on day-end alpa marking for the org's regency from `start`."""
    conn = await owner(db)
    try:
        await conn.execute(
            "INSERT INTO activity_config (regency_id, alpa_start) VALUES ($1, $2)", org.regency_id, start
        )
    finally:
        await conn.close()


def worker_settings(db: ProvisionedDatabase, kafka: KafkaSettings, tmp_path: Path, **extra: Any) -> ActivitySettings:
    """Settings for an in-process worker on the test database and namespace (the overdue scan kept out of the way)."""
    return ActivitySettings(
        database_url=db.app_url,
        migration_database_url=db.owner_url,
        kafka=kafka,
        environment="test",
        evidence_dir=tmp_path,
        overdue_scan_seconds=3600,
        **extra,
    )


def today() -> date:
    return datetime.now(JAKARTA).date()


Q = Decimal
