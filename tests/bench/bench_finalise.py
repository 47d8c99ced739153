"""`bench finalise`: finalising a whole regency's annual results in one action, then the re-run that must change
nothing, and the month's TPP payroll export of the same regency.

    uv run python tests/bench/bench_finalise.py              # 10,000 ASN (default, modest)
    uv run python tests/bench/bench_finalise.py --full       # 70,000 ASN (the issue's size; goal ≤ 30 s)
    uv run python tests/bench/bench_finalise.py --asn 25000

Seeds (COPY, not timed): one regency, a unit per 250 ASN, every ASN with four quarterly scores and the pejabat
penilai's annual rating. Timed, through the real use cases on the app role (RLS on): `annual.finalise` for the
regency (curve check of every unit, final_result rows, PeriodFinalized + PerformancePublished +
NotificationRequested per ASN into the outbox, audit row), the second run, and `tpp.export` as CSV.
Uses PostgreSQL from KINERJA_TEST_ADMIN_DATABASE_URL, else the local stack. The machine is shared: figures vary.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import asyncpg

from kinerja_evaluation.bootstrap import DEFINITION
from kinerja_evaluation.service import annual, tpp
from kinerja_shared.auth import Principal, Role
from kinerja_shared.db import create_pool, load_migrations, migrate
from kinerja_shared.db import shared_migrations as plumbing
from kinerja_shared.readmodels.org import MIGRATIONS_DIR as ORG_MIGRATIONS
from kinerja_shared.web import JAKARTA

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import admin_dsn, bench_database, drop_database  # noqa: E402 - the bench folder is not a package

PREDIKAT = [
    ("di_atas_ekspektasi", "di_atas_ekspektasi", "sangat_baik"),
    ("sesuai_ekspektasi", "sesuai_ekspektasi", "baik"),
    ("di_bawah_ekspektasi", "sesuai_ekspektasi", "butuh_perbaikan"),
    ("sesuai_ekspektasi", "di_bawah_ekspektasi", "kurang"),
]
WEIGHTS = [15, 70, 12, 3]


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def _database(admin: str) -> tuple[str, str]:
    app, owner = await bench_database(admin)
    await migrate(
        owner,
        plumbing()
        + load_migrations(ORG_MIGRATIONS, "shared-org")
        + load_migrations(DEFINITION.migrations_dir, "evaluation"),
    )
    return app, owner


async def _insert(
    conn: asyncpg.Connection, table: str, columns: list[str], types: list[str], records: list[tuple[object, ...]]
) -> None:
    """COPY is refused under FORCE ROW LEVEL SECURITY: one INSERT … SELECT FROM unnest per 20,000 rows instead."""
    cols = ", ".join(columns)
    args = ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(types))
    for start in range(0, len(records), 20_000):
        chunk = records[start : start + 20_000]
        await conn.execute(
            f"INSERT INTO {table} ({cols}) SELECT * FROM unnest({args})",
            *([r[i] for r in chunk] for i in range(len(columns))),
        )


async def _seed(owner: str, n: int) -> uuid.UUID:
    rnd = random.Random(9)
    regency, province = uuid.uuid4(), uuid.uuid4()
    conn = await asyncpg.connect(owner)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        await conn.execute("INSERT INTO province VALUES ($1, 'Provinsi Jambi')", province)
        await conn.execute(
            "INSERT INTO regency (regency_id, province_id, name, code) VALUES ($1, $2, 'Kab. Bench', '15.99')",
            regency,
            province,
        )
        await conn.execute("INSERT INTO regency_config (regency_id) VALUES ($1)", regency)
        units = [uuid.uuid4() for _ in range(max(1, n // 250))]
        await _insert(
            conn,
            "unit",
            ["unit_id", "regency_id", "path", "name", "kind"],
            ["uuid", "uuid", "text", "text", "text"],
            [(u, regency, f"Dinas {i:03d}", f"Dinas {i:03d}", "dinas") for i, u in enumerate(units)],
        )
        asns = [uuid.uuid4() for _ in range(n)]
        await _insert(
            conn,
            "asn",
            [
                "asn_id",
                "regency_id",
                "nip",
                "name",
                "unit_id",
                "position_title",
                "position_class",
                "grade",
                "gender",
                "location",
            ],
            ["uuid", "uuid", "text", "text", "uuid", "text", "int", "text", "text", "text"],
            [
                (
                    a,
                    regency,
                    f"19{i:016d}",
                    f"Pegawai {i}",
                    units[i % len(units)],
                    "Pelaksana",
                    rnd.randint(5, 12),
                    "III/a",
                    "LP"[i % 2],
                    ("perkotaan", "perdesaan")[i % 3 == 0],
                )
                for i, a in enumerate(asns)
            ],
        )
        scores, ratings = [], []
        for a in asns:
            for q in range(1, 5):
                scores.append((a, f"2026-Q{q}", regency, "dihitung", Decimal(rnd.randint(5000, 9800)) / 100))
            h, p, pred = rnd.choices(PREDIKAT, WEIGHTS)[0]
            ratings.append((a, 2026, regency, h, p, pred, uuid.uuid4(), datetime(2027, 1, 5, tzinfo=JAKARTA)))
        await _insert(
            conn,
            "scoring_score",
            ["asn_id", "period", "regency_id", "status", "score"],
            ["uuid", "text", "uuid", "text", "numeric"],
            scores,
        )
        await _insert(
            conn,
            "annual_rating",
            [
                "asn_id",
                "year",
                "regency_id",
                "hasil_rating",
                "perilaku_rating",
                "predikat",
                "rated_by",
                "rated_at",
            ],
            ["uuid", "int", "uuid", "text", "text", "text", "uuid", "timestamptz"],
            ratings,
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return regency


async def _counts(owner: str) -> tuple[int, int, int, int]:
    conn = await asyncpg.connect(owner)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM final_result), (SELECT count(*) FROM outbox), "
            "(SELECT count(*) FROM finalisation), (SELECT count(*) FROM audit_log)"
        )
        assert row is not None
        return row[0], row[1], row[2], row[3]
    finally:
        await conn.close()


async def main(n: int) -> None:
    admin = admin_dsn()
    app, owner = await _database(admin)
    try:
        t = time.perf_counter()
        regency = await _seed(owner, n)
        say(
            f"seeded {n:,} ASN ({max(1, n // 250)} units, {4 * n:,} periodic scores) in {time.perf_counter() - t:.1f} s"
        )
        who = Principal(sub="bench-admin", roles=frozenset({Role.ADMIN_BKPSDM}), regency_id=regency)
        pool = await create_pool(app, max_size=2)
        try:
            t = time.perf_counter()
            first = await annual.finalise(pool, who, "2026-Y", acknowledge_violations=True)
            t1 = time.perf_counter() - t
            after_first = await _counts(owner)
            t = time.perf_counter()
            second = await annual.finalise(pool, who, "2026-Y", acknowledge_violations=True)
            t2 = time.perf_counter() - t
            after_second = await _counts(owner)
            t = time.perf_counter()
            body, rows = await tpp.export(pool, who, tpp.parse_month("2026-12"), "csv")
            t3 = time.perf_counter() - t
        finally:
            await pool.close()
        say(
            f"finalise regency: {first.finalised:,} results final in {t1:.2f} s "
            f"({first.finalised / t1:,.0f}/s; {len(first.violations)} units flagged by the curve); "
            f"outbox +{after_first[1]:,} events"
        )
        say(
            f"re-run: {second.finalised} new, {second.already_final:,} already final, {t2:.2f} s; "
            f"changed nothing: {after_second[:3] == after_first[:3] and after_second[3] == after_first[3]}"
        )
        say(f"TPP export (CSV, {rows:,} rows, {len(body) / 1e6:.1f} MB) in {t3:.2f} s")
        goal = "met" if t1 <= 30 else "NOT met"
        say(f"goal ≤ 30 s (issue: 70,000 ASN): {goal} at {n:,} ASN; load average now {os.getloadavg()[0]:.1f}")
    finally:
        await drop_database(admin, app)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--asn", type=int, default=10_000)
    ap.add_argument("--full", action="store_true", help="70,000 ASN, the issue's size")
    args = ap.parse_args()
    asyncio.run(main(70_000 if args.full else args.asn))
