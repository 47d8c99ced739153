"""`up` starts each service's api and worker with the right environment, waits for /health/ready, reuses
them on a second `up`, and `down` stops them. The services are stand-ins (a tiny HTTP server) in a fake repo
root, so this tests the launcher, not the services; it runs a stack of its own in a temporary state dir.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

FAKE_SERVICE = """\
#!{python}
import json, os, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer

svc = os.path.basename(sys.argv[0]).removeprefix("kinerja-")
role = sys.argv[1]
keys = ("DATABASE_URL", "MIGRATION_DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "HTTP_PORT", "WORKER_HTTP_PORT",
        "ROOT_PATH",
        "KINERJA_ENV", "JWT_PUBLIC_KEY_FILE", "DEV_ISSUER_KEY_FILE")
out = os.path.join(os.environ["FAKE_OUT"], f"{{svc}}-{{role}}.json")
with open(out, "w") as f:
    json.dump({{k: os.environ.get(k) for k in keys}}, f)
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health/ready" else 404)
        self.end_headers()
    def log_message(self, *a):
        pass

port = os.environ["HTTP_PORT" if role == "api" else "WORKER_HTTP_PORT"]
HTTPServer(("127.0.0.1", int(port)), H).serve_forever()
"""


@pytest.fixture
def fake_repo(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "repo"
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    # the probe for `kinerja_<svc>.__main__` runs with the venv's python: make it say yes
    (bin_dir / "python").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "python").chmod(0o755)
    for svc in ("activity", "evaluation"):  # feedback and notify are "not written yet": skipped
        exe = bin_dir / f"kinerja-{svc}"
        exe.write_text(FAKE_SERVICE.format(python=sys.executable))
        exe.chmod(0o755)
    (tmp_path / "out").mkdir()
    yield root


def run_cli(tmp_path: Path, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KINERJA_")}
    env.update(
        KINERJA_LOCAL_DIR=str(tmp_path / "state"),
        KINERJA_REPO_ROOT=str(root),
        FAKE_OUT=str(tmp_path / "out"),
        COLUMNS="200",
    )
    return subprocess.run(
        [sys.executable, "-m", "kinerja_local.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


async def _temp_table_and_no_ddl(url: str) -> tuple[bool, bool]:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE TEMP TABLE _probe (x int)")
        try:
            await conn.execute("CREATE TABLE public._probe_ddl (x int)")
            ddl = True
        except asyncpg.InsufficientPrivilegeError:
            ddl = False
        return True, ddl
    finally:
        await conn.close()


@pytest.mark.kafka
@pytest.mark.postgres
def test_up_starts_reuses_and_stops_services(tmp_path: Path, fake_repo: Path) -> None:
    state = tmp_path / "state"
    try:
        res = run_cli(tmp_path, fake_repo, "up", "--fast")
        assert res.returncode == 0, res.stdout + res.stderr
        assert "skipping the feedback service" in res.stdout
        st = json.loads((state / "state.json").read_text())
        for svc in ("activity", "evaluation"):
            port = st["ports"][svc]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=5) as r:
                assert r.status == 200
            for role in ("api", "worker"):
                env = json.loads((tmp_path / "out" / f"{svc}-{role}.json").read_text())
                assert env["DATABASE_URL"].startswith(f"postgresql://kinerja_{svc}:")
                assert env["MIGRATION_DATABASE_URL"].startswith(f"postgresql://kinerja_{svc}_owner:")
                assert env["KAFKA_BOOTSTRAP_SERVERS"] == f"127.0.0.1:{st['ports']['kafka']}"
                assert env["HTTP_PORT"] == str(port) and env["ROOT_PATH"] == f"/{svc}"
                assert env["KINERJA_ENV"] == "development"
                assert "BEGIN PUBLIC KEY" in Path(env["JWT_PUBLIC_KEY_FILE"]).read_text()
                assert "BEGIN PRIVATE KEY" in Path(env["DEV_ISSUER_KEY_FILE"]).read_text()
            # what the services do with it: the app role stages batches in temp tables (outbox, imports); it
            # must not touch the schema (a `./kinerja up` once failed on a grant the test databases had)
            app_url = json.loads((tmp_path / "out" / f"{svc}-api.json").read_text())["DATABASE_URL"]
            assert asyncio.run(_temp_table_and_no_ddl(app_url)) == (True, False), svc
        pids = {f: (state / "services" / f).read_text() for f in os.listdir(state / "services") if f.endswith(".pid")}
        assert len(pids) == 4

        again = run_cli(tmp_path, fake_repo, "up", "--fast")
        assert again.returncode == 0, again.stdout + again.stderr
        assert "reused (already running): postgres, kafka, activity-api, activity-worker" in again.stdout
        assert pids == {f: (state / "services" / f).read_text() for f in pids}

        status = run_cli(tmp_path, fake_repo, "status")
        assert status.returncode == 0
        # postgres, kafka, 2 x (api, worker) and the nginx front door
        assert status.stdout.count("running") == 7, status.stdout
        assert any("frontdoor" in line and "running" in line for line in status.stdout.splitlines())
    finally:
        down = run_cli(tmp_path, fake_repo, "down")
        pg = json.loads((state / "state.json").read_text()).get("postgres", {}).get("dir", "")
        if pg.startswith("/var/tmp/kinerja-"):
            shutil.rmtree(Path(pg).parent, ignore_errors=True)
    assert down.returncode == 0
    assert "activity-api" in down.stdout and "kafka" in down.stdout and "postgres" in down.stdout
    assert not list((state / "services").glob("*.pid"))
