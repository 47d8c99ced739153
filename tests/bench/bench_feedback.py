"""A viral QR code: the public SKM survey under load while one abusive source floods it at the same time.

    uv run python tests/bench/bench_feedback.py            # 15 s measured run + two 8 s baselines (CI-sized)
    uv run python tests/bench/bench_feedback.py --full     # 60 s measured run + two 20 s baselines
    uv run python tests/bench/bench_feedback.py db         # the intake's database side alone (no HTTP)
    uv run python tests/bench/bench_feedback.py asgi [--one-tx-per-answer]   # the app's CPU per answer, in-process
    options: --seconds N --baseline-seconds N --no-baseline --no-relay --citizens N (concurrent connections)
             --abuser-connections N --units N --profile FILE (cProfile the API process of the measured run)

Runs the real `kinerja-feedback api` process and the worker (its outbox relay publishing to Kafka) on a fresh
database, and a separate load process on loopback that speaks HTTP/1.1 keep-alive directly. Citizens come
through "the front door": each request carries its own X-Forwarded-For address and device token (uvicorn trusts
loopback as proxy), so every citizen answers once per unit. The abuser floods from one address. Three phases in
the same run, same machine, same load process:
  1. HTTP ceiling: the same connections on GET /health/live (the full middleware stack, no body, no database);
  2. baseline: the survey with one transaction per answer (FEEDBACK_SURVEY_GROUP_COMMIT=false);
  3. measured: the survey with group commit (the default).
Printed per phase: accepted answers/s (201, each committed to survey_response + outbox), citizens' latency
percentiles, the abuser's status codes, CPU seconds of the API process per answer; at the end the relay's lag (rows
still unsent when the load stopped and how long they took to reach Kafka) and the database's row counts.
Target (issue 6): ≥ 2,000 accepted/s for 60 s, abuser gets 429s, citizens' p99 ≤ 100 ms.
Uses Kafka/PostgreSQL from KAFKA_BOOTSTRAP_SERVERS + KINERJA_TEST_ADMIN_DATABASE_URL, else the local stack (whose
test cluster runs PostgreSQL with fsync off: figures measure our code, not disk durability).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from _infra import bench_database, drop_database, infra  # noqa: I001 - sibling module of the bench scripts

ANSWERS = [4, 3, 3, 4, 3, 4, 4, 3, 2]


def say(text: str) -> None:
    """Figures go to stdout (a bench script's output, not a log)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


def _infra() -> tuple[str, str]:
    return infra()


async def _database(admin_dsn: str) -> tuple[str, str]:
    return await bench_database(admin_dsn)


async def _seed(owner_url: str, units: int) -> list[uuid.UUID]:
    """Puskesmas units in the org read model (what the worker would have built from kinerja.org.v1)."""
    conn = await asyncpg.connect(owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        regency = uuid.uuid4()
        now = datetime.now(UTC)
        await conn.execute(
            "INSERT INTO org_regency VALUES ($1, $2, 'Jambi', 'Kabupaten Tebo', '15.09', $3)",
            regency,
            uuid.uuid4(),
            now,
        )
        ids = [uuid.uuid4() for _ in range(units)]
        await conn.executemany(
            "INSERT INTO org_unit VALUES ($1, $2, NULL, $3, 'puskesmas', true, NULL, $4)",
            [(u, regency, f"Puskesmas Contoh {i + 1}", now) for i, u in enumerate(ids)],
        )
        return ids
    finally:
        await conn.close()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start(
    role: str,
    app_url: str,
    owner_url: str,
    bootstrap: str,
    ns: str,
    port: int,
    log: Path,
    *,
    profile: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    env = (
        os.environ
        | {
            "DATABASE_URL": app_url,
            "MIGRATION_DATABASE_URL": owner_url,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "KAFKA_TOPIC_NAMESPACE": ns,
            "HTTP_PORT" if role == "api" else "WORKER_HTTP_PORT": str(port),
            "KINERJA_ENV": "test",
            "LOG_LEVEL": "WARNING",  # one log line per request would be most of the work being measured
        }
        | (extra_env or {})
    )
    prof = ["-m", "cProfile", "-o", profile] if profile else []
    return subprocess.Popen(
        [sys.executable, *prof, "-m", "kinerja_feedback", role],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


async def _wait_ready(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"process exited: {_tail(log)}")
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /health/live HTTP/1.1\r\nhost: bench\r\n\r\n")
            await writer.drain()
            line = await reader.readline()
            writer.close()
            if b" 200 " in line:
                return
        except OSError:
            pass
        await asyncio.sleep(0.3)
    raise SystemExit(f"not ready after {timeout}s: {_tail(log)}")


# --- the load process -----------------------------------------------------------------------------------------


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    writer.write(raw)
    status_line = await reader.readuntil(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    length = 0
    while True:
        line = await reader.readuntil(b"\r\n")
        if line == b"\r\n":
            break
        if line[:15].lower() == b"content-length:":
            length = int(line[15:].strip())
    if length:
        await reader.readexactly(length)
    return status


def _post(path: str, body: bytes, source: str, device: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        f"x-forwarded-for: {source}\r\nx-device-token: {device}\r\n\r\n"
    ).encode() + body


async def _citizen(
    port: int, units: list[str], stop: float, lat: list[float], codes: dict[int, int], n: int, ceiling: bool
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps({"answers": ANSWERS}).encode()
    i = 0
    try:
        while time.monotonic() < stop:
            i += 1
            # a new citizen each request: own address (10.x.y.z behind the front door) and own phone
            source = f"10.{n % 250}.{(i // 250) % 250}.{i % 250}"
            if ceiling:
                raw = f"GET /health/live HTTP/1.1\r\nhost: bench\r\nx-forwarded-for: {source}\r\n\r\n".encode()
            else:
                raw = _post(f"/api/survei/{units[i % len(units)]}", body, source, secrets.token_urlsafe(18))
            t = time.perf_counter()
            status = await _request(reader, writer, raw)
            lat.append(time.perf_counter() - t)
            codes[status] = codes.get(status, 0) + 1
    finally:
        writer.close()


async def _abuser(port: int, unit: str, stop: float, codes: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps({"answers": [1] * 9}).encode()
    try:
        while time.monotonic() < stop:
            status = await _request(
                reader, writer, _post(f"/api/survei/{unit}", body, "203.0.113.66", secrets.token_urlsafe(18))
            )
            codes[status] = codes.get(status, 0) + 1
    finally:
        writer.close()


async def _load(args: argparse.Namespace) -> None:
    units = args.unit_ids.split(",")
    ceiling = args.target == "ceiling"
    start = time.monotonic()
    cpu = time.process_time()
    stop = start + args.seconds
    lat: list[float] = []
    codes: dict[int, int] = {}
    abuse: dict[int, int] = {}
    tasks = [_citizen(args.port, units, stop, lat, codes, n, ceiling) for n in range(args.citizens)]
    if not ceiling:
        tasks += [_abuser(args.port, units[0], stop, abuse) for _ in range(args.abuser_connections)]
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    lat.sort()

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    say(
        json.dumps(
            {
                "seconds": round(elapsed, 2),
                "load_cpu_s": round(time.process_time() - cpu, 2),
                "citizen_codes": codes,
                "abuser_codes": abuse,
                "p50_ms": round(pct(0.50), 1),
                "p95_ms": round(pct(0.95), 1),
                "p99_ms": round(pct(0.99), 1),
                "max_ms": round(lat[-1] * 1000, 1) if lat else None,
            }
        )
    )


# --- the database side alone -------------------------------------------------------------------------------


async def _db_only(args: argparse.Namespace) -> None:
    """The intake's group commit without HTTP: how many answers/s reach survey_response + outbox."""
    from kinerja_feedback.bootstrap import DEFINITION
    from kinerja_feedback.service.common import Directory
    from kinerja_feedback.service.survey import SurveyAnswer, SurveyIntake
    from kinerja_shared.db import create_pool, load_migrations, migrate, shared_migrations
    from kinerja_shared.readmodels.org import MIGRATIONS_DIR

    _, admin_dsn = _infra()
    app_url, owner_url = await _database(admin_dsn)
    try:
        await migrate(
            owner_url,
            shared_migrations()
            + load_migrations(MIGRATIONS_DIR, "shared-org")
            + load_migrations(DEFINITION.migrations_dir, "feedback"),
        )
        units = await _seed(owner_url, args.units)
        pool = await create_pool(app_url, max_size=5)
        intake = SurveyIntake(pool, Directory(pool))
        stop = time.monotonic() + args.seconds
        lat: list[float] = []

        async def citizen() -> None:
            while time.monotonic() < stop:
                t = time.perf_counter()
                out = await intake.submit(
                    SurveyAnswer(
                        unit_id=units[len(lat) % len(units)], answers=ANSWERS, device_hash=secrets.token_bytes(32)
                    ),
                    datetime.now(UTC),
                )
                assert out.accepted
                lat.append(time.perf_counter() - t)

        start = time.monotonic()
        cpu = time.process_time()
        await asyncio.gather(*(citizen() for _ in range(args.citizens)))
        elapsed, cpu = time.monotonic() - start, time.process_time() - cpu
        await pool.close()
        lat.sort()
        say(f"feedback intake, database side only: {args.seconds}s, {args.citizens} concurrent answers in flight")
        say(f"accepted into survey_response + outbox: {len(lat):,} = {len(lat) / elapsed:,.0f} answers/s")
        say(
            f"latency p50 {lat[len(lat) // 2] * 1000:.1f} ms · p99 {lat[int(len(lat) * 0.99)] * 1000:.1f} ms · "
            f"CPU in this process {cpu * 1e6 / max(1, len(lat)):.0f} µs per answer"
        )
    finally:
        await drop_database(admin_dsn, app_url)


# --- the app in-process, no sockets -------------------------------------------------------------------------


async def _asgi(args: argparse.Namespace) -> None:
    """CPU per answer of the whole app (middleware, route, intake, group commit) called as ASGI in this process.

    No uvicorn and no load process share the figure, so it moves little with the machine's load: the number to
    compare when changing the hot path.
    """
    from kinerja_feedback.bootstrap import DEFINITION
    from kinerja_feedback.settings import FeedbackSettings
    from kinerja_shared.logging import configure_logging
    from kinerja_shared.runtime import build_app
    from kinerja_shared.settings import KafkaSettings

    configure_logging("feedback", "WARNING")
    bootstrap, admin_dsn = _infra()
    app_url, owner_url = await _database(admin_dsn)
    try:
        settings = FeedbackSettings(
            database_url=app_url,
            migration_database_url=owner_url,
            kafka=KafkaSettings(bootstrap_servers=bootstrap),
            environment="test",
            survey_burst=10**9,  # every request is a new citizen here; the limiter still runs
            **({} if args.group_commit else {"survey_group_commit": False}),  # older trees lack the setting
        )
        app = build_app(DEFINITION, settings, worker=False)
        async with app.router.lifespan_context(app):
            units = await _seed(owner_url, args.units)
            body = json.dumps({"answers": ANSWERS}).encode()

            async def one(i: int) -> int:
                scope = {
                    "type": "http",
                    "asgi": {"version": "3.0"},
                    "http_version": "1.1",
                    "method": "POST",
                    "scheme": "http",
                    "path": f"/api/survei/{units[i % len(units)]}",
                    "raw_path": b"",
                    "query_string": b"",
                    "root_path": "",
                    "headers": [
                        (b"host", b"bench"),
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"x-device-token", secrets.token_urlsafe(18).encode()),
                    ],
                    "client": (f"10.0.{i // 250 % 250}.{i % 250}", 40000),
                    "server": ("127.0.0.1", 80),
                }
                received = False
                status: list[int] = []

                async def receive() -> dict[str, object]:
                    nonlocal received
                    if received:  # nothing more to read: wait like a quiet client would
                        await asyncio.Event().wait()
                    received = True
                    return {"type": "http.request", "body": body, "more_body": False}

                async def send(message: dict[str, object]) -> None:
                    if message["type"] == "http.response.start":
                        status.append(int(message["status"]))  # type: ignore[call-overload]

                await app(scope, receive, send)  # type: ignore[arg-type]
                return status[0]

            async def run(n: int) -> dict[int, int]:
                codes: dict[int, int] = {}
                todo = iter(range(n))

                async def client() -> None:
                    for i in todo:
                        code = await one(i)
                        codes[code] = codes.get(code, 0) + 1

                await asyncio.gather(*(client() for _ in range(args.citizens)))
                return codes

            await run(300)  # warm: caches, pool, first batches
            cpu, start = time.process_time(), time.perf_counter()
            codes = await run(args.requests)
            cpu, elapsed = time.process_time() - cpu, time.perf_counter() - start
        say(
            f"feedback survey in-process (ASGI, no sockets): {args.requests:,} answers, {args.citizens} in flight, "
            f"group commit {'on' if args.group_commit else 'off'}, load average {os.getloadavg()[0]:.1f}"
        )
        say(
            f"codes {codes}; {args.requests / elapsed:,.0f} answers/s; "
            f"CPU {cpu * 1e6 / args.requests:,.0f} µs per answer"
        )
    finally:
        await drop_database(admin_dsn, app_url)


# --- the driver -------------------------------------------------------------------------------------------------


def _cpu_s(pid: int) -> float:
    """utime + stime of a process (and its reaped children) in seconds, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, to show how much CPU everything else took."""
    cpu = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = cpu[3] + cpu[4]
    return sum(cpu) - idle, sum(cpu)


async def _counts(owner_url: str) -> tuple[int, int, int]:
    conn = await asyncpg.connect(owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM survey_response) AS r, count(*) AS e, count(sent_at) AS s FROM outbox"
        )
        return int(row["r"]), int(row["e"]), int(row["s"])
    finally:
        await conn.close()


async def _phase(
    name: str,
    target: str,
    seconds: float,
    args: argparse.Namespace,
    db: tuple[str, str, str, str],
    env: dict[str, str],
    unit_ids: list[uuid.UUID],
    tmp: Path,
    procs: list[subprocess.Popen[bytes]],
) -> dict[str, object]:
    """Start a fresh API process, drive it from the load process for `seconds`, stop it; the figures."""
    port = _port()
    log = tmp / f"api-{name}.log"
    profile = args.profile if name == "group commit" else None
    api = _start("api", *db, port, log, profile=profile, extra_env=env)
    procs.append(api)
    try:
        await _wait_ready(port, api, log)
        before_rows = await _counts(db[1])
        cpu0, busy0 = _cpu_s(api.pid), _machine_busy()
        load = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "load",
            "--target",
            target,
            "--port",
            str(port),
            "--unit-ids",
            ",".join(map(str, unit_ids)),
            "--seconds",
            str(seconds),
            "--citizens",
            str(args.citizens),
            "--abuser-connections",
            str(args.abuser_connections),
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            out, _ = await asyncio.wait_for(load.communicate(), seconds + 60)
        except TimeoutError:
            load.kill()
            raise SystemExit(f"{name}: the load process did not finish") from None
        api_cpu = _cpu_s(api.pid) - cpu0
        busy1 = _machine_busy()
        result: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
        after_rows = await _counts(db[1])
    finally:
        if api.poll() is None:
            api.send_signal(signal.SIGTERM)
        try:
            api.wait(30)
        except subprocess.TimeoutExpired:
            api.kill()
    citizens: dict[str, int] = result["citizen_codes"]  # type: ignore[assignment]
    abuser: dict[str, int] = result["abuser_codes"]  # type: ignore[assignment]
    ok = citizens.get("201" if target == "survey" else "200", 0) + abuser.get("201", 0)
    elapsed = float(result["seconds"])  # type: ignore[arg-type]
    busy = (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]) * (os.cpu_count() or 1)
    result |= {
        "name": name,
        "ok": ok,
        "rate": ok / elapsed,
        "api_cpu_us": api_cpu * 1e6 / max(1, sum(citizens.values()) + sum(abuser.values())),
        "api_cores": api_cpu / elapsed,
        "machine_cores": busy,
        "rows": after_rows[0] - before_rows[0],
        "events": after_rows[1] - before_rows[1],
    }
    return result


def _report(r: dict[str, object], what: str) -> None:
    abuse: dict[str, int] = r["abuser_codes"]  # type: ignore[assignment]
    total = sum(abuse.values())
    say(f"--- {r['name']} ({r['seconds']} s) ---")
    say(f"  {what}: {r['ok']:,} = {r['rate']:,.0f}/s   citizens' codes {r['citizen_codes']}")
    say(
        f"  citizens' latency: p50 {r['p50_ms']} ms · p95 {r['p95_ms']} ms · p99 {r['p99_ms']} ms · "
        f"max {r['max_ms']} ms"
    )
    if total:
        say(
            f"  abuser (one address, {total:,} requests): {abuse.get('429', 0):,} answered 429 "
            f"({100 * abuse.get('429', 0) / total:.1f}%), codes {abuse}"
        )
    say(
        f"  CPU: API process {r['api_cpu_us']:,.0f} µs per request ({r['api_cores']:.2f} cores), load process "
        f"{r['load_cpu_s']} s, whole machine {r['machine_cores']:.2f} of {os.cpu_count()} cores busy"
    )
    if r["name"] != "HTTP ceiling":
        say(f"  database: {r['rows']:,} new survey_response rows, {r['events']:,} new outbox rows")


async def _run(args: argparse.Namespace) -> None:
    deadline = time.monotonic() + args.deadline
    bootstrap, admin_dsn = _infra()
    app_url, owner_url = await _database(admin_dsn)
    ns = f"bench{secrets.token_hex(3)}."
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_feedback_{secrets.token_hex(3)}"
    tmp.mkdir(parents=True)
    procs: list[subprocess.Popen[bytes]] = []
    db = (app_url, owner_url, bootstrap, ns)
    try:
        # migrations, then the units every phase shares
        migrate = subprocess.run(
            [sys.executable, "-m", "kinerja_feedback", "migrate"],
            env=os.environ | {"DATABASE_URL": app_url, "MIGRATION_DATABASE_URL": owner_url, "LOG_LEVEL": "WARNING"},
            capture_output=True,
            timeout=120,
        )
        if migrate.returncode:
            raise SystemExit(f"migrate failed: {migrate.stdout.decode()[-2000:]} {migrate.stderr.decode()[-2000:]}")
        unit_ids = await _seed(owner_url, args.units)
        if args.relay:
            from kinerja_shared.messaging.admin import ensure_topics
            from kinerja_shared.settings import KafkaSettings
            from kinerja_shared.topics import Topic, all_topic_specs

            await ensure_topics(
                KafkaSettings(bootstrap_servers=bootstrap),
                [
                    Topic(ns + t.name, owner=t.owner, description=t.description, partitions=min(12, t.partitions))
                    for t in all_topic_specs()
                ],
            )
            wport = _port()
            procs.append(_start("worker", app_url, owner_url, bootstrap, ns, wport, tmp / "worker.log"))
            await _wait_ready(wport, procs[-1], tmp / "worker.log")
        load_avg = os.getloadavg()
        say(
            f"feedback survey bench: {args.citizens} citizen connections, {args.abuser_connections} abuser "
            f"connection(s), {args.units} units, relay {'on' if args.relay else 'off'}, {os.cpu_count()} cores, "
            f"load average {load_avg[0]:.1f} at start"
        )
        phases: list[tuple[str, str, float, dict[str, str]]] = []
        if args.baseline:
            phases.append(("HTTP ceiling", "ceiling", args.baseline_seconds, {}))
            phases.append(
                (
                    "baseline: one transaction per answer",
                    "survey",
                    args.baseline_seconds,
                    {"FEEDBACK_SURVEY_GROUP_COMMIT": "false"},
                )
            )
        phases.append(("group commit", "survey", args.seconds, {}))
        results = []
        for name, target, seconds, extra in phases:
            if time.monotonic() + seconds + 30 > deadline:
                say(f"(skipped {name}: the run's deadline of {args.deadline:.0f} s would pass)")
                continue
            r = await _phase(name, target, seconds, args, db, extra, unit_ids, tmp, procs)
            _report(r, "answered 200" if target == "ceiling" else "accepted (201)")
            results.append(r)
        stopped = time.monotonic()
        responses, events, sent = await _counts(owner_url)
        say(
            f"database: {responses:,} survey_response rows, {events:,} outbox rows, "
            f"{sent:,} relayed when the load stopped"
        )
        if args.relay:
            unsent = events - sent
            while sent < events and time.monotonic() < min(deadline, stopped + 120):
                await asyncio.sleep(0.2)
                sent = (await _counts(owner_url))[2]
            lag = time.monotonic() - stopped
            say(
                f"relay lag: {unsent:,} rows unsent when the load stopped, all {sent:,} on Kafka {lag:.1f} s later"
                if sent == events
                else f"relay lag: {events - sent:,} rows still unsent"
            )
        final = results[-1] if results and results[-1]["name"] == "group commit" else None
        if final is not None:
            abuse: dict[str, int] = final["abuser_codes"]  # type: ignore[assignment]
            ok = (
                float(final["rate"]) >= 2000  # type: ignore[arg-type]
                and float(final["p99_ms"]) <= 100  # type: ignore[arg-type]
                and abuse.get("429", 0) > 0
                and final["rows"] == final["events"] == final["ok"]
            )
            say(
                "target (≥ 2,000/s, p99 ≤ 100 ms, abuser limited, rows = events = 201s): "
                + ("MET" if ok else "NOT MET")
            )
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        await drop_database(admin_dsn, app_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "mode",
        nargs="?",
        default="run",
        choices=["run", "db", "asgi", "load"],
        help="db: the intake without HTTP; asgi: the app's CPU per answer in-process",
    )
    parser.add_argument("--full", action="store_true", help="60 s measured run (the issue's), 20 s baselines")
    parser.add_argument("--seconds", type=float, default=None, help="measured run (default 15, --full 60)")
    parser.add_argument("--baseline-seconds", type=float, default=None, help="each baseline (default 8, --full 20)")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false", help="only the measured run")
    parser.add_argument("--no-relay", dest="relay", action="store_false", help="no worker relaying to Kafka")
    parser.add_argument("--relay", action="store_true", help=argparse.SUPPRESS)  # the default; kept for old notes
    parser.add_argument("--citizens", type=int, default=48, help="concurrent citizen connections")
    parser.add_argument("--abuser-connections", type=int, default=8)
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--requests", type=int, default=3000, help="asgi mode: answers to send")
    parser.add_argument("--one-tx-per-answer", dest="group_commit", action="store_false", help="asgi mode: baseline")
    parser.add_argument("--deadline", type=float, default=None, help="hard limit for the whole run, seconds")
    parser.add_argument("--profile", default=None, help="cProfile the API process of the measured run into FILE")
    parser.add_argument("--target", default="survey", choices=["survey", "ceiling"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--unit-ids", default="", help=argparse.SUPPRESS)
    parser.set_defaults(relay=True)
    args = parser.parse_args()
    if args.seconds is None:
        args.seconds = 60.0 if args.full else 15.0
    if args.baseline_seconds is None:
        args.baseline_seconds = 20.0 if args.full else 8.0
    if args.deadline is None:
        # starting PostgreSQL databases, Kafka topics and three API processes takes minutes on a loaded machine
        args.deadline = 7 * 60 + (args.seconds + 2 * args.baseline_seconds if args.baseline else args.seconds)
    if args.mode == "db" and args.citizens == 48:
        args.citizens = 1000
    runs = {"run": _run, "db": _db_only, "asgi": _asgi, "load": _load}
    asyncio.run(runs[args.mode](args))


if __name__ == "__main__":
    main()
