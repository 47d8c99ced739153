"""Benchmark: import a province's ASN (roster files, one per regency) and their SKPs (5 RHK × 2 indicators each).

    uv run python tests/bench/bench_import.py            # 7,000 ASN over 11 regencies (CI-sized)
    uv run python tests/bench/bench_import.py --full     # 70,000 ASN (the issue's target: ≤ 60 s)

Uses the local stack's PostgreSQL (or KINERJA_TEST_ADMIN_DATABASE_URL), a fresh database that is dropped at the
end, and the service's real use cases: `import_roster` (COPY into staging + set-based upsert + outbox.add_many)
and `bulk_create_skps` (COPY into staging + INSERT … SELECT). Prints rows/s and the server's durability settings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

import asyncpg

from kinerja_evaluation.bootstrap import DEFINITION
from kinerja_evaluation.examples import roster_csv, synthetic_roster
from kinerja_evaluation.service.bulk import bulk_create_skps
from kinerja_evaluation.service.models import SkpIn
from kinerja_evaluation.service.org import import_roster, upsert_regency
from kinerja_shared.auth import Principal, Role
from kinerja_shared.db import create_pool, load_migrations, migrate, shared_migrations
from kinerja_shared.web import JAKARTA

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import admin_dsn, bench_database, drop_database  # noqa: E402 - the bench folder is not a package

REGENCIES = ("Kota Jambi", "Kota Sungai Penuh", "Batanghari", "Bungo", "Kerinci", "Merangin", "Muaro Jambi",
             "Sarolangun", "Tanjung Jabung Barat", "Tanjung Jabung Timur", "Tebo")  # fmt: skip
NOW = datetime(2026, 1, 5, 8, 0, tzinfo=JAKARTA)


def plan(year: int, title: str) -> SkpIn:
    """5 RHK × 2 indicators, the shape the issue's benchmark names."""
    return SkpIn.model_validate({
        "year": year,
        "rhk": [
            {"kind": "utama" if k < 4 else "tambahan", "description": f"Hasil kerja {k + 1} sebagai {title}",
             "indicators": [
                 {"name": f"Keluaran {k + 1}", "target": "100", "unit": "dokumen", "weight": "60"},
                 {"name": f"Waktu penyelesaian {k + 1}", "target": "5", "unit": "hari", "aspect": "waktu",
                  "direction": "lower", "weight": "40"},
             ]}
            for k in range(5)
        ],
    })  # fmt: skip


async def main(total: int) -> None:
    load0 = os.getloadavg()[0]
    admin = admin_dsn()
    conn = await asyncpg.connect(admin)
    try:
        durability = {k: await conn.fetchval(f"SHOW {k}") for k in ("fsync", "synchronous_commit", "full_page_writes")}
    finally:
        await conn.close()
    app_url, owner_url = await bench_database(admin)
    await migrate(owner_url, shared_migrations() + load_migrations(DEFINITION.migrations_dir, "evaluation"))
    pool = await create_pool(app_url, max_size=2)
    try:
        province = uuid.uuid4()
        per = total // len(REGENCIES)
        files = []
        t0 = time.perf_counter()
        for i, reg in enumerate(REGENCIES):
            n = per if i < len(REGENCIES) - 1 else total - per * (len(REGENCIES) - 1)
            files.append((reg, roster_csv(synthetic_roster(n, seed=i + 1, region=reg))))
        gen_s = time.perf_counter() - t0

        asn_s = skp_s = 0.0
        asn_rows = skp_rows = 0
        for i, (reg, content) in enumerate(files):
            regency = uuid.uuid4()
            await upsert_regency(pool, regency_id=regency, province_id=province, province_name="Provinsi Jambi",
                                 name=reg, code=f"15.{i + 1:02d}", now=NOW)  # fmt: skip
            admin_p = Principal(sub="bench", name="Admin BKPSDM", roles=frozenset({Role.ADMIN_BKPSDM}),
                                regency_id=regency)  # fmt: skip
            t = time.perf_counter()
            report = await import_roster(pool, admin_p, f"{reg}.csv", content, now=NOW)
            asn_s += time.perf_counter() - t
            if not report.accepted:
                sys.exit(f"{reg}: rejected: {report.errors[:3]}")
            asn_rows += report.created
            async with pool.acquire() as c, c.transaction():
                await c.execute("SELECT set_config('kinerja.regency_ids', $1, true)", str(regency))
                people = await c.fetch("SELECT asn_id, position_title FROM asn WHERE regency_id = $1", regency)
            t = time.perf_counter()
            templates: dict[str, SkpIn] = {}  # one plan per jabatan, as a BKPSDM would prepare them
            for title in {p["position_title"] for p in people}:
                templates[title] = plan(2026, title)
            plans = [(p["asn_id"], templates[p["position_title"]]) for p in people]
            bulk = await bulk_create_skps(pool, admin_p, plans, now=NOW)
            skp_s += time.perf_counter() - t
            if bulk.errors:
                sys.exit(f"{reg}: SKP rejected: {bulk.errors[:3]}")
            skp_rows += bulk.created + bulk.rhk + bulk.indicators
        async with pool.acquire() as c:
            await c.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
            counts = {t: await c.fetchval(f"SELECT count(*) FROM {t}") for t in ("asn", "skp", "rhk", "indicator")}
        outbox = await pool.fetchval("SELECT count(*) FROM outbox")
    finally:
        await pool.close()
        await drop_database(admin, app_url)

    total_s = asn_s + skp_s
    print(f"province: {len(REGENCIES)} regencies, {total:,} ASN (roster files generated in {gen_s:.1f} s)")  # noqa: T201
    print(f"PostgreSQL: {', '.join(f'{k}={v}' for k, v in durability.items())}")  # noqa: T201
    # the figures depend on what else the machine runs; the load average says how contended it was
    print(f"load average at start/end: {load0:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")  # noqa: T201
    print(f"rows: {counts} · outbox events: {outbox:,}")  # noqa: T201
    print(f"ASN import (parse + validate + COPY + upsert + outbox): {asn_s:.1f} s, {asn_rows / asn_s:,.0f} ASN/s")  # noqa: T201
    print(f"SKP import (SKP + 5 RHK + 10 indicators each, COPY): {skp_s:.1f} s, {skp_rows / skp_s:,.0f} rows/s")  # noqa: T201
    verdict = "within" if total_s <= 60 else "OVER"
    rate = (asn_rows + skp_rows) / total_s
    print(f"total: {total_s:.1f} s for {asn_rows + skp_rows:,} rows, {rate:,.0f} rows/s ({verdict} 60 s)")  # noqa: T201


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="70,000 ASN (the issue's province size)")
    ap.add_argument("--asn", type=int, default=7_000, help="ASN in the province (default 7,000)")
    args = ap.parse_args()
    asyncio.run(main(70_000 if args.full else args.asn))
