"""state.json (ports, passwords, cluster id: chosen once, reused) and the file lock around changes."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .config import HOST, Paths


def port_is_free(port: int, host: str = HOST) -> bool:
    """True when nothing listens on host:port (SO_REUSEADDR, like the servers themselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def port_answers(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port(taken: set[int]) -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((HOST, 0))
            port = int(s.getsockname()[1])
        if port not in taken:
            return port


class State:
    """The JSON document in <state dir>/state.json; written with mode 0600 (it holds passwords)."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.data: dict[str, Any] = {}
        if paths.state_file.exists():
            try:
                self.data = json.loads(paths.state_file.read_text())
            except json.JSONDecodeError as e:
                from .config import StackError

                raise StackError(
                    f"{paths.state_file} is not valid JSON ({e})",
                    "fix or delete it (ports and passwords are then chosen anew)",
                ) from e
        self.data.setdefault("version", 1)
        self.data.setdefault("ports", {})
        self.data.setdefault("passwords", {})

    def save(self) -> None:
        self.paths.root.mkdir(parents=True, exist_ok=True)
        tmp = self.paths.state_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(self.data, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, self.paths.state_file)

    @property
    def ports(self) -> dict[str, int]:
        ports: dict[str, int] = self.data["ports"]
        return ports

    def port(self, name: str, override: int | None = None) -> int:
        """The stored port for a component, chosen once from free loopback ports; an override wins."""
        if override is not None:
            self.ports[name] = override
        elif name not in self.ports:
            self.ports[name] = free_port(set(self.ports.values()))
        return self.ports[name]

    def password(self, role: str) -> str:
        pw: dict[str, str] = self.data["passwords"]
        if role not in pw:
            pw[role] = secrets.token_urlsafe(24)
        return pw[role]

    def section(self, name: str) -> dict[str, Any]:
        sec: dict[str, Any] = self.data.setdefault(name, {})
        return sec


@contextlib.contextmanager
def locked(paths: Paths) -> Iterator[None]:
    """An exclusive fcntl lock on <state dir>/lock: one start/stop at a time across processes."""
    paths.root.mkdir(parents=True, exist_ok=True)
    with open(paths.lock_file, "a+") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
