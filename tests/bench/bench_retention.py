"""Retention purge throughput (issue 11): how fast the daily job clears a backlog on the activity database.

    uv run python tests/bench/bench_retention.py            # 20,000 attendance days + 10,000 old activities
    uv run python tests/bench/bench_retention.py --full     # 500,000 + 250,000 (a regency's first purge after years)
    uv run python tests/bench/bench_retention.py --days 5000 --batch 500

Seeds, on a fresh database with activity's migrations: attendance days with coordinates older than 90 days (to be
nulled), attendance days and activities older than 5 years (to be deleted), and as many young rows (to stay). Then
runs `kinerja_shared.privacy.purge` with activity's rules once and prints rows touched, batches, rows/s and the
mean batch time (each batch is one transaction holding row locks: its length is what users could wait on). The
database is dropped at the end. Figures on a shared machine are pessimistic: the load average is printed with them.
"""

# ruff: noqa: T201 - a benchmark prints its figures
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import bench_database, drop_database, infra  # noqa: E402

from kinerja_activity.bootstrap import DEFINITION  # noqa: E402
from kinerja_activity.service.privacy import retention_rules  # noqa: E402
from kinerja_activity.settings import ActivitySettings  # noqa: E402
from kinerja_shared.db import create_pool  # noqa: E402
from kinerja_shared.privacy import RetentionSettings, purge  # noqa: E402
from kinerja_shared.runtime import run_migrations  # noqa: E402

NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


async def seed(owner_url: str, days: int, activities: int) -> None:
    """In SQL (COPY is refused on tables with row-level security): 400 days per person, going back from 10 days
    ago, so the newest 80 are kept whole, older ones lose coordinates, and those past 5 years go; half of the
    activities are 6 years old."""
    conn = await asyncpg.connect(owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        people = max(1, days // 400)
        await conn.execute(
            """INSERT INTO attendance_day (asn_id, work_date, regency_id, status, check_in, check_out, check_in_lat,
                   check_in_lon, check_out_lat, check_out_lon, source, updated_at)
               SELECT p.id, ($1::date - 10 - (g / $3) * 5), $4, 'hadir', $5, $5, -1.6, 103.6, -1.6, 103.6,
                      'aplikasi', $5
               FROM generate_series(0, $2 - 1) g
               JOIN (SELECT row_number() OVER () - 1 AS i, gen_random_uuid() AS id FROM generate_series(1, $3)) p
                 ON p.i = g % $3""",
            NOW.date(), days, people, uuid.uuid4(), NOW,
        )  # fmt: skip
        await conn.execute(
            """INSERT INTO activity (activity_id, regency_id, asn_id, activity_date, start_time, end_time, minutes,
                   description, quantity, output, indicator_id, client_hash, reported_at, updated_at)
               SELECT gen_random_uuid(), $3, gen_random_uuid(),
                      CASE WHEN g % 2 = 0 THEN $1::date - 30 ELSE $1::date - 6 * 366 END,
                      '08:00', '09:00', 60, 'Kegiatan', 1, 'laporan', gen_random_uuid(), 'h', $4, $4
               FROM generate_series(1, $2) g""",
            NOW.date(), activities, uuid.uuid4(), NOW,
        )  # fmt: skip
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="500,000 attendance days and 250,000 activities")
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("--activities", type=int, default=None)
    ap.add_argument("--batch", type=int, default=1000, help="rows per transaction (KINERJA_RETENTION_BATCH_SIZE)")
    args = ap.parse_args()
    days = args.days or (500_000 if args.full else 20_000)
    activities = args.activities or days // 2
    _, admin = infra()
    app_url, owner_url = await bench_database(admin)
    try:
        await run_migrations(DEFINITION, ActivitySettings(database_url=app_url, migration_database_url=owner_url))
        t0 = time.perf_counter()
        await seed(owner_url, days, activities)
        print(f"seeded {days:,} attendance days and {activities:,} activities in {time.perf_counter() - t0:.1f} s")
        pool = await create_pool(app_url, max_size=2)
        try:
            with tempfile.TemporaryDirectory() as evidence:
                rules = retention_rules(Path(evidence))(RetentionSettings(_env_file=None))
                load = os.getloadavg()[0]
                t0 = time.perf_counter()
                counts = await purge(pool, rules, service="activity", now=NOW, batch_size=args.batch)
                elapsed = time.perf_counter() - t0
        finally:
            await pool.close()
        touched = sum(counts.values())
        batches = sum(-(-n // args.batch) for n in counts.values())
        for rule, n in counts.items():
            print(f"  {rule:<36} {n:>10,} rows")
        print(f"retention purge: {touched:,} rows in {elapsed:.2f} s = {touched / elapsed:,.0f} rows/s")
        print(f"batches: {batches:,} of up to {args.batch:,} rows, mean {1000 * elapsed / max(1, batches):.1f} ms each")
        print(f"load average at start {load:.1f}, end {os.getloadavg()[0]:.1f} (2 cores, shared)")
    finally:
        await drop_database(admin, app_url)


if __name__ == "__main__":
    asyncio.run(main())
