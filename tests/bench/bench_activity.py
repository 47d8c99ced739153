"""Benchmark of the activity service against a naive implementation, on the local Kafka + PostgreSQL.

    uv run python tests/bench/bench_activity.py            # modest: 5 s per phase, 200 ASN, deadline 240 s
    uv run python tests/bench/bench_activity.py --full     # the issue's size: 60 s per phase, 1,200 ASN
    uv run python tests/bench/bench_activity.py --duration 10 --rate 300 --deadline 300

Phases, each with the load coming from a separate process over loopback:
  1. single POST /api/activities at a fixed rate (default 500 requests/s, open loop): p50/p99 latency, from
     the scheduled send time so a stalled server cannot hide its queue (no coordinated omission); requests
     that could not even start within the phase + 5 s are counted as "not sent", not waited for;
  2. batch sync POST /api/activities/sync, 500 activities per request, 4 concurrent clients (closed loop):
     activities/s into PostgreSQL + outbox;
  3. the same two loads against a naive server defined here only: per activity one INSERT and one direct,
     awaited Kafka send (acks=all), no outbox, no batching.
The real service runs as `kinerja-activity api` plus its worker (outbox relay to Kafka) throughout, so the
figures include the relay's load on the same machine; at the end the relay's drain time is measured too.
A hard overall deadline (--deadline) bounds the whole run: a phase that no longer fits is skipped and shown
as such, every process started here is stopped and the database dropped. Infrastructure and the database
come from tests/bench/_infra.py like the other benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import Request  # module level: the naive routes' string annotations resolve against globals

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))
from _infra import bench_database, drop_database, infra  # noqa: E402 - the bench folder is not a package


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _jakarta_today() -> date:
    from kinerja_shared.web import JAKARTA

    return datetime.now(JAKARTA).date()


# ---------------------------------------------------------------- load generator (its own process)


def _slot_item(asn_ix: int, slot: int, days: list[date], indicator: str) -> dict[str, Any]:
    """One-minute activity number `slot` of an ASN: 1,439 per day (00:00–23:59), spread over the open days."""
    day = days[(slot // 1439) % len(days)]
    m = slot % 1439
    end = m + 1
    return {
        "id": str(uuid.uuid4()),
        "activity_date": day.isoformat(),
        "start_time": f"{m // 60:02d}:{m % 60:02d}",
        "end_time": f"{end // 60:02d}:{end % 60:02d}",
        "description": f"Pelayanan pasien (bench) {asn_ix}-{slot}",
        "quantity": "1",
        "output": "pasien",
        "indicator_id": indicator,
    }


async def _load(args: argparse.Namespace) -> dict[str, Any]:
    plan = json.loads(await asyncio.to_thread(Path(args.plan).read_text))
    users: list[dict[str, str]] = plan["users"][args.user_from : args.user_to]
    days = [date.fromisoformat(d) for d in plan["days"]]
    next_slot = [0] * len(users)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    # a 500-item batch to the naive server can take far longer than one request; the phase budget bounds it
    timeout = 10.0 if args.load == "single" else max(30.0, 4 * args.duration)
    async with httpx.AsyncClient(base_url=args.url, limits=limits, timeout=timeout) as client:
        # warm-up: open connections, first requests compile/prepare
        for _ in range(min(20, len(users))):
            await client.get("/health/live")
        if args.load == "single":
            lat: list[float] = []
            errors = 0
            total = int(args.rate * args.duration)
            start = time.perf_counter() + 0.2
            cutoff = start + args.duration + 5
            not_sent = 0
            inflight = asyncio.Semaphore(64)

            first_error = ""

            async def one(k: int) -> None:
                nonlocal errors, first_error
                u = k % len(users)
                slot = next_slot[u]
                next_slot[u] += 1
                body = _slot_item(u, slot, days, users[u]["indicator"])
                scheduled = start + k / args.rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                # bounded in flight (httpx's pool degrades with thousands of waiters); a request that cannot
                # start on time still counts its wait, since latency runs from its scheduled time
                async with inflight:
                    if time.perf_counter() > cutoff:  # the server fell far behind: stop, do not wait forever
                        nonlocal not_sent
                        not_sent += 1
                        return
                    try:
                        r = await client.post(
                            args.path, json=body, headers={"authorization": "Bearer " + users[u]["token"]}
                        )
                        if r.status_code not in (200, 201):
                            errors += 1
                            first_error = first_error or f"{r.status_code} {r.text[:200]}"
                    except httpx.HTTPError as e:
                        errors += 1
                        first_error = first_error or repr(e)
                lat.append(time.perf_counter() - scheduled)

            await asyncio.gather(*(one(k) for k in range(total)))
            elapsed = time.perf_counter() - start
            lat.sort()
            if not lat:
                lat = [float("nan")]
            return {
                "requests": total,
                "not_sent": not_sent,
                "first_error": first_error,
                "errors": errors,
                "achieved_rps": (total - not_sent) / elapsed,
                "p50_ms": 1000 * lat[len(lat) // 2],
                "p99_ms": 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))],
                "max_ms": 1000 * lat[-1],
                "mean_ms": 1000 * statistics.fmean(lat),
            }
        # batch mode: closed loop, `concurrency` clients each sending 500-item batches for `duration` s
        accepted = 0
        batches = 0
        errors = 0
        deadline = time.perf_counter() + args.duration
        counter = 0

        first_error = ""

        async def client_loop() -> None:
            nonlocal accepted, batches, errors, counter, first_error
            while time.perf_counter() < deadline:
                u = counter % len(users)
                counter += 1
                items = []
                for _ in range(args.batch):
                    items.append(_slot_item(u, next_slot[u], days, users[u]["indicator"]))
                    next_slot[u] += 1
                try:
                    r = await client.post(
                        args.path, json={"items": items}, headers={"authorization": "Bearer " + users[u]["token"]}
                    )
                except httpx.HTTPError as e:
                    errors += 1
                    first_error = first_error or repr(e)
                    continue
                if r.status_code != 200:
                    errors += 1
                    first_error = first_error or f"{r.status_code} {r.text[:200]}"
                    continue
                accepted += int(r.json()["accepted"])
                batches += 1

        began = time.perf_counter()
        await asyncio.gather(*(client_loop() for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - began
        return {
            "batches": batches,
            "accepted": accepted,
            "errors": errors,
            "per_s": accepted / elapsed,
            "first_error": first_error,
        }


# ---------------------------------------------------------------- the naive server (bench only)


def _naive_app(dsn: str, bootstrap: str, topic: str) -> Any:
    from contextlib import asynccontextmanager

    from aiokafka import AIOKafkaProducer
    from fastapi import FastAPI

    from kinerja_shared.auth import TokenVerifier
    from kinerja_shared.devissuer import public_key_of

    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        state["pool"] = await asyncpg.create_pool(dsn, min_size=1, max_size=5)
        prod = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
        await prod.start()
        state["producer"] = prod
        state["verifier"] = TokenVerifier(
            issuer="http://127.0.0.1/dev-issuer",
            audience="kinerja",
            public_key=public_key_of(Path(os.environ["DEV_ISSUER_KEY_FILE"])),
        )
        yield
        await prod.stop()
        await state["pool"].close()

    app = FastAPI(lifespan=lifespan)

    async def store(p: Any, asn: uuid.UUID, regency: uuid.UUID, it: dict[str, Any]) -> None:
        async with state["pool"].acquire() as conn, conn.transaction():
            await conn.execute("SELECT set_config('kinerja.regency_ids', $1, true)", str(regency))
            await conn.execute(
                "INSERT INTO naive_activity (activity_id, regency_id, asn_id, activity_date, start_time, end_time,"
                " description, indicator_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                uuid.UUID(it["id"]),
                regency,
                asn,
                date.fromisoformat(it["activity_date"]),
                datetime.strptime(it["start_time"][:5], "%H:%M").time(),
                datetime.strptime(it["end_time"][:5], "%H:%M").time(),
                it["description"],
                uuid.UUID(it["indicator_id"]),
            )
        await state["producer"].send_and_wait(topic, json.dumps(it).encode(), key=str(asn).encode())

    @app.post("/naive/activities", status_code=201)
    async def one(request: Request) -> dict[str, str]:
        p = state["verifier"].verify(request.headers["authorization"].split()[1])
        it = await request.json()
        await store(p, p.asn_id, p.regency_id, it)
        return {"id": it["id"]}

    @app.post("/naive/sync")
    async def many(request: Request) -> dict[str, int]:
        p = state["verifier"].verify(request.headers["authorization"].split()[1])
        body = await request.json()
        for it in body["items"]:
            await store(p, p.asn_id, p.regency_id, it)
        return {"accepted": len(body["items"])}

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _serve_naive(args: argparse.Namespace) -> None:
    import uvicorn

    uvicorn.run(_naive_app(args.dsn, args.bootstrap, args.topic), host="127.0.0.1", port=args.port, log_level="warning")


# ---------------------------------------------------------------- orchestration


async def _setup(users: int) -> dict[str, Any]:
    from kinerja_activity.bootstrap import DEFINITION
    from kinerja_activity.domain.activity import DEFAULT_REPORT_GRACE_DAYS, open_period_start
    from kinerja_shared.db import load_migrations, migrate, shared_migrations
    from kinerja_shared.devissuer import ensure_keypair, mint_token
    from kinerja_shared.messaging.admin import ensure_topics
    from kinerja_shared.readmodels.org import MIGRATIONS_DIR as ORG
    from kinerja_shared.settings import KafkaSettings
    from kinerja_shared.topics import Topic, all_topic_specs

    bootstrap, admin_dsn = infra()
    app_url, owner_url = await bench_database(admin_dsn)
    await migrate(
        owner_url,
        shared_migrations()
        + load_migrations(ORG, "shared-org")
        + load_migrations(DEFINITION.migrations_dir, "activity"),
    )
    ns = f"bench{secrets.token_hex(3)}."
    kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_namespace=ns)
    await ensure_topics(
        kafka,
        [
            Topic(ns + t.name, owner=t.owner, description=t.description, partitions=min(3, t.partitions),
                  compacted=t.compacted, retention_ms=t.retention_ms)
            for t in all_topic_specs()
        ]
        + [Topic(ns + "bench.naive", owner="bench", description="naive sends", partitions=3)],
    )  # fmt: skip
    regency = uuid.uuid4()
    conn = await asyncpg.connect(owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        await conn.execute(
            """CREATE TABLE naive_activity (activity_id uuid PRIMARY KEY, regency_id uuid NOT NULL,
                   asn_id uuid NOT NULL,
                   activity_date date NOT NULL, start_time time NOT NULL, end_time time NOT NULL,
                   description text NOT NULL, indicator_id uuid NOT NULL)"""
        )
        boss = uuid.uuid4()
        rows = [(uuid.uuid4(), uuid.uuid4()) for _ in range(users)]
        await conn.executemany(
            """INSERT INTO org_asn (asn_id, regency_id, name, unit_id, position_title, grade, position_class,
                   superior_id, gender, location, active, version)
               VALUES ($1, $2, 'Pegawai bench', $3, 'Perawat', 'III/a', 8, $4, 'P', 'perdesaan', true, now())""",
            [(a, regency, uuid.uuid4(), boss) for a, _ in rows],
        )
        today = _jakarta_today()
        await conn.executemany(
            """INSERT INTO approved_indicator (indicator_id, asn_id, regency_id, skp_id, year, skp_version, rhk_id,
                   name, unit, target, direction, aspect, weight)
               VALUES ($1, $2, $3, gen_random_uuid(), $4, 1, gen_random_uuid(), 'Pasien', 'pasien', 400, 'higher',
                       'kuantitas', 100)""",
            [(ind, a, regency, today.year) for a, ind in rows],
        )
    finally:
        await conn.close()
    first_open = max(open_period_start(today, DEFAULT_REPORT_GRACE_DAYS), today.replace(month=1, day=1))
    days = [first_open + timedelta(days=i) for i in range((today - first_open).days + 1)]
    tmp = Path(tempfile.mkdtemp(prefix="kinerja-bench-"))
    key = tmp / "dev-issuer.pem"
    ensure_keypair(key)
    users_plan = [
        {
            "token": mint_token(key, sub=str(a), roles=["asn"], regency_id=regency, asn_id=a, name="bench",
                                issuer="http://127.0.0.1/dev-issuer", audience="kinerja", ttl=timedelta(hours=3)),
            "indicator": str(ind),
        }
        for a, ind in rows
    ]  # fmt: skip
    plan = tmp / "plan.json"
    plan.write_text(json.dumps({"users": users_plan, "days": [d.isoformat() for d in days]}))
    return {
        "admin": admin_dsn,
        "app_url": app_url,
        "owner_url": owner_url,
        "kafka": kafka,
        "key": key,
        "plan": plan,
        "tmp": tmp,
        "naive_topic": ns + "bench.naive",
    }


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    f = open(log, "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(cmd, env=os.environ | env, stdout=f, stderr=f)


async def _wait_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=2) as c:
        for _ in range(300):
            if proc.poll() is not None:
                raise SystemExit(f"process exited; see {log}")
            try:
                if (await c.get("/health/live")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"{url} did not start")


def _run_load(
    url: str, path: str, mode: str, plan: Path, duration: float, users: tuple[int, int], timeout: float, **kw: Any
) -> dict[str, Any] | None:
    """One phase's load from its own process; None when it overran `timeout` (it is killed)."""
    cmd = [sys.executable, str(HERE), "--load", mode, "--url", url, "--path", path, "--plan", str(plan),
           "--duration", str(duration), "--user-from", str(users[0]), "--user-to", str(users[1])]  # fmt: skip
    for k, v in kw.items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    sys.stderr.write(f"load {mode} → {url}{path} for {duration:.0f} s (at most {timeout:.0f} s) …\n")
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        sys.stderr.write("  … overran its time, stopped\n")
        return None
    if out.returncode != 0:
        sys.stderr.write(f"  … load process failed:\n{out.stderr[-3000:]}\n")
        return None
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if result.get("first_error"):
        sys.stderr.write(f"  … first error: {result['first_error']}\n")
    return result


async def _count(dsn: str, sql: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        n: int = await conn.fetchval(sql)
        return n
    finally:
        await conn.close()


async def _drain(owner_url: str, limit_s: float) -> tuple[int, float]:
    """Wait (bounded) for the outbox relay to send everything; (still unsent, seconds waited)."""
    began = time.perf_counter()
    while True:
        unsent = await _count(owner_url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        waited = time.perf_counter() - began
        if unsent == 0 or waited >= limit_s:
            return unsent, waited
        await asyncio.sleep(0.5)


PHASES = ("single", "naive_single", "batch", "naive_batch")


async def _main(args: argparse.Namespace) -> None:
    t0 = time.monotonic()
    deadline = t0 + args.deadline

    def left() -> float:
        return deadline - time.monotonic()

    duration = 60.0 if args.full else args.duration
    users = args.users or (1200 if args.full else 200)
    s = await _setup(users)
    env = {
        "DATABASE_URL": s["app_url"],
        "MIGRATION_DATABASE_URL": s["owner_url"],
        "KAFKA_BOOTSTRAP_SERVERS": s["kafka"].bootstrap_servers,
        "KAFKA_TOPIC_NAMESPACE": s["kafka"].topic_namespace,
        "KINERJA_ENV": "test",
        "DEV_ISSUER_KEY_FILE": str(s["key"]),
        "LOG_LEVEL": "WARNING",
        "ACTIVITY_EVIDENCE_DIR": str(s["tmp"] / "bukti"),
    }
    api_port, worker_port, naive_port = _free_port(), _free_port(), _free_port()
    tmp: Path = s["tmp"]
    procs = [
        _start([sys.executable, "-m", "kinerja_activity", "api"], env | {"HTTP_PORT": str(api_port)}, tmp / "api.log"),
        _start(
            [sys.executable, "-m", "kinerja_activity", "worker"],
            env | {"WORKER_HTTP_PORT": str(worker_port)},
            tmp / "worker.log",
        ),
        _start(
            [sys.executable, str(HERE), "--serve-naive", "--port", str(naive_port), "--dsn", s["app_url"],
             "--bootstrap", s["kafka"].bootstrap_servers, "--topic", s["naive_topic"]],
            {"DEV_ISSUER_KEY_FILE": str(s["key"])},
            tmp / "naive.log",
        ),
    ]  # fmt: skip
    api, naive = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{naive_port}"
    res: dict[str, dict[str, Any] | None] = dict.fromkeys(PHASES)
    rows = naive_rows = outbox_rows = unsent = -1
    drain_s = 0.0
    try:
        await asyncio.wait_for(_wait_up(api, procs[0], tmp / "api.log"), max(5.0, min(120.0, left())))
        await asyncio.wait_for(_wait_up(naive, procs[2], tmp / "naive.log"), max(5.0, min(60.0, left())))
        half, q = users // 2, users // 4
        # distinct ASNs per phase so one phase's rows never collide with another's slots
        plans = {
            "single": (api, "/api/activities", "single", (0, q), {"rate": args.rate}),
            "naive_single": (naive, "/naive/activities", "single", (q, half), {"rate": args.rate}),
            "batch": (api, "/api/activities/sync", "batch", (half, half + q),
                      {"batch": 500, "concurrency": args.concurrency}),
            "naive_batch": (naive, "/naive/sync", "batch", (half + q, users),
                            {"batch": 500, "concurrency": args.concurrency}),
        }  # fmt: skip
        for phase in PHASES:
            if args.phases and phase not in args.phases.split(","):
                continue
            budget = min(duration * 3 + 30, left() - 20)  # keep 20 s for counting and cleanup
            if budget < duration + 5:
                sys.stderr.write(f"{phase}: skipped, the deadline is near\n")
                continue
            url, path, mode, span, kw = plans[phase]
            res[phase] = await asyncio.to_thread(_run_load, url, path, mode, s["plan"], duration, span, budget, **kw)
        rows = await _count(s["owner_url"], "SELECT count(*) FROM activity")
        naive_rows = await _count(s["owner_url"], "SELECT count(*) FROM naive_activity")
        outbox_rows = await _count(s["owner_url"], "SELECT count(*) FROM outbox")
        unsent, drain_s = await _drain(s["owner_url"], max(0.0, min(30.0, left() - 10)))
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(max(1.0, min(15.0, left())))
            except subprocess.TimeoutExpired:
                p.kill()
        await drop_database(s["admin"], s["app_url"])
    _report(args, duration, users, res, (rows, naive_rows, outbox_rows, unsent), drain_s, time.monotonic() - t0)


def _report(
    args: argparse.Namespace,
    duration: float,
    users: int,
    res: dict[str, dict[str, Any] | None],
    counts: tuple[int, int, int, int],
    drain_s: float,
    total_s: float,
) -> None:
    def cell(r: dict[str, Any] | None, key: str, fmt: str = ",.1f") -> str:
        if r is None:
            return "—"
        return format(r[key], fmt)

    def ratio(a: dict[str, Any] | None, b: dict[str, Any] | None, key: str) -> str:
        if a is None or b is None or not b[key] or a[key] != a[key] or b[key] != b[key]:
            return "—"
        return f"{a[key] / b[key]:.1f}x"

    single, nsingle, batch, nbatch = (res[p] for p in PHASES)
    rows, naive_rows, outbox_rows, unsent = counts
    out = sys.stdout.write
    out(
        f"\nKinerja activity benchmark — {duration:.0f} s per phase, {users} ASN, {os.cpu_count()} CPUs visible"
        f" (shared), loopback; whole run {total_s:.0f} s (deadline {args.deadline:.0f} s)\n\n"
    )

    def line(label: str, *cols: str) -> None:
        out(f"  {label:30s}" + "".join(f"{c:>15s}" for c in cols) + "\n")

    out(f"single POST at {args.rate:.0f} req/s (open loop)\n")
    line("", "kinerja", "naive", "naive/kinerja")
    for label, key in (("achieved req/s", "achieved_rps"), ("p50 ms", "p50_ms"), ("p99 ms (goal ≤ 30)", "p99_ms"),
                       ("max ms", "max_ms")):  # fmt: skip
        line(label, cell(single, key), cell(nsingle, key), ratio(nsingle, single, key))
    for label, key in (("errors", "errors"), ("not sent (fell behind)", "not_sent"), ("requests", "requests")):
        line(label, cell(single, key, ","), cell(nsingle, key, ","))
    out(f"\nbatch sync, 500 per request, {args.concurrency} concurrent clients (closed loop)\n")
    line("", "kinerja", "naive", "kinerja/naive")
    line("activities/s (goal ≥ 10,000)", cell(batch, "per_s"), cell(nbatch, "per_s"), ratio(batch, nbatch, "per_s"))
    for label, key in (("batches", "batches"), ("errors", "errors")):
        line(label, cell(batch, key, ","), cell(nbatch, key, ","))
    out(
        f"\nrows stored: kinerja {rows:,} (outbox {outbox_rows:,}), naive {naive_rows:,};"
        f" kinerja's relay drained in {drain_s:.1f} s,"
        f" still unsent {unsent:,}\n"
    )
    # the same figures one per line, the shape tests/bench/run_all.py parses
    out("\nper line:\n")
    for label, r in (("kinerja (outbox)", single), ("naive (INSERT + send)", nsingle)):
        if r is not None:
            out(f"  {label:24s} achieved {r['achieved_rps']:,.1f} req/s  p50 {r['p50_ms']:,.1f} ms"
                f"  p99 {r['p99_ms']:,.1f} ms  errors {r['errors']}/{r['requests']}\n")  # fmt: skip
    for label, r in (("kinerja (COPY + outbox)", batch), ("naive (per-item)", nbatch)):
        if r is not None:
            out(f"  {label:24s} {r['per_s']:,.1f} activities/s  ({r['batches']} batches, errors {r['errors']})\n")
    if any(r is None for r in res.values()):
        out("— = phase skipped or stopped by the deadline (see stderr)\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="60 s per phase, 1,200 ASN (the issue's figure)")
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per phase (default 5)")
    ap.add_argument("--users", type=int, default=0, help="ASN in the plan (default 200, --full 1,200)")
    ap.add_argument("--deadline", type=float, default=0.0, help="hard limit for the whole run, s (240; --full 900)")
    ap.add_argument("--phases", default="", help=f"comma-separated subset of {','.join(PHASES)} (default all)")
    ap.add_argument("--rate", type=float, default=500.0, help="single-POST rate (req/s)")
    ap.add_argument("--concurrency", type=int, default=4, help="concurrent batch clients")
    # internal roles of this script
    ap.add_argument("--load", choices=["single", "batch"], help=argparse.SUPPRESS)
    ap.add_argument("--serve-naive", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    ap.add_argument("--plan", help=argparse.SUPPRESS)
    ap.add_argument("--user-from", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--user-to", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, default=500, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--dsn", help=argparse.SUPPRESS)
    ap.add_argument("--bootstrap", help=argparse.SUPPRESS)
    ap.add_argument("--topic", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_naive:
        _serve_naive(args)
    elif args.load:
        sys.stdout.write(json.dumps(asyncio.run(_load(args))) + "\n")
    else:
        args.deadline = args.deadline or (900.0 if args.full else 240.0)
        asyncio.run(_main(args))


if __name__ == "__main__":
    main()
