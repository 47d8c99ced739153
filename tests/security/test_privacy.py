"""Issue 11 item 4: retention per data type (the daily purge job) and the data subjects' rights (export,
erasure of a citizen's contact), on real PostgreSQL with each service's own migrations.

Times are fixed (NOW) and passed to `purge`, so nothing depends on the clock or on timing.
"""

from __future__ import annotations

import hashlib
import importlib
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from kinerja_shared import audit
from kinerja_shared.auth import Role
from kinerja_shared.db import connect, create_pool, tenant_transaction
from kinerja_shared.devissuer import ensure_keypair, mint_token
from kinerja_shared.privacy import RetentionSettings, purge, years
from kinerja_shared.runtime import ServiceDefinition, build_app, run_migrations
from kinerja_shared.settings import KafkaSettings, ServiceSettings
from kinerja_shared.testing.plugin import MakeDatabase, ProvisionedDatabase

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
REGENCY_A, REGENCY_B = uuid.uuid4(), uuid.uuid4()
CFG = RetentionSettings(_env_file=None)  # the documented defaults, whatever the environment says


def _definition(svc: str) -> tuple[ServiceDefinition, type[ServiceSettings]]:
    definition = importlib.import_module(f"kinerja_{svc}.bootstrap").DEFINITION
    settings_cls = getattr(importlib.import_module(f"kinerja_{svc}.settings"), f"{svc.capitalize()}Settings")
    return definition, settings_cls


async def _migrated(make_database: MakeDatabase, svc: str) -> ProvisionedDatabase:
    db = await make_database()
    definition, settings_cls = _definition(svc)
    await run_migrations(definition, settings_cls(database_url=db.app_url, migration_database_url=db.owner_url))
    return db


async def _owner(db: ProvisionedDatabase, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await connect(db.owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def _purge_audit(db: ProvisionedDatabase) -> list[dict[str, Any]]:
    rows = await _owner(
        db, "SELECT action, regency_id, detail FROM audit_log WHERE action = 'retention.purge' ORDER BY seq"
    )
    return [dict(r) for r in rows]


async def _verified(db: ProvisionedDatabase) -> audit.VerifyResult:
    conn = await connect(db.owner_url)
    try:
        return await audit.verify(conn)
    finally:
        await conn.close()


@pytest.fixture
async def activity_db(make_database: MakeDatabase) -> ProvisionedDatabase:
    return await _migrated(make_database, "activity")


@pytest.fixture
async def feedback_db(make_database: MakeDatabase) -> ProvisionedDatabase:
    return await _migrated(make_database, "feedback")


@pytest.fixture
async def pool_of() -> AsyncIterator[Any]:
    pools: list[asyncpg.Pool] = []

    async def make(db: ProvisionedDatabase) -> asyncpg.Pool:
        p = await create_pool(db.app_url, max_size=3)
        pools.append(p)
        return p

    yield make
    for p in pools:
        await p.close()


# ---- activity: activities, evidence files, attendance -----------------------------------------------------------


async def _activity(conn: asyncpg.Connection, asn: uuid.UUID, day: date) -> uuid.UUID:
    activity_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO activity (activity_id, regency_id, asn_id, activity_date, start_time, end_time, minutes,
               description, quantity, output, indicator_id, client_hash, reported_at, updated_at)
           VALUES ($1, $2, $3, $4, '08:00', '09:00', 60, 'Menyusun laporan', 1, 'laporan', $5, 'h', $6, $6)""",
        activity_id, REGENCY_A, asn, day, uuid.uuid4(), datetime.combine(day, time(9), UTC),
    )  # fmt: skip
    return activity_id


async def _evidence(conn: asyncpg.Connection, store: Path, activity_id: uuid.UUID, content: bytes) -> str:
    sha = hashlib.sha256(content).hexdigest()
    path = store / sha[:2] / sha[2:4] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    await conn.execute(
        """INSERT INTO evidence (activity_id, sha256, regency_id, kind, size, filename, uploaded_at)
           VALUES ($1, $2, $3, 'image/jpeg', $4, 'foto.jpg', now())""",
        activity_id, sha, REGENCY_A, len(content),
    )  # fmt: skip
    return sha


def _file(store: Path, sha: str) -> Path:
    return store / sha[:2] / sha[2:4] / sha


async def test_activity_purge_applies_the_retention_table(
    activity_db: ProvisionedDatabase, pool_of: Any, tmp_path: Path
) -> None:
    from kinerja_activity.service.privacy import retention_rules

    pool = await pool_of(activity_db)
    store = tmp_path / "evidence"
    asn = uuid.uuid4()
    async with tenant_transaction(pool, "*") as conn:
        ancient = await _activity(conn, asn, date(2019, 3, 1))  # > 5 years: goes, with its evidence row and file
        old = await _activity(conn, asn, date(2022, 5, 10))  # evidence period over (2 years after 2023's end)
        shared_old = await _activity(conn, asn, date(2022, 6, 1))
        recent = await _activity(conn, asn, date(2026, 10, 1))
        sha_ancient = await _evidence(conn, store, ancient, b"ancient photo")
        sha_old = await _evidence(conn, store, old, b"old photo")
        sha_recent = await _evidence(conn, store, recent, b"recent photo")
        # the same bytes attached to an old and a recent activity: one file, still needed by the recent one
        sha_shared = await _evidence(conn, store, shared_old, b"shared scan")
        await _evidence(conn, store, recent, b"shared scan")
        leave = uuid.uuid4()
        await conn.execute(
            """INSERT INTO leave_mark (leave_id, regency_id, asn_id, status, start_date, end_date, recorded_at)
               VALUES ($1, $2, $3, 'cuti', '2020-06-01', '2020-06-05', now())""",
            leave, REGENCY_A, asn,
        )  # fmt: skip
        for day, coords, leave_id in (
            (date(2020, 6, 1), False, leave),  # > 5 years: the day goes, then its leave mark
            (date(2026, 8, 1), True, None),  # 120 days: coordinates nulled, times kept
            (date(2026, 10, 15), True, None),  # 45 days: untouched
        ):
            await conn.execute(
                """INSERT INTO attendance_day (asn_id, work_date, regency_id, status, check_in, check_out,
                       check_in_lat, check_in_lon, check_out_lat, check_out_lon, source, leave_id, updated_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $8, 'aplikasi', $9, now())""",
                asn, day, REGENCY_A, "cuti" if leave_id else "hadir",
                datetime.combine(day, time(0, 30), UTC), datetime.combine(day, time(9), UTC),
                Decimal("-1.610123") if coords else None, Decimal("103.613456") if coords else None, leave_id,
            )  # fmt: skip

    counts = await purge(pool, retention_rules(store)(CFG), service="activity", now=NOW, batch_size=2)

    assert counts == {
        "activity.evidence_files": 3,  # ancient, old, shared_old: files first, ancient's row goes next
        "activity.evidence": 1,
        "activity.activity": 1,
        "activity.attendance_coordinates": 1,
        "activity.attendance_day": 1,
        "activity.leave_mark": 1,
    }, counts
    assert not _file(store, sha_old).exists() and not _file(store, sha_ancient).exists()
    assert _file(store, sha_recent).exists() and _file(store, sha_shared).exists()
    evidence = {
        (r["activity_id"], r["sha256"]): r["file_purged_at"]
        for r in await _owner(activity_db, "SELECT activity_id, sha256, file_purged_at FROM evidence")
    }
    assert evidence.keys() == {(old, sha_old), (shared_old, sha_shared), (recent, sha_recent), (recent, sha_shared)}
    assert evidence[(old, sha_old)] is not None and evidence[(recent, sha_recent)] is None  # the row keeps the hash
    assert {r["activity_id"] for r in await _owner(activity_db, "SELECT activity_id FROM activity")} == {
        old,
        shared_old,
        recent,
    }
    days = {r["work_date"]: r for r in await _owner(activity_db, "SELECT * FROM attendance_day")}
    assert sorted(days) == [date(2026, 8, 1), date(2026, 10, 15)]
    nulled, kept = days[date(2026, 8, 1)], days[date(2026, 10, 15)]
    assert (nulled["check_in_lat"], nulled["check_in_lon"], nulled["check_out_lat"], nulled["check_out_lon"]) == (
        None, None, None, None,
    )  # fmt: skip
    assert nulled["check_in"] is not None and nulled["check_out"] is not None
    assert kept["check_in_lat"] == Decimal("-1.610123")
    assert await _owner(activity_db, "SELECT 1 FROM leave_mark") == []

    # audit: one row per batch, counts only, province-wide; the chain holds
    logged = await _purge_audit(activity_db)
    per_rule: dict[str, int] = {}
    for r in logged:
        assert r["regency_id"] is None and set(r["detail"]) == {"rule", "table", "action", "rows", "cutoff"}
        per_rule[r["detail"]["rule"]] = per_rule.get(r["detail"]["rule"], 0) + r["detail"]["rows"]
    assert per_rule == {k: v for k, v in counts.items() if v}
    assert len(logged) == 7  # evidence_files in two batches (of 2 and 1), the others one each; empty ones not logged
    assert (await _verified(activity_db)).ok

    # a second run finds nothing and logs nothing
    again = await purge(pool, retention_rules(store)(CFG), service="activity", now=NOW, batch_size=2)
    assert set(again.values()) == {0}
    assert len(await _purge_audit(activity_db)) == len(logged)


# ---- feedback: complaint reporter contact, complaints, survey answers and guards --------------------------------


async def _complaint(
    conn: asyncpg.Connection,
    status: str,
    changed: datetime,
    *,
    entries: int = 0,
    regency: uuid.UUID = REGENCY_A,
    code: str | None = None,
) -> uuid.UUID:
    cid = uuid.uuid4()
    filed = changed - timedelta(days=20)
    await conn.execute(
        """INSERT INTO complaint (complaint_id, regency_id, unit_id, tracking_code, subject, body, reporter_name,
               reporter_contact, filed_at, filed_on, response_due, resolution_due, status, updated_at)
           VALUES ($1, $2, $3, $4, 'Antrean lama', 'Pelayanan KTP lambat sekali.', 'Budi Santoso', '081234567890',
                   $5, $6, $6, $6, $7, $8)""",
        cid, regency, uuid.uuid4(), code or uuid.uuid4().hex[:10].upper(), filed, filed.date(), status, changed,
    )  # fmt: skip
    for i in range(entries):
        await conn.execute(
            "INSERT INTO complaint_entry (complaint_id, regency_id, at, kind, body)"
            " VALUES ($1, $2, $3, 'tanggapan', $4)",
            cid, regency, filed + timedelta(days=i), f"Tanggapan {i}",
        )  # fmt: skip
    return cid


async def test_feedback_purge_nulls_contact_a_year_after_closing_and_drops_old_records(
    feedback_db: ProvisionedDatabase, pool_of: Any
) -> None:
    from kinerja_feedback.service.privacy import retention_rules

    pool = await pool_of(feedback_db)
    async with tenant_transaction(pool, "*") as conn:
        closed_400 = await _complaint(conn, "ditutup", NOW - timedelta(days=400), entries=2)
        closed_200 = await _complaint(conn, "ditutup", NOW - timedelta(days=200))
        resolved_380 = await _complaint(conn, "selesai", NOW - timedelta(days=380))
        open_800 = await _complaint(conn, "diproses", NOW - timedelta(days=800))  # still being handled: untouched
        closed_6y = await _complaint(conn, "ditutup", NOW - years(6), entries=3)
        unit = uuid.uuid4()
        for period, submitted in (
            ("2020-M03", datetime(2020, 3, 5, tzinfo=UTC)),
            ("2026-M09", NOW - timedelta(days=80)),
        ):
            rid = uuid.uuid4()
            await conn.execute(
                """INSERT INTO survey_response (response_id, regency_id, unit_id, period, answers, submitted_at)
                   VALUES ($1, $2, $3, $4, '{4,4,4,4,4,4,4,4,4}', $5)""",
                rid, REGENCY_A, unit, period, submitted,
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO survey_guard VALUES ($1, $2, 'device', $3, $4, $5)",
                unit, period, hashlib.sha256(rid.bytes).digest(), REGENCY_A, rid,
            )  # fmt: skip
        # a guard of the period after next must stay; one of two periods ago goes
        await conn.execute(
            "INSERT INTO survey_guard VALUES ($1, '2026-M08', 'device', $2, $3, $4)",
            unit, b"x" * 32, REGENCY_A, uuid.uuid4(),
        )  # fmt: skip

    counts = await purge(pool, retention_rules(CFG), service="feedback", now=NOW)

    # closed 400 days ago, resolved 380 days ago, and the 6-year-old one (nulled first, then deleted)
    assert counts["feedback.complaint_contact"] == 3
    assert counts["feedback.complaint_entry"] == 3 and counts["feedback.complaint"] == 1
    assert counts["feedback.survey_response"] == 1
    assert counts["feedback.survey_guard"] == 2  # 2020-M03 and 2026-M08 (ended 2026-09-01 + 2 months < NOW)
    rows = {r["complaint_id"]: r for r in await _owner(feedback_db, "SELECT * FROM complaint")}
    assert closed_6y not in rows
    for cid in (closed_400, resolved_380):
        assert (rows[cid]["reporter_name"], rows[cid]["reporter_contact"]) == ("", "")
        assert rows[cid]["body"] == "Pelayanan KTP lambat sekali."  # the text stays
    for cid in (closed_200, open_800):
        assert (rows[cid]["reporter_name"], rows[cid]["reporter_contact"]) == ("Budi Santoso", "081234567890")
    assert len(await _owner(feedback_db, "SELECT 1 FROM complaint_entry WHERE complaint_id = $1", closed_400)) == 2
    assert [r["period"] for r in await _owner(feedback_db, "SELECT period FROM survey_guard")] == ["2026-M09"]
    # the audit log says how many, never whose
    logged = await _purge_audit(feedback_db)
    assert {r["detail"]["rule"]: r["detail"]["rows"] for r in logged}["feedback.complaint_contact"] == 3
    assert not any("Budi" in str(r) or "0812" in str(r) for r in logged)
    assert (await _verified(feedback_db)).ok


# ---- access right and erasure over HTTP, with the route policies --------------------------------------------------


@pytest.fixture
async def app_client(make_database: MakeDatabase, kafka: KafkaSettings, tmp_path: Path) -> AsyncIterator[Any]:
    """An in-process API of a service on its own fresh database, and a token maker."""
    key = tmp_path / "dev-issuer.pem"
    ensure_keypair(key)
    async with AsyncExitStack() as stack:

        async def open_app(svc: str) -> tuple[httpx.AsyncClient, ProvisionedDatabase, ServiceSettings]:
            definition, settings_cls = _definition(svc)
            db = await make_database()
            settings = settings_cls(
                database_url=db.app_url,
                kafka=kafka,
                migration_database_url=db.owner_url,
                dev_issuer_key_file=key,
                environment="test",
                **({"evidence_dir": tmp_path / "evidence"} if svc == "activity" else {}),
            )
            app = build_app(definition, settings, worker=False)
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
            )
            return client, db, settings

        yield open_app, key


def _bearer(
    key: Path, settings: ServiceSettings, role: Role, regency: uuid.UUID | None, asn: uuid.UUID | None
) -> dict[str, str]:
    token = mint_token(
        key, sub=f"u-{role.value}-{uuid.uuid4().hex[:6]}", roles=[role], regency_id=regency, province_id=uuid.uuid4(),
        asn_id=asn, name="Uji", issuer=settings.jwt_issuer, audience=settings.jwt_audience,
    )  # fmt: skip
    return {"authorization": f"Bearer {token}", "accept": "application/json"}


async def test_export_is_for_the_asn_and_their_regencys_hr_only_and_is_audited(app_client: Any) -> None:
    open_app, key = app_client
    client, db, settings = await open_app("activity")
    me, peer = uuid.uuid4(), uuid.uuid4()
    pool = await create_pool(db.app_url, max_size=2)
    try:
        async with tenant_transaction(pool, "*") as conn:
            for asn in (me, peer):
                await conn.execute(
                    """INSERT INTO org_asn (asn_id, regency_id, name, email, unit_id, position_title, grade,
                           position_class, gender, location, active, version)
                       VALUES ($1, $2, 'Siti Aminah', 'siti@example.go.id', $3, 'Analis', 'III/a', 7, 'P',
                               'perkotaan', true, now())""",
                    asn, REGENCY_A, uuid.uuid4(),
                )  # fmt: skip
            await _activity(conn, me, date(2026, 11, 2))
            await _activity(conn, peer, date(2026, 11, 2))
    finally:
        await pool.close()
    url = f"/api/privacy/asn/{me}"
    as_me = await client.get(url, headers=_bearer(key, settings, Role.ASN, REGENCY_A, me))
    as_hr = await client.get(url, headers=_bearer(key, settings, Role.ADMIN_BKPSDM, REGENCY_A, uuid.uuid4()))
    assert as_me.status_code == 200 and as_hr.status_code == 200, (as_me.text, as_hr.text)
    body = as_me.json()
    assert body["service"] == "activity" and body["register_rows"] == [2, 5, 6]
    assert [a["asn_id"] for a in body["sections"]["activity"]] == [str(me)]  # only mine, not the peer's
    assert body["sections"]["org_asn"][0]["email"] == "siti@example.go.id"
    assert set(body["sections"]) == {"org_asn", "activity", "evidence", "attendance_day", "leave_mark"}
    denied = {
        "peer": await client.get(url, headers=_bearer(key, settings, Role.ASN, REGENCY_A, peer)),
        "atasan without HR role": await client.get(url, headers=_bearer(key, settings, Role.ATASAN, REGENCY_A, peer)),
        "HR of another regency": await client.get(
            url, headers=_bearer(key, settings, Role.ADMIN_BKPSDM, REGENCY_B, uuid.uuid4())
        ),
        "province": await client.get(url, headers=_bearer(key, settings, Role.ADMIN_PROVINSI, None, None)),
        "anonymous": await client.get(url),
    }
    assert {k: r.status_code for k, r in denied.items()} == {
        "peer": 403, "atasan without HR role": 403, "HR of another regency": 404, "province": 403, "anonymous": 401,
    }  # fmt: skip
    logged = await _owner(
        db, "SELECT actor_roles, subject_id, detail FROM audit_log WHERE action = 'personal_data.export'"
    )
    assert [(r["actor_roles"], r["subject_id"]) for r in logged] == [(["asn"], me), (["admin_bkpsdm"], me)]
    assert logged[0]["detail"] == {
        "service": "activity",
        "rows": {"org_asn": 1, "activity": 1, "evidence": 0, "attendance_day": 0, "leave_mark": 0},
    }  # fmt: skip


async def test_a_citizens_contact_is_erased_on_request_and_the_complaint_text_stays(app_client: Any) -> None:
    open_app, key = app_client
    client, db, settings = await open_app("feedback")
    pool = await create_pool(db.app_url, max_size=2)
    try:
        async with tenant_transaction(pool, "*") as conn:
            cid = await _complaint(conn, "diproses", NOW)
    finally:
        await pool.close()
    url = f"/api/privacy/complaints/{cid}/erase-contact"
    hr = _bearer(key, settings, Role.ADMIN_BKPSDM, REGENCY_A, uuid.uuid4())
    assert (await client.post(url)).status_code == 401
    assert (
        await client.post(url, headers=_bearer(key, settings, Role.ASN, REGENCY_A, uuid.uuid4()))
    ).status_code == 403
    other = await client.post(url, headers=_bearer(key, settings, Role.ADMIN_BKPSDM, REGENCY_B, uuid.uuid4()))
    assert other.status_code == 404, other.text
    first = await client.post(url, headers=hr)
    assert first.status_code == 200 and first.json() == {"erased": True}, first.text
    assert (await client.post(url, headers=hr)).json() == {"erased": False}
    [row] = await _owner(db, "SELECT reporter_name, reporter_contact, body FROM complaint")
    assert (row["reporter_name"], row["reporter_contact"], row["body"]) == ("", "", "Pelayanan KTP lambat sekali.")
    logged = await _owner(
        db, "SELECT subject_id, detail FROM audit_log WHERE action = 'personal_data.correct' ORDER BY seq"
    )
    assert [(r["subject_id"], r["detail"]["erased"]) for r in logged] == [(cid, True), (cid, False)]
    assert (await _verified(db)).ok


@pytest.mark.parametrize("svc", ["activity", "evaluation", "feedback", "notify"])
async def test_every_services_retention_rules_run_on_its_schema(
    make_database: MakeDatabase, pool_of: Any, svc: str, tmp_path: Path
) -> None:
    """Each rule's SQL is valid against the service's real tables (an empty database: nothing to purge)."""
    module = importlib.import_module(f"kinerja_{svc}.service.privacy")
    rules = module.retention_rules(tmp_path)(CFG) if svc == "activity" else module.retention_rules(CFG)
    db = await _migrated(make_database, svc)
    counts = await purge(await pool_of(db), rules, service=svc, now=NOW)
    assert counts and set(counts.values()) == {0}, counts
    assert all(name.startswith(f"{svc}.") for name in counts)


async def test_evaluation_purge_drops_a_years_skps_with_cross_links_after_ten_years(
    make_database: MakeDatabase, pool_of: Any
) -> None:
    """A subordinate's RHK points at the superior's RHK of the same year; with batches of one row, the SKPs of that
    year still go (links first), their realisasi before them, and the next year's SKP stays."""
    from kinerja_evaluation.examples import roster_csv
    from kinerja_evaluation.service.org import import_roster, upsert_regency
    from kinerja_evaluation.service.privacy import retention_rules
    from kinerja_shared.auth import Principal

    db = await _migrated(make_database, "evaluation")
    pool = await pool_of(db)
    hr = Principal(sub="u-hr", roles=frozenset({Role.ADMIN_BKPSDM}), regency_id=REGENCY_A)
    await upsert_regency(pool, regency_id=REGENCY_A, province_id=uuid.uuid4(), province_name="Provinsi Jambi",
                         name="Kabupaten Tebo", code="15.09", now=NOW)  # fmt: skip
    rows = [
        {"nip": "197001012000011001", "nama": "Sekda", "unit_kerja": "Sekretariat Daerah", "jabatan": "Sekda",
         "kelas_jabatan": "15", "golongan": "IV/c", "jenis_kelamin": "L", "lokasi": "perkotaan", "nip_atasan": "",
         "status": "aktif", "email": ""},
        {"nip": "198503152010011003", "nama": "Staf", "unit_kerja": "Sekretariat Daerah > Bagian Umum",
         "jabatan": "Pengelola", "kelas_jabatan": "7", "golongan": "III/a", "jenis_kelamin": "L",
         "lokasi": "perkotaan", "nip_atasan": "197001012000011001", "status": "aktif", "email": ""},
    ]  # fmt: skip
    assert (await import_roster(pool, hr, "pegawai.csv", roster_csv(rows), now=NOW)).accepted
    ids = {r["nip"]: r["asn_id"] for r in await _owner(db, "SELECT nip, asn_id FROM asn")}
    sekda, staff = ids["197001012000011001"], ids["198503152010011003"]

    async def skp(conn: asyncpg.Connection, asn: uuid.UUID, year: int, parent: uuid.UUID | None) -> uuid.UUID:
        skp_id, rhk_id, ind_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        await conn.execute(
            """INSERT INTO skp (skp_id, regency_id, asn_id, year, version, status, period_start, period_end)
               VALUES ($1, $2, $3, $4, 1, 'approved', make_date($4, 1, 1), make_date($4, 12, 31))""",
            skp_id, REGENCY_A, asn, year,
        )  # fmt: skip
        await conn.execute(
            """INSERT INTO rhk (rhk_id, skp_id, regency_id, position, kind, description, parent_rhk_id)
               VALUES ($1, $2, $3, 1, 'utama', 'Layanan umum', $4)""",
            rhk_id, skp_id, REGENCY_A, parent,
        )  # fmt: skip
        await conn.execute(
            """INSERT INTO indicator (indicator_id, rhk_id, skp_id, regency_id, position, name, target, unit, aspect,
                   direction, weight) VALUES ($1, $2, $3, $4, 1, 'Surat', 10, 'surat', 'kuantitas', 'higher', 100)""",
            ind_id, rhk_id, skp_id, REGENCY_A,
        )  # fmt: skip
        await conn.execute(
            """INSERT INTO realisasi (indicator_id, period, regency_id, asn_id, skp_id, value, status, reported_at)
               VALUES ($1, $2, $3, $4, $5, 8, 'reported', now())""",
            ind_id, f"{year}-Q1", REGENCY_A, asn, skp_id,
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO skp_history (skp_id, regency_id, at, action) VALUES ($1, $2, now(), 'approved')",
            skp_id, REGENCY_A,
        )  # fmt: skip
        return rhk_id if parent is None else skp_id

    async with tenant_transaction(pool, "*") as conn:
        sekda_rhk = await skp(conn, sekda, 2026, None)
        await skp(conn, staff, 2026, sekda_rhk)  # linked to the superior's RHK of the same year
        sekda_2027_rhk = await skp(conn, sekda, 2027, None)
    later = datetime(2037, 6, 1, tzinfo=UTC)  # 2026's records are 10 years past their year, 2027's are not

    counts = await purge(pool, retention_rules(CFG), service="evaluation", now=later, batch_size=1)

    assert counts["evaluation.realisasi"] == 2 and counts["evaluation.rhk_links"] == 1
    assert counts["evaluation.skp"] == 2 and counts["evaluation.org_import"] == 1
    assert [r["year"] for r in await _owner(db, "SELECT year FROM skp")] == [2027]
    assert [r["rhk_id"] for r in await _owner(db, "SELECT rhk_id FROM rhk")] == [sekda_2027_rhk]
    assert [r["period"] for r in await _owner(db, "SELECT period FROM realisasi")] == ["2027-Q1"]
    assert len(await _owner(db, "SELECT 1 FROM skp_history")) == 1
    assert len(await _owner(db, "SELECT 1 FROM asn")) == 2  # master data is not purged by age
    assert (await _verified(db)).ok


async def test_a_purged_evidence_file_answers_410_and_its_row_keeps_the_hash(app_client: Any, tmp_path: Path) -> None:
    from kinerja_activity.service.privacy import retention_rules

    open_app, key = app_client
    client, db, settings = await open_app("activity")
    me = uuid.uuid4()
    store = tmp_path / "evidence"
    pool = await create_pool(db.app_url, max_size=2)
    try:
        async with tenant_transaction(pool, "*") as conn:
            activity_id = await _activity(conn, me, date(2022, 5, 10))
            sha = await _evidence(conn, store, activity_id, b"foto kegiatan 2022")
        url = f"/api/activities/{activity_id}/evidence/{sha}"
        headers = _bearer(key, settings, Role.ASN, REGENCY_A, me)
        before = await client.get(url, headers=headers)
        assert before.status_code == 200 and before.content == b"foto kegiatan 2022"
        counts = await purge(pool, retention_rules(store)(CFG), service="activity", now=NOW)
        assert counts["activity.evidence_files"] == 1
    finally:
        await pool.close()
    after = await client.get(url, headers=headers)
    assert after.status_code == 410 and "masa simpan" in after.json()["detail"], after.text
    [row] = await _owner(db, "SELECT sha256, file_purged_at FROM evidence")
    assert row["sha256"] == sha and row["file_purged_at"] is not None


async def test_a_citizen_erases_their_own_contact_with_the_tracking_code(app_client: Any) -> None:
    open_app, _ = app_client
    client, db, _ = await open_app("feedback")
    pool = await create_pool(db.app_url, max_size=2)
    try:
        async with tenant_transaction(pool, "*") as conn:
            mine = await _complaint(conn, "diajukan", NOW, code="ADU-7KQ3-M9XT")
            other = await _complaint(conn, "diajukan", NOW, code="ADU-4HPW-2RCN", regency=REGENCY_B)
    finally:
        await pool.close()
    unknown = await client.post("/api/privacy/pengaduan/ADU-2222-3333/hapus-kontak")
    assert unknown.status_code == 404, unknown.text
    malformed = await client.post("/api/privacy/pengaduan/bukan-kode/hapus-kontak")
    assert malformed.status_code == 422 and malformed.json()["detail"][0]["field"] == "kode", malformed.text
    done = await client.post("/api/privacy/pengaduan/adu 7kq3 m9xt/hapus-kontak")  # as people type it
    assert done.status_code == 200 and done.json() == {"erased": True}, done.text
    rows = {r["complaint_id"]: r for r in await _owner(db, "SELECT * FROM complaint")}
    assert (rows[mine]["reporter_name"], rows[mine]["reporter_contact"]) == ("", "")
    assert rows[mine]["body"] == "Pelayanan KTP lambat sekali."
    assert (rows[other]["reporter_name"], rows[other]["reporter_contact"]) == ("Budi Santoso", "081234567890")
    [logged] = await _owner(db, "SELECT actor_sub, actor_roles, subject_id, detail FROM audit_log")
    assert (logged["actor_sub"], logged["actor_roles"], logged["subject_id"]) == (
        "citizen:tracking-code", ["publik"], mine,
    )  # fmt: skip
    assert logged["detail"] == {"step": "erase_own_contact", "erased": True}


@pytest.mark.parametrize("svc", ["evaluation", "feedback", "notify"])
async def test_every_services_export_runs_on_its_schema(app_client: Any, svc: str) -> None:
    """Each service's export sections are valid SQL on its real tables and answer the documented register rows."""
    open_app, key = app_client
    client, db, settings = await open_app(svc)
    module = importlib.import_module(f"kinerja_{svc}.service.privacy")
    me = uuid.uuid4()
    answer = await client.get(f"/api/privacy/asn/{me}", headers=_bearer(key, settings, Role.ASN, REGENCY_A, me))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert list(body["sections"]) == [s.name for s in module.EXPORT_SECTIONS]
    assert body["register_rows"] == sorted({s.register_row for s in module.EXPORT_SECTIONS})
    assert len(await _owner(db, "SELECT 1 FROM audit_log WHERE action = 'personal_data.export'")) == 1
