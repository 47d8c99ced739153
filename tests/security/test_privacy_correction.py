"""Issue 11 item 4, correction right (UU PDP art. 6): master data is corrected at the source, BKPSDM's roster
import, which re-publishes `AsnUpserted` on `kinerja.org.v1`; every other service's read model takes the
corrected name from Kafka. Real PostgreSQL, real Kafka, the services' own worker processes' code (in-process).
"""

from __future__ import annotations

import importlib
import uuid
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path

import pytest

from kinerja_evaluation.examples import roster_csv
from kinerja_evaluation.service.org import import_roster, upsert_regency
from kinerja_shared.auth import Principal, Role
from kinerja_shared.db import connect, create_pool
from kinerja_shared.runtime import ServiceDefinition, build_app, run_migrations
from kinerja_shared.settings import ServiceSettings
from kinerja_shared.testing.helpers import wait_until
from kinerja_shared.testing.plugin import MakeDatabase, MakeNamespace, ProvisionedDatabase
from kinerja_shared.web import JAKARTA

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=JAKARTA)
SEKDA, STAFF = "197001012000011001", "198503152010011003"


def _definition(svc: str) -> tuple[ServiceDefinition, type[ServiceSettings]]:
    definition = importlib.import_module(f"kinerja_{svc}.bootstrap").DEFINITION
    settings_cls = getattr(importlib.import_module(f"kinerja_{svc}.settings"), f"{svc.capitalize()}Settings")
    return definition, settings_cls


def _roster(staff_name: str) -> bytes:
    def row(nip: str, name: str, unit: str, title: str, klass: int, sup: str) -> dict[str, str]:
        return {"nip": nip, "nama": name, "email": "", "unit_kerja": unit, "jabatan": title,
                "kelas_jabatan": str(klass), "golongan": "III/a", "jenis_kelamin": "L" if nip[14] == "1" else "P",
                "lokasi": "perkotaan", "nip_atasan": sup, "status": "aktif"}  # fmt: skip

    return roster_csv([
        row(SEKDA, "Sekda (contoh)", "Sekretariat Daerah", "Sekretaris Daerah", 15, ""),
        row(STAFF, staff_name, "Sekretariat Daerah > Bagian Umum", "Pengelola Umum", 7, SEKDA),
    ])  # fmt: skip


async def _rows(db: ProvisionedDatabase, sql: str, *args: object) -> list[dict[str, object]]:
    conn = await connect(db.owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        return [dict(r) for r in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    "readers",
    [
        pytest.param(("feedback",), id="ci-one-reader"),
        pytest.param(("activity", "feedback", "notify"), id="every-reader", marks=pytest.mark.slow),
    ],
)
async def test_a_corrected_name_reaches_every_services_read_model(
    make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path, readers: tuple[str, ...]
) -> None:
    kafka = await make_namespace()
    regency = uuid.uuid4()
    hr = Principal(sub="u-hr", name="HR", roles=frozenset({Role.ADMIN_BKPSDM}), regency_id=regency)
    dbs: dict[str, ProvisionedDatabase] = {}
    async with AsyncExitStack() as stack:
        for svc in ("evaluation", *readers):
            definition, settings_cls = _definition(svc)
            db = dbs[svc] = await make_database()
            settings = settings_cls(
                database_url=db.app_url,
                migration_database_url=db.owner_url,
                kafka=kafka,
                environment="test",
                **({"evidence_dir": tmp_path / "evidence"} if svc == "activity" else {}),
            )
            if svc == "evaluation":  # the roster is imported through the use case, before the relay starts
                await run_migrations(definition, settings)
                pool = await create_pool(db.app_url, max_size=2)
                try:
                    await upsert_regency(pool, regency_id=regency, province_id=uuid.uuid4(),
                                         province_name="Provinsi Jambi", name="Kabupaten Tebo", code="15.09",
                                         now=NOW)  # fmt: skip
                    first = await import_roster(pool, hr, "pegawai.csv", _roster("Siti Rahmawti"), now=NOW)
                    fixed = await import_roster(pool, hr, "pegawai.csv", _roster("Siti Rahmawati"), now=NOW)
                finally:
                    await pool.close()
                assert first.accepted and fixed.accepted and (fixed.updated, fixed.unchanged) == (1, 1), fixed
            app = build_app(definition, settings, worker=True)
            await stack.enter_async_context(app.router.lifespan_context(app))

        [staff] = await _rows(dbs["evaluation"], "SELECT asn_id, name FROM asn WHERE nip = $1", STAFF)
        assert staff["name"] == "Siti Rahmawati"

        async def corrected_everywhere() -> bool:
            for svc in ("evaluation", *readers):
                got = await _rows(dbs[svc], "SELECT name FROM org_asn WHERE asn_id = $1", staff["asn_id"])
                if [r["name"] for r in got] != ["Siti Rahmawati"]:
                    return False
            return True

        await wait_until(corrected_everywhere, timeout=150)

    # the correction is on record: who, which import, how many rows (never the name itself)
    [logged] = await _rows(
        dbs["evaluation"], "SELECT actor_sub, subject_id, detail FROM audit_log WHERE action = 'personal_data.correct'"
    )
    assert logged["actor_sub"] == "u-hr" and logged["subject_id"] == fixed.import_id
    assert logged["detail"] == {"created": 0, "updated": 1, "unchanged": 1}
