"""Fixtures of the feedback tests: a fresh database with the org read model and feedback migrations, seeded."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import pytest

from kinerja_feedback.bootstrap import DEFINITION
from kinerja_shared.db import connect, create_pool, load_migrations, migrate
from kinerja_shared.readmodels.org import MIGRATIONS_DIR as ORG_MIGRATIONS
from kinerja_shared.testing.plugin import MakeDatabase, ProvisionedDatabase

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # Friday 09:00 WIB


@dataclass
class Org:
    regency_id: uuid.UUID
    unit_id: uuid.UUID  # Puskesmas, public-facing
    office_id: uuid.UUID  # an internal unit (no SKM)
    head: uuid.UUID  # kepala puskesmas, superior of the staff
    staff: list[uuid.UUID]  # five ASN of the puskesmas
    other_regency_id: uuid.UUID


async def seed_org(conn: asyncpg.Connection) -> Org:
    regency, other = uuid.uuid4(), uuid.uuid4()
    unit, office = uuid.uuid4(), uuid.uuid4()
    head = uuid.uuid4()
    staff = [uuid.uuid4() for _ in range(5)]
    await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
    for r, name in ((regency, "Kabupaten Tebo"), (other, "Kabupaten Bungo")):
        await conn.execute(
            "INSERT INTO org_regency VALUES ($1, $2, 'Jambi', $3, '15.09', $4)", r, uuid.uuid4(), name, NOW
        )
    await conn.execute(
        "INSERT INTO org_unit VALUES ($1, $2, NULL, 'Puskesmas Muara Tebo', 'puskesmas', true, $3, $4),"
        " ($5, $2, NULL, 'Sekretariat Daerah', 'opd', false, NULL, $4)",
        unit,
        regency,
        head,
        NOW,
        office,
    )
    rows = [(head, "dr. Rahmat Hidayat (contoh)", None)] + [
        (s, f"Pegawai Contoh {i + 1}", head) for i, s in enumerate(staff)
    ]
    for asn, name, sup in rows:
        await conn.execute(
            "INSERT INTO org_asn VALUES ($1, $2, $3, NULL, $4, 'Perawat', 'III/a', 8, $5, 'P', 'perdesaan', true, $6)",
            asn,
            regency,
            name,
            unit,
            sup,
            NOW,
        )
    return Org(regency, unit, office, head, staff, other)


@pytest.fixture
async def feedback_db(make_database: MakeDatabase) -> ProvisionedDatabase:
    db = await make_database()
    await migrate(
        db.owner_url,
        load_migrations(ORG_MIGRATIONS, "shared-org") + load_migrations(DEFINITION.migrations_dir, "feedback"),
    )
    return db


@pytest.fixture
async def org(feedback_db: ProvisionedDatabase) -> Org:
    conn = await connect(feedback_db.owner_url)
    try:
        return await seed_org(conn)
    finally:
        await conn.close()


@pytest.fixture
async def pool(feedback_db: ProvisionedDatabase) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(feedback_db.app_url, max_size=4)
    yield p
    await p.close()


async def rows(db: ProvisionedDatabase, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await connect(db.owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()
