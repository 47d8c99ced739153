"""Where things live, what the environment may override, and the one error type the CLI prints."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: Newest Apache Kafka on Maven Central that passes deploy/local/tests/test_stack.py with aiokafka 0.14.
KAFKA_VERSION: Final = "4.4.0"
SERVICES: Final = ("activity", "evaluation", "feedback", "notify")
HOST: Final = "127.0.0.1"


class StackError(Exception):
    """A problem the user can fix: printed as one line (plus an optional hint and details), exit code 1."""

    def __init__(self, message: str, hint: str | None = None, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


def repo_root() -> Path:
    """The repository root: deploy/local/src/kinerja_local/config.py → four levels up."""
    env = os.environ.get("KINERJA_REPO_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[4]


def state_dir() -> Path:
    env = os.environ.get("KINERJA_LOCAL_DIR")
    return Path(env).resolve() if env else repo_root() / ".local"


def cache_dir() -> Path:
    env = os.environ.get("KINERJA_CACHE_DIR")
    return Path(env).expanduser().resolve() if env else Path.home() / ".cache" / "kinerja"


def kafka_version() -> str:
    v = os.environ.get("KINERJA_KAFKA_VERSION", "").strip()
    if not v:
        return KAFKA_VERSION
    if not all(part.isalnum() or part == "-" for part in v.replace(".", "-").split("-")):
        raise StackError(f"KINERJA_KAFKA_VERSION={v!r} is not a version", "use e.g. 4.4.0, or unset it")
    return v


def port_from_env(name: str) -> int | None:
    """A port override such as KINERJA_KAFKA_PORT; None when unset; StackError when malformed."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    if not raw.isdigit() or not 1024 <= int(raw) <= 65535:
        raise StackError(
            f"{name}={raw!r} is not a valid port", "set it to a number between 1024 and 65535, or unset it"
        )
    return int(raw)


def flag_from_env(name: str) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise StackError(f"{name}={raw!r} is not a boolean", "set it to 1 or 0, or unset it")


def pom_path() -> Path:
    return Path(__file__).resolve().parents[2] / "kafka" / "pom.xml"


@dataclass(frozen=True, slots=True)
class Paths:
    """Every file the stack writes, under one state dir (PostgreSQL may live elsewhere, see postgres.py)."""

    root: Path

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def lock_file(self) -> Path:
        return self.root / "lock"

    @property
    def kafka(self) -> Path:
        return self.root / "kafka"

    @property
    def kafka_pid(self) -> Path:
        return self.kafka / "pid"

    @property
    def kafka_log(self) -> Path:
        return self.kafka / "server.log"

    @property
    def kafka_stdout(self) -> Path:
        return self.kafka / "stdout.log"

    @property
    def services(self) -> Path:
        return self.root / "services"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    def service_pid(self, svc: str, role: str) -> Path:
        return self.services / f"{svc}-{role}.pid"

    def service_log(self, svc: str, role: str) -> Path:
        return self.services / f"{svc}-{role}.log"


def paths() -> Paths:
    return Paths(state_dir())


def which(cmd: str) -> str | None:
    return shutil.which(cmd)
