"""Bad input gives one clear line, a non-zero exit, and leaves nothing running.

Each test runs the CLI as a subprocess with its own KINERJA_LOCAL_DIR, so the real stack is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    d = tmp_path / "state"
    yield d
    # a PostgreSQL dir moved out of reach of tmp_path (see postgres.pg_dir) is ours to remove
    sf = d / "state.json"
    if sf.exists():
        pg = json.loads(sf.read_text()).get("postgres", {}).get("dir")
        if pg and Path(pg).parent.name.startswith("kinerja-") and str(pg).startswith("/var/tmp/"):
            shutil.rmtree(Path(pg).parent, ignore_errors=True)


def run_cli(state_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("KINERJA_")}
    full.update(KINERJA_LOCAL_DIR=str(state_dir), COLUMNS="200", **env)
    return subprocess.run(
        [sys.executable, "-m", "kinerja_local.cli", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )


def assert_nothing_running(state_dir: Path) -> None:
    assert not (state_dir / "kafka" / "pid").exists()
    sf = state_dir / "state.json"
    if sf.exists():
        pg = json.loads(sf.read_text()).get("postgres", {}).get("dir")
        if pg:
            assert not (Path(pg) / "data" / "postmaster.pid").exists(), "PostgreSQL was left running"


@pytest.mark.parametrize("var", ["KINERJA_KAFKA_PORT", "KINERJA_PG_PORT"])
@pytest.mark.parametrize("value", ["abc", "70000", "-1"])
def test_malformed_port(state_dir: Path, var: str, value: str) -> None:
    res = run_cli(state_dir, "up", "--infra-only", **{var: value})
    assert res.returncode != 0
    assert f"{var}='{value}' is not a valid port" in res.stderr
    assert "between 1024 and 65535" in res.stderr
    assert_nothing_running(state_dir)


def test_malformed_fast_flag(state_dir: Path) -> None:
    res = run_cli(state_dir, "up", "--infra-only", KINERJA_PG_FAST="maybe")
    assert res.returncode != 0
    assert "KINERJA_PG_FAST='maybe' is not a boolean" in res.stderr


def test_missing_java(state_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    res = run_cli(state_dir, "up", "--infra-only", PATH=str(empty))
    assert res.returncode != 0
    assert "Java 17+ not found" in res.stderr
    assert "apt-get install -y openjdk-17-jre-headless" in res.stderr
    assert_nothing_running(state_dir)


def test_old_java(state_dir: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "java"
    fake.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    fake.chmod(0o755)
    res = run_cli(state_dir, "fetch", PATH=f"{bin_dir}:{os.environ['PATH']}")
    assert res.returncode != 0
    assert "Java 17+ not found" in res.stderr and "Java 11" in res.stderr


def test_missing_postgres_binaries(state_dir: Path) -> None:
    res = run_cli(state_dir, "up", "--infra-only", KINERJA_PG_BINDIR="/nonexistent/pg/bin")
    assert res.returncode != 0
    assert "PostgreSQL server binaries" in res.stderr
    assert "apt-get install -y postgresql" in res.stderr
    assert_nothing_running(state_dir)


@pytest.mark.parametrize("var", ["KINERJA_PG_PORT", "KINERJA_KAFKA_PORT"])
def test_occupied_port(state_dir: Path, var: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = run_cli(state_dir, "up", "--infra-only", **{var: str(port)})
    assert res.returncode != 0
    assert f"port 127.0.0.1:{port}" in res.stderr and "in use by another process" in res.stderr
    assert f"set {var}=<free port>" in res.stderr
    assert_nothing_running(state_dir)


def test_failed_maven_download(state_dir: Path, tmp_path: Path) -> None:
    res = run_cli(
        state_dir,
        "fetch",
        KINERJA_CACHE_DIR=str(tmp_path / "cache"),
        KINERJA_KAFKA_VERSION="0.0.1-nonexistent",
    )
    assert res.returncode != 0
    assert "Maven could not fetch org.apache.kafka:kafka_2.13:0.0.1-nonexistent" in res.stderr
    assert "kinerja-local fetch" in res.stderr
    assert not (tmp_path / "cache" / "kafka-0.0.1-nonexistent" / "libs").exists()


def test_failed_maven_download_during_up_starts_nothing(state_dir: Path, tmp_path: Path) -> None:
    res = run_cli(
        state_dir,
        "up",
        "--infra-only",
        KINERJA_CACHE_DIR=str(tmp_path / "cache"),
        KINERJA_KAFKA_VERSION="0.0.1-nonexistent",
    )
    assert res.returncode != 0
    assert "Maven could not fetch" in res.stderr
    assert_nothing_running(state_dir)


@pytest.mark.postgres
def test_failure_after_postgres_started_stops_it_again(state_dir: Path, tmp_path: Path) -> None:
    """Kafka storage formatting fails (a fake java) after PostgreSQL started: PostgreSQL is stopped again."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "java"
    fake.write_text(
        '#!/bin/sh\nif [ "$1" = -version ]; then echo \'openjdk version "17.0.1"\' >&2; exit 0; fi\n'
        "echo 'fake java: boom' >&2; exit 3\n"
    )
    fake.chmod(0o755)
    cache = tmp_path / "cache" / "kafka-9.9.9"
    (cache / "libs").mkdir(parents=True)
    (cache / "libs" / "kafka_2.13-9.9.9.jar").write_bytes(b"")
    (cache / "libs" / "kafka-tools-9.9.9.jar").write_bytes(b"")  # a complete cache has the CLI tools too
    (cache / ".complete").write_text("9.9.9\n")
    res = run_cli(
        state_dir,
        "up",
        "--infra-only",
        "--fast",
        PATH=f"{bin_dir}:{os.environ['PATH']}",
        KINERJA_CACHE_DIR=str(tmp_path / "cache"),
        KINERJA_KAFKA_VERSION="9.9.9",
    )
    assert res.returncode != 0, res.stdout
    assert "formatting Kafka storage failed" in res.stderr
    assert "stopping postgres" in res.stdout
    assert_nothing_running(state_dir)
