"""The four services as detached processes: `kinerja-<svc> api` (HTTP) and `kinerja-<svc> worker`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from .config import HOST, Paths, StackError, repo_root
from .procs import alive_from_pidfile, pid_alive, start_detached, tail

ROLES = ("api", "worker")


def script(svc: str) -> Path:
    return repo_root() / ".venv" / "bin" / f"kinerja-{svc}"


def available(svc: str) -> str | None:
    """None when `kinerja-<svc>` can run; otherwise why not (the services are written in parallel)."""
    exe = script(svc)
    if not exe.exists():
        return f"{exe} not found"
    py = exe.parent / "python"
    probe = f"import importlib.util as u, sys; sys.exit(u.find_spec('kinerja_{svc}.__main__') is None)"
    try:
        res = subprocess.run([str(py if py.exists() else sys.executable), "-c", probe], capture_output=True)
    except OSError as e:
        return str(e)
    if res.returncode != 0:
        return f"kinerja_{svc}.__main__ does not exist yet"
    return None


def marker(svc: str, role: str) -> str:
    return f"kinerja-{svc} {role}"


def running_pid(paths: Paths, svc: str, role: str) -> int | None:
    return alive_from_pidfile(paths.service_pid(svc, role), marker(svc, role))


def ensure_keys(paths: Paths) -> tuple[Path, Path]:
    """An ES256 key pair for the local dev issuer, generated once: (private PEM, public PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    priv, pub = paths.keys / "dev-issuer.pem", paths.keys / "dev-issuer.pub.pem"
    if priv.exists() and pub.exists():
        return priv, pub
    paths.keys.mkdir(parents=True, exist_ok=True)
    os.chmod(paths.keys, 0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    fd = os.open(priv, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    pub.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return priv, pub


def start(paths: Paths, svc: str, role: str, env: Mapping[str, str]) -> int:
    paths.services.mkdir(parents=True, exist_ok=True)
    proc = start_detached(
        [str(script(svc)), role],
        log=paths.service_log(svc, role),
        pid_file=paths.service_pid(svc, role),
        env=env,
        cwd=repo_root(),
    )
    return proc.pid


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/health/ready", timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_ready(paths: Paths, svc: str, pid: int, port: int, timeout: float = 60.0, role: str = "api") -> None:
    deadline = time.monotonic() + timeout
    log = paths.service_log(svc, role)
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            raise StackError(f"{svc} {role} exited during start-up", f"see {log}", details=tail(log, 20))
        if ready(port):
            return
        time.sleep(0.5)
    raise StackError(
        f"{svc} {role} was not ready on http://{HOST}:{port}/health/ready within {timeout:.0f} s",
        f"see {log}",
        details=tail(log, 20),
    )
