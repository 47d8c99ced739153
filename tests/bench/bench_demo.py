"""How long the demo province takes to load through the front door, step by step, and how fast a re-run is.

Starts the four services (api + worker each) on fresh databases of the local PostgreSQL and a fresh topic namespace
of the local Kafka, nginx in front of them (the same helper as the journey tests), then runs the demo loader twice:
the first run loads, the second must find everything in place (idempotence) and shows what checking costs.

    uv run python tests/bench/bench_demo.py              # 500 ASN in 11 regencies (modest, a few minutes)
    uv run python tests/bench/bench_demo.py --full       # 5,000 ASN: the `./kinerja up` default
    uv run python tests/bench/bench_demo.py --asn 70000  # the benchmark scale

Prints wall time per step, requests, requests/s and the load average (the machine may be shared).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

from kinerja_local.demo.loader import Options, Summary
from kinerja_local.stack import ensure_infra
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.testing.plugin import TEST_APP, TEST_OWNER, TEST_PASSWORD, Infra

HERE = Path(__file__).resolve().parent
out = print  # noqa: T201 - a benchmark prints its figures


def _journeys() -> object:
    spec = importlib.util.spec_from_file_location("kinerja_journeys", HERE.parent / "e2e" / "test_journeys.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["kinerja_journeys"] = mod
    spec.loader.exec_module(mod)
    return mod


async def _roles(dsn: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        for role, extra in ((TEST_OWNER, "CREATEDB"), (TEST_APP, "")):
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                await conn.execute(
                    f"CREATE ROLE {role} LOGIN {extra} NOSUPERUSER NOBYPASSRLS PASSWORD '{TEST_PASSWORD}'"
                )
    finally:
        await conn.close()


def _table(title: str, s: Summary, seconds: float, requests: int) -> None:
    out(f"\n{title}: {seconds:.1f} s, {requests} requests, {requests / max(seconds, 1e-9):.0f} requests/s")
    for step, sec in s.seconds.items():
        out(f"  {step:<45} {sec:8.1f} s")
    out(
        f"  ASN {s.asn} · SKP approved {s.skp_approved} · activities {s.activities} (verified {s.verified}) · "
        f"attendance scans {s.attendance_rows} · realisasi {s.realisasi} · evaluations {s.evaluations} · "
        f"surveys {s.surveys} · complaints {s.complaints} · 360 ratings {s.peer_ratings}"
    )
    for note in s.skipped:
        out(f"  skipped: {note}")


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--asn", type=int, default=500)
    ap.add_argument("--full", action="store_true", help="5,000 ASN (the demo default)")
    ap.add_argument("--regencies", type=int, default=11)
    args = ap.parse_args()
    n = 5000 if args.full else args.asn
    j = _journeys()
    local = ensure_infra(fast=True)
    infra = Infra(local.kafka_bootstrap, local.pg_admin_dsn)
    await _roles(infra.pg_admin_dsn)
    kafka = KafkaSettings(bootstrap_servers=local.kafka_bootstrap)
    opts = Options(asn=n, regencies=args.regencies, wait_seconds=600)
    out(f"demo load of {n} ASN in {args.regencies} regencies; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs; PostgreSQL of the local stack (fsync off when started with --fast)")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        started = time.monotonic()
        async with j.full_stack(infra, kafka, Path(tmp), opts) as stack:  # type: ignore[attr-defined]
            first = time.monotonic() - started
            loader = stack.loader
            _table("first load (includes starting 8 processes and nginx)", stack.summary, first, loader.api.requests)
            from kinerja_local.demo.client import Api
            from kinerja_local.demo.loader import Loader

            again = time.monotonic()
            async with Api(stack.url, stack.key, j.ISSUER, j.AUDIENCE, concurrency=12) as api:  # type: ignore[attr-defined]
                s2 = await Loader(api, opts, lambda *_: None).run()
                _table("re-run (idempotent: nothing new expected)", s2, time.monotonic() - again, api.requests)
    out(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
