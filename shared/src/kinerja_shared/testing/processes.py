"""Run a service as its real process (`python -m kinerja_<svc> api|worker`) in a test, against test resources."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from kinerja_shared.settings import KafkaSettings
from kinerja_shared.testing.helpers import wait_until
from kinerja_shared.testing.plugin import ProvisionedDatabase


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class ServiceProcess:
    proc: subprocess.Popen[bytes]
    base_url: str  # http://127.0.0.1:<port>
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def service_env(
    svc: str, role: str, db: ProvisionedDatabase, kafka: KafkaSettings, tmp: Path, port: int
) -> dict[str, str]:
    """The environment a service process gets in tests: the test database, the namespace, a dev issuer key."""
    return os.environ | {
        "DATABASE_URL": db.app_url,
        "MIGRATION_DATABASE_URL": db.owner_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "KAFKA_TOPIC_NAMESPACE": kafka.topic_namespace,
        "HTTP_PORT" if role == "api" else "WORKER_HTTP_PORT": str(port),
        "ROOT_PATH": f"/{svc}",
        "KINERJA_ENV": "test",
        "DEV_ISSUER_KEY_FILE": str(tmp / "dev-issuer.pem"),
        "CONSUMER_BATCH_WAIT_MS": "100",
    }


@asynccontextmanager
async def run_service(
    svc: str,
    role: str,
    db: ProvisionedDatabase,
    kafka: KafkaSettings,
    tmp: Path,
    *,
    env: Mapping[str, str] | None = None,
    ready_timeout: float = 60,
    expect_clean_exit: bool = True,
) -> AsyncIterator[ServiceProcess]:
    """Start the process, wait for /health/ready, yield it; on exit SIGTERM it and (by default) require exit 0."""
    port = free_port()
    full_env = service_env(svc, role, db, kafka, tmp, port) | dict(env or {})
    log_path = tmp / f"{svc}-{role}-{port}.log"  # two workers of one service may share a tmp dir
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", f"kinerja_{svc}", role], env=full_env, stdout=log, stderr=log)
    sp = ServiceProcess(proc, f"http://127.0.0.1:{port}", log_path)
    try:
        async with httpx.AsyncClient(base_url=sp.base_url, timeout=5) as client:

            async def ready() -> bool:
                if proc.poll() is not None:
                    raise AssertionError(f"{svc} {role} exited during start-up: {sp.log()[-2000:]}")
                try:
                    return (await client.get("/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_until(ready, timeout=ready_timeout, what=f"{svc} {role} ready")
        yield sp
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(proc.wait, 40)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = await asyncio.to_thread(proc.wait, 10)
        if expect_clean_exit:
            assert code == 0, f"{svc} {role} exited {code} on SIGTERM: {sp.log()[-2000:]}"
