"""Fixtures of the evaluation tests: a migrated database, a pool as the non-owner role, a registered regency."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest

from kinerja_evaluation.bootstrap import DEFINITION
from kinerja_evaluation.examples import roster_csv
from kinerja_evaluation.service.org import import_roster, upsert_regency
from kinerja_shared.auth import Principal, Role
from kinerja_shared.db import connect, create_pool
from kinerja_shared.testing.plugin import MakeDatabase, ProvisionedDatabase
from kinerja_shared.web import JAKARTA

PROVINCE = uuid.UUID("00000000-0000-4000-8000-000000000015")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=JAKARTA)


@dataclass
class Env:
    db: ProvisionedDatabase
    pool: asyncpg.Pool
    regency_id: uuid.UUID

    def admin(self, regency_id: uuid.UUID | None = None) -> Principal:
        return Principal(sub="admin", name="Admin BKPSDM", roles=frozenset({Role.ADMIN_BKPSDM}),
                         regency_id=regency_id or self.regency_id)  # fmt: skip

    def asn(self, asn_id: uuid.UUID, name: str = "Pegawai", *, superior: bool = False) -> Principal:
        roles = {Role.ASN, Role.ATASAN} if superior else {Role.ASN}
        return Principal(sub=str(asn_id), name=name, roles=frozenset(roles), regency_id=self.regency_id,
                         asn_id=asn_id)  # fmt: skip

    async def owner_rows(self, sql: str, *args: object) -> list[asyncpg.Record]:
        conn = await connect(self.db.owner_url)
        try:
            await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    async def asn_ids(self) -> dict[str, uuid.UUID]:
        return {r["nip"]: r["asn_id"] for r in await self.owner_rows("SELECT nip, asn_id FROM asn")}

    async def outbox_count(self) -> int:
        return len(await self.owner_rows("SELECT 1 FROM outbox"))


async def new_regency(pool: asyncpg.Pool, name: str = "Kabupaten Tebo", code: str = "15.09") -> uuid.UUID:
    regency_id = uuid.uuid4()
    await upsert_regency(pool, regency_id=regency_id, province_id=PROVINCE, province_name="Provinsi Jambi",
                         name=name, code=code, now=NOW)  # fmt: skip
    return regency_id


@pytest.fixture
async def env(make_database: MakeDatabase) -> AsyncIterator[Env]:
    db = await make_database(DEFINITION.migrations_dir, prefix="evaluation")
    pool = await create_pool(db.app_url, max_size=4)
    try:
        yield Env(db, pool, await new_regency(pool))
    finally:
        await pool.close()


# a small office: Sekda → Kepala Dinas Perhubungan → two staff (peers); rows in the roster file's columns
SEKDA, KADIS, STAFF, PEER = "197001012000011001", "197502022001012002", "198503152010011003", "199001012015012004"


def small_roster() -> list[dict[str, str]]:
    def row(nip: str, name: str, unit: str, title: str, klass: int, sup: str) -> dict[str, str]:
        return {"nip": nip, "nama": name, "email": "", "unit_kerja": unit, "jabatan": title,
                "kelas_jabatan": str(klass), "golongan": "IV/a", "jenis_kelamin": "L" if nip[14] == "1" else "P",
                "lokasi": "perkotaan", "nip_atasan": sup, "status": "aktif"}  # fmt: skip

    return [
        row(SEKDA, "Sekda (contoh)", "Sekretariat Daerah", "Sekretaris Daerah", 15, ""),
        row(KADIS, "Kadis (contoh)", "Dinas Perhubungan", "Kepala Dinas Perhubungan", 14, SEKDA),
        row(STAFF, "Staf (contoh)", "Dinas Perhubungan > Bidang Lalu Lintas", "Pengelola Lalu Lintas", 7, KADIS),
        row(PEER, "Rekan (contoh)", "Dinas Perhubungan > Bidang Lalu Lintas", "Pengelola Lalu Lintas", 7, KADIS),
    ]


@pytest.fixture
async def office(env: Env) -> dict[str, uuid.UUID]:
    report = await import_roster(env.pool, env.admin(), "pegawai.csv", roster_csv(small_roster()), now=NOW)
    assert report.accepted, report.errors
    ids = await env.asn_ids()
    return {"sekda": ids[SEKDA], "kadis": ids[KADIS], "staff": ids[STAFF], "peer": ids[PEER]}


@pytest.fixture
def migrations_dir() -> Path:
    return DEFINITION.migrations_dir
