"""A Kafka broker and a PostgreSQL cluster of the chaos suite's own, for the scenarios that restart them.

Other engineers' tests use the shared local broker and PostgreSQL, so those are never restarted: these are
started in a temp dir with deploy/local's functions (kinerja_local.stack.start_kafka, kinerja_local.postgres),
on their own ports, and removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from kinerja_local import kafka as local_kafka
from kinerja_local import postgres as local_pg
from kinerja_local.config import Paths
from kinerja_local.stack import KafkaBroker, start_kafka, stop_kafka
from kinerja_local.state import State
from kinerja_shared.db import provision_database

OWNER, APP, PASSWORD = "kinerja_chaos_owner", "kinerja_chaos_app", "kinerja-chaos-only"


def _wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        # a detached child of ours stays a zombie until reaped
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        if Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return
        time.sleep(0.1)
    raise AssertionError(f"process {pid} did not exit within {timeout:.0f}s")


@dataclass
class OwnKafka:
    state_dir: Path
    broker: KafkaBroker | None = None

    def start(self) -> KafkaBroker:
        self.broker = start_kafka(self.state_dir, topics=False, heap=("256m", "768m"))
        return self.broker

    @property
    def bootstrap(self) -> str:
        assert self.broker is not None
        return self.broker.bootstrap

    def pid(self) -> int | None:
        return local_kafka.running_pid(Paths(self.state_dir.resolve()))

    def stop_graceful(self) -> None:
        stop_kafka(self.state_dir, timeout=60)

    def kill(self) -> None:
        pid = self.pid()
        assert pid is not None, "the chaos broker is not running"
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, 30)


@dataclass
class OwnPostgres:
    state_dir: Path
    port: int = 0
    data_dir: Path | None = None

    def _ps(self) -> tuple[Paths, State]:
        p = Paths(self.state_dir.resolve())
        return p, State(p)

    def start(self) -> None:
        p, state = self._ps()
        self.port = state.port("postgres")
        state.save()
        # durable settings (fsync, synchronous_commit on), unlike the shared test cluster: with synchronous_commit=off
        # an immediate stop loses commits PostgreSQL already acknowledged, which no consumer design can survive
        local_pg.start(p, state, self.port, False, lambda _m: None)
        self.data_dir = local_pg.pg_dir(p, state)
        local_pg.wait_ready(self.data_dir, self.port)

    def stop_graceful(self) -> None:
        p, state = self._ps()
        local_pg.stop(p, state)

    def crash(self) -> None:
        """`pg_ctl stop -m immediate`: every backend killed at once, crash recovery (WAL replay) on next start."""
        assert self.data_dir is not None
        pid = local_pg.running_pid(self.data_dir)
        subprocess.run(
            local_pg._as_postgres([str(local_pg.bindir() / "pg_ctl"), "-D", str(self.data_dir / "data"),  # noqa: SLF001
                                   "-m", "immediate", "-w", "stop"]),
            capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if pid is not None:
            _wait_gone(pid, 30)

    @property
    def admin_dsn(self) -> str:
        return local_pg.admin_dsn(self.port)

    async def roles(self) -> None:
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            for role, extra in ((OWNER, "CREATEDB"), (APP, "")):
                if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                    await conn.execute(f"CREATE ROLE {role} LOGIN {extra} NOBYPASSRLS PASSWORD '{PASSWORD}'")
        finally:
            await conn.close()

    async def database(self) -> tuple[str, str, str]:
        """A fresh database: (name, app url, owner url)."""
        import secrets

        await self.roles()
        name = f"chaos_{secrets.token_hex(4)}"
        await provision_database(self.admin_dsn, name, owner=OWNER, app_role=APP)
        host = f"127.0.0.1:{self.port}"
        return name, f"postgresql://{APP}:{PASSWORD}@{host}/{name}", f"postgresql://{OWNER}:{PASSWORD}@{host}/{name}"

    def remove(self) -> None:
        with_data = self.data_dir
        try:
            self.stop_graceful()
        finally:
            if with_data is not None and with_data.exists():
                shutil.rmtree(with_data.parent if with_data.parent.name.startswith("kinerja-") else with_data,
                              ignore_errors=True)  # fmt: skip
