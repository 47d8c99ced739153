"""Detached processes: start with pid files, check, stop (SIGTERM, then SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from .state import read_pid


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (our own exited child not yet reaped) is not alive
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive_from_pidfile(pid_file: Path, marker: str) -> int | None:
    """The pid in pid_file when that process runs and its command line contains marker (guards pid reuse)."""
    pid = read_pid(pid_file)
    if pid and pid_alive(pid) and marker in cmdline(pid):
        return pid
    return None


def start_detached(
    argv: Sequence[str], *, log: Path, pid_file: Path, env: Mapping[str, str], cwd: Path
) -> subprocess.Popen[bytes]:
    """Start argv in a new session, stdout+stderr appended to log, stdin from /dev/null; write pid_file."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
    pid_file.write_text(f"{proc.pid}\n")
    return proc


def stop_pid(pid: int, timeout: float = 30.0) -> bool:
    """SIGTERM the process (its group if it leads one), wait, then SIGKILL. True if it had been running."""
    if not pid_alive(pid):
        return False
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return False

    def send(sig: signal.Signals) -> None:
        try:
            if pgid == pid:
                os.killpg(pgid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            pass

    send(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    send(signal.SIGKILL)
    for _ in range(50):
        _reap(pid)
        if not pid_alive(pid):
            break
        time.sleep(0.1)
    return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def tail(path: Path, lines: int = 20) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(data.splitlines()[-lines:])
