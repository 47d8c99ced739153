"""Issue 11 item 5: the append-only, hash-chained audit log and the verify command that detects tampering.

Tampering is done the way a malicious DBA would: as the owner with the triggers switched off, or as a superuser.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest

from kinerja_shared import audit
from kinerja_shared.audit import Actor, AuditAction
from kinerja_shared.auth import Principal, Role
from kinerja_shared.db import connect, create_pool, tenant_transaction
from kinerja_shared.testing.plugin import MakeDatabase, ProvisionedDatabase

pytestmark = pytest.mark.postgres

REGENCY_A, REGENCY_B = uuid.uuid4(), uuid.uuid4()
ATASAN = Principal(
    sub="u-atasan-1", name="Uji", roles=frozenset({Role.ATASAN}), regency_id=REGENCY_A, asn_id=uuid.uuid4()
)


@pytest.fixture
async def db(make_database: MakeDatabase) -> ProvisionedDatabase:
    return await make_database()


@pytest.fixture
async def pool(db: ProvisionedDatabase) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(db.app_url, max_size=4)
    yield p
    await p.close()


async def _fill(pool: asyncpg.Pool, n: int) -> list[audit.AuditEntry]:
    out = []
    for i in range(n):
        regency = REGENCY_A if i % 2 == 0 else REGENCY_B
        async with tenant_transaction(pool, [regency]) as conn:
            out.append(
                await audit.record(
                    conn,
                    actor=ATASAN if regency == REGENCY_A else Actor.system("evaluation"),
                    action=AuditAction.SKP_APPROVE if i % 3 else AuditAction.SKP_VIEW,
                    subject_type="skp",
                    subject_id=uuid.uuid4(),
                    regency_id=regency,
                    detail={"version": i, "score": Decimal("87.25"), "period": "2026-Q3"},
                )
            )
    return out


async def _verify(db: ProvisionedDatabase, **kw: object) -> audit.VerifyResult:
    conn = await connect(db.owner_url)
    try:
        return await audit.verify(conn, **kw)  # type: ignore[arg-type]
    finally:
        await conn.close()


async def _tamper(db: ProvisionedDatabase, sql: str, *args: object) -> None:
    """What a DBA holding the owner role could do: switch the guard triggers off and rewrite history."""
    conn = await connect(db.owner_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('kinerja.regency_ids', '*', true)")
            await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
            await conn.execute("ALTER TABLE audit_head DISABLE TRIGGER USER")
            await conn.execute(sql, *args)
            await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")
            await conn.execute("ALTER TABLE audit_head ENABLE TRIGGER USER")
    finally:
        await conn.close()


async def test_record_chains_rows_in_the_use_case_transaction(db: ProvisionedDatabase, pool: asyncpg.Pool) -> None:
    entries = await _fill(pool, 6)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    # a rolled-back use case leaves no audit row and no gap
    with pytest.raises(RuntimeError, match="boom"):
        async with tenant_transaction(pool, [REGENCY_A]) as conn:
            await audit.record(
                conn, actor=ATASAN, action="skp.view", subject_type="skp", subject_id=uuid.uuid4(), regency_id=REGENCY_A
            )
            raise RuntimeError("boom")
    result = await _verify(db)
    assert result.ok and result.rows == 6 and result.head_seq == 6, result
    # tenants see only their own rows
    async with tenant_transaction(pool, [REGENCY_A]) as conn:
        rows = await conn.fetch("SELECT actor_sub, actor_roles, actor_asn_id, detail FROM audit_log")
    assert len(rows) == 3 and {r["actor_sub"] for r in rows} == {"u-atasan-1"}
    assert rows[0]["actor_roles"] == ["atasan"] and rows[0]["actor_asn_id"] == ATASAN.asn_id
    assert rows[0]["detail"] == {"version": 0, "score": "87.25", "period": "2026-Q3"}


async def test_concurrent_appends_keep_one_chain(db: ProvisionedDatabase, pool: asyncpg.Pool) -> None:
    async def one(i: int) -> None:
        async with tenant_transaction(pool, [REGENCY_A]) as conn:
            await audit.record(
                conn,
                actor=ATASAN,
                action="tpp.export",
                subject_type="tpp_batch",
                subject_id=uuid.uuid4(),
                regency_id=REGENCY_A,
                detail={"i": i},
            )

    await asyncio.gather(*(one(i) for i in range(24)))
    result = await _verify(db)
    assert result.ok and result.rows == 24 and result.head_seq == 24, result


async def test_app_role_cannot_change_or_delete_and_record_needs_a_transaction(
    db: ProvisionedDatabase, pool: asyncpg.Pool
) -> None:
    await _fill(pool, 2)
    for sql in (
        "UPDATE audit_log SET action = 'skp.view'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "DELETE FROM audit_head",
        "UPDATE audit_head SET seq = 0",  # the head only moves one step forward
    ):
        async with tenant_transaction(pool, "*") as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(sql)
    # the owner is stopped by the triggers too (it would have to switch them off, which verify then catches)
    owner = await connect(db.owner_url)
    try:
        await owner.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await owner.execute("DELETE FROM audit_log WHERE seq = 1")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await owner.execute("UPDATE audit_log SET detail = '{}' WHERE seq = 1")
    finally:
        await owner.close()
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="inside the use case's transaction"):
            await audit.record(
                conn, actor=ATASAN, action="skp.view", subject_type="skp", subject_id=uuid.uuid4(), regency_id=REGENCY_A
            )
    # a tenant cannot write an audit row for another regency
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with tenant_transaction(pool, [REGENCY_B]) as conn:
            await audit.record(
                conn, actor=ATASAN, action="skp.view", subject_type="skp", subject_id=uuid.uuid4(), regency_id=REGENCY_A
            )
    assert (await _verify(db)).ok


@pytest.mark.parametrize(
    "detail",
    [
        {"nip": "x"},
        {"nama": "Siti"},
        {"note": "199001012015031001"},
        {"to": "siti@kinerja-demo.id"},
        {"nested": {"hp": "1"}},
        {"contact": ["081234567890"]},
        {"ratio": 0.5},
        {"big": "x" * 5000},
    ],
)
async def test_detail_refuses_personal_data(pool: asyncpg.Pool, detail: dict[str, object]) -> None:
    async with tenant_transaction(pool, [REGENCY_A]) as conn:
        with pytest.raises(ValueError, match="audit detail"):
            await audit.record(
                conn,
                actor=ATASAN,
                action="skp.view",
                subject_type="skp",
                subject_id=uuid.uuid4(),
                regency_id=REGENCY_A,
                detail=detail,
            )


def test_ids_in_detail_are_not_mistaken_for_phone_numbers() -> None:
    # a UUID's last group can read "08" + digits; found by the API chaos run (a superior's decision answered 500)
    ids = {"asn_id": "5f0c3e1a-9b2d-4c7e-8a1f-081234567890", "also": ["00000000-0000-4000-8000-081234567891"]}
    assert audit.check_detail(ids) == ids
    with pytest.raises(ValueError, match="phone"):
        audit.check_detail({"note": "hubungi 081234567890"})


@pytest.mark.parametrize(
    ("tamper", "first_bad", "reason"),
    [
        ("UPDATE audit_log SET detail = '{\"version\": 99}' WHERE seq = 4", 4, "modified"),
        ("UPDATE audit_log SET actor_sub = 'someone-else' WHERE seq = 2", 2, "modified"),
        ("UPDATE audit_log SET at = at - interval '1 day' WHERE seq = 7", 7, "modified"),
        ("DELETE FROM audit_log WHERE seq = 5", 5, "missing"),
        # swap two rows' places: their seqs are hashed, and each links to the wrong predecessor
        (
            "UPDATE audit_log SET seq = 1000 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 6;"
            " UPDATE audit_log SET seq = 6 WHERE seq = 1000",
            3,
            "reordered",
        ),
        ("DELETE FROM audit_log WHERE seq >= 7", 7, "cut off"),
        ("DELETE FROM audit_log WHERE seq = 1", 1, "missing"),
    ],
)
async def test_verify_names_the_first_tampered_row(
    db: ProvisionedDatabase, pool: asyncpg.Pool, tamper: str, first_bad: int, reason: str
) -> None:
    await _fill(pool, 8)
    assert (await _verify(db)).ok
    await _tamper(db, tamper)
    result = await _verify(db)
    assert not result.ok and result.first_bad_seq == first_bad and reason in result.reason, result


async def test_a_consistent_rewrite_is_caught_by_an_anchor_kept_elsewhere(
    db: ProvisionedDatabase, pool: asyncpg.Pool
) -> None:
    entries = await _fill(pool, 5)
    anchor = (entries[2].seq, entries[2].hash)  # e.g. the head printed by yesterday's verify run
    # rewrite row 2 and re-hash everything after it, as someone who read this module would
    conn = await connect(db.owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        rows = [audit._entry(r) for r in await conn.fetch("SELECT * FROM audit_log ORDER BY seq")]  # noqa: SLF001
    finally:
        await conn.close()
    prev = audit.GENESIS
    for e in rows:
        detail = {"version": -1} if e.seq == 2 else e.detail
        forged = audit.AuditEntry(**{**audit._fields(e), "detail": detail, "prev_hash": prev, "hash": ""})  # noqa: SLF001
        digest = forged.compute_hash()
        await _tamper(
            db,
            "UPDATE audit_log SET detail = $2::text::jsonb, prev_hash = $3, hash = $4 WHERE seq = $1",
            e.seq,
            json.dumps(detail),
            prev,
            digest,
        )
        prev = digest
    await _tamper(db, "UPDATE audit_head SET hash = $1", prev)
    assert (await _verify(db)).ok  # the chain alone cannot tell
    result = await _verify(db, anchors=[anchor])
    assert not result.ok and result.first_bad_seq == 3 and "anchor" in result.reason


async def test_verify_command_exit_codes(db: ProvisionedDatabase, pool: asyncpg.Pool) -> None:
    entries = await _fill(pool, 3)

    def run(*extra: str) -> tuple[int, dict[str, object]]:
        proc = subprocess.run(
            [sys.executable, "-m", "kinerja_shared.audit", "verify", "--database-url", db.owner_url, *extra],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return proc.returncode, json.loads(proc.stdout)

    code, out = await asyncio.to_thread(run, "--anchor", f"3:{entries[2].hash}")
    assert code == 0 and out["ok"] is True and out["rows"] == 3 and out["head_hash"] == entries[2].hash
    await _tamper(db, "UPDATE audit_log SET subject_type = 'evaluation' WHERE seq = 2")
    code, out = await asyncio.to_thread(run)
    assert code == 1 and out["ok"] is False and out["first_bad_seq"] == 2


def test_entry_hash_is_canonical() -> None:
    at = datetime(2026, 11, 29, 7, 5, 3, 120000, tzinfo=UTC)
    e = audit.AuditEntry(
        seq=1,
        at=at,
        regency_id=None,
        actor_sub="s",
        actor_roles=("b", "a"),
        actor_asn_id=None,
        action="skp.view",
        subject_type="skp",
        subject_id=uuid.UUID(int=1),
        detail={"b": 1, "a": "x"},
        prev_hash=audit.GENESIS,
    )
    assert e.canonical() == (
        b'{"action":"skp.view","actor_asn_id":null,"actor_roles":["a","b"],"actor_sub":"s",'
        b'"at":"2026-11-29T07:05:03.120000+00:00","detail":{"a":"x","b":1},"regency_id":null,"seq":1,'
        b'"subject_id":"00000000-0000-0000-0000-000000000001","subject_type":"skp"}'
    )
    assert len(e.compute_hash()) == 64


async def test_a_services_audited_use_case_leaves_one_chained_row_that_verify_guards(
    make_database: MakeDatabase,
) -> None:
    """A real use case (feedback: erasing a complaint reporter's contact) appends exactly one row in its own
    transaction; verify passes, and catches the row being edited afterwards."""
    from kinerja_feedback.bootstrap import DEFINITION
    from kinerja_feedback.service.privacy import erase_reporter_contact

    fdb = await make_database(DEFINITION.migrations_dir, prefix="feedback")
    fpool = await create_pool(fdb.app_url, max_size=2)
    hr = Principal(sub="u-hr-1", name="HR", roles=frozenset({Role.ADMIN_BKPSDM}), regency_id=REGENCY_A)
    complaint_id = uuid.uuid4()
    try:
        async with tenant_transaction(fpool, [REGENCY_A]) as conn:
            await audit.record(  # an earlier row, so the use case's row links to something
                conn, actor=hr, action="complaint.view", subject_type="complaint", subject_id=complaint_id,
                regency_id=REGENCY_A,
            )  # fmt: skip
            await conn.execute(
                """INSERT INTO complaint (complaint_id, regency_id, unit_id, tracking_code, subject, body,
                       reporter_name, reporter_contact, filed_at, filed_on, response_due, resolution_due, status,
                       updated_at)
                   VALUES ($1, $2, $3, 'KODE123456', 'Jalan rusak', 'Lubang besar di depan pasar.', 'Ani',
                           'ani@contoh.id', now(), current_date, current_date, current_date, 'diproses', now())""",
                complaint_id, REGENCY_A, uuid.uuid4(),
            )  # fmt: skip
        assert await erase_reporter_contact(fpool, hr, complaint_id) is True
    finally:
        await fpool.close()
    rows = [
        dict(r)
        for r in await _owner_rows(
            fdb, "SELECT seq, action, subject_id, detail, prev_hash, hash FROM audit_log ORDER BY seq"
        )
    ]
    assert [(r["seq"], r["action"]) for r in rows] == [(1, "complaint.view"), (2, "personal_data.correct")]
    assert rows[1]["prev_hash"] == rows[0]["hash"] and rows[1]["subject_id"] == complaint_id
    assert rows[1]["detail"] == {"step": "erase_reporter_contact", "erased": True}
    assert (await _verify(fdb)).ok
    await _tamper(
        fdb, """UPDATE audit_log SET detail = '{"step": "erase_reporter_contact", "erased": false}' WHERE seq = 2"""
    )
    result = await _verify(fdb)
    assert not result.ok and result.first_bad_seq == 2 and "modified" in result.reason, result


async def _owner_rows(db: ProvisionedDatabase, sql: str) -> list[asyncpg.Record]:
    conn = await connect(db.owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        return list(await conn.fetch(sql))
    finally:
        await conn.close()
