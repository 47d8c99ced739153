"""A PostgreSQL cluster of our own (Debian's binaries), one database and two roles per service.

Where the data lives: <state dir>/pg when the `postgres` user can reach it; otherwise (e.g. the repo is under
/root, mode 0700) /var/tmp/kinerja-<hash of state dir>/pg, so we never loosen permissions on the user's home.
The chosen directory is stored in state.json (postgres.dir).
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import HOST, SERVICES, Paths, StackError
from .procs import pid_alive, tail
from .state import State, port_answers

PG_HINT = "apt-get install -y postgresql"
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


@dataclass(frozen=True, slots=True)
class ServiceDb:
    """Connection URLs of one service's database."""

    service: str
    database: str
    database_url: str  # the app role: DML only, not owner
    migration_database_url: str  # the owner role: runs migrations


def bindir() -> Path:
    """Directory with initdb/pg_ctl/psql: KINERJA_PG_BINDIR, else the newest /usr/lib/postgresql/*/bin."""
    env = os.environ.get("KINERJA_PG_BINDIR")
    if env:
        cands = [Path(env)]
    else:
        cands = sorted(
            (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
            key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
            reverse=True,
        )
        pg_config = shutil.which("pg_config")
        if pg_config:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()
            if out:
                cands.append(Path(out))
    for c in cands:
        if all((c / exe).is_file() for exe in ("initdb", "pg_ctl", "psql")):
            return c
    where = env or "/usr/lib/postgresql/*/bin"
    raise StackError(f"PostgreSQL server binaries (initdb, pg_ctl, psql) not found in {where}", PG_HINT)


def _as_postgres(argv: Sequence[str]) -> list[str]:
    """Run as the `postgres` OS user when we are root (initdb refuses root); as ourselves otherwise."""
    if os.geteuid() != 0:
        return list(argv)
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", "postgres", "--", *argv]


def _postgres_user_exists() -> bool:
    import pwd

    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True


def _reachable_by_postgres(path: Path) -> bool:
    if os.geteuid() != 0:
        return True
    res = subprocess.run(_as_postgres(["test", "-x", str(path)]), capture_output=True)
    return res.returncode == 0


def pg_dir(paths: Paths, state: State) -> Path:
    """The directory holding data/, run/ (socket) and log; chosen once and stored."""
    sec = state.section("postgres")
    if sec.get("dir"):
        return Path(sec["dir"])
    if os.geteuid() == 0 and not _postgres_user_exists():
        raise StackError("the `postgres` OS user does not exist", PG_HINT)
    paths.root.mkdir(parents=True, exist_ok=True)
    d = paths.root / "pg"
    if not _reachable_by_postgres(paths.root):
        digest = hashlib.sha256(str(paths.root).encode()).hexdigest()[:12]
        d = Path("/var/tmp") / f"kinerja-{digest}" / "pg"
    # the unix socket path must fit in 107 bytes
    if len(str(d / "run" / ".s.PGSQL.65535")) > 100:
        digest = hashlib.sha256(str(paths.root).encode()).hexdigest()[:12]
        d = Path("/var/tmp") / f"kinerja-{digest}" / "pg"
    sec["dir"] = str(d)
    state.save()
    link = paths.root / "pg"
    if d != link and not link.exists() and not link.is_symlink():
        link.symlink_to(d)  # so `.local/pg` still leads to the data, log and socket
    return d


def _prepare_dirs(d: Path) -> None:
    d.mkdir(parents=True, exist_ok=True)
    (d / "run").mkdir(exist_ok=True)
    if os.geteuid() == 0:
        for p in (d, d / "run"):
            shutil.chown(p, "postgres", "postgres")
        if d.parent.name.startswith("kinerja-"):
            os.chmod(d.parent, 0o755)
    os.chmod(d, 0o750)


def running_pid(d: Path) -> int | None:
    try:
        pid = int((d / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if pid_alive(pid) else None


def start(paths: Paths, state: State, port: int, fast: bool, log: Callable[[str], None]) -> int:
    """initdb once, then pg_ctl start -w; returns the postmaster pid."""
    bd = bindir()
    d = pg_dir(paths, state)
    _prepare_dirs(d)
    data = d / "data"
    if not (data / "PG_VERSION").exists():
        log(f"initialising a PostgreSQL cluster in {data}")
        res = subprocess.run(
            _as_postgres([str(bd / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                          "-E", "UTF8", "--locale=C.UTF-8"]),
            capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if res.returncode != 0:
            raise StackError(
                f"initdb failed (exit {res.returncode})",
                f"delete {data} and try again",
                details="\n".join((res.stdout + res.stderr).strip().splitlines()[-15:]),
            )
        (data / "pg_hba.conf").write_text(
            "# written by kinerja-local: trust on the local socket and for the `postgres` superuser from\n"
            "# 127.0.0.1 (test fixtures create databases); every other role needs its scram password.\n"
            "local all all trust\n"
            f"host  all postgres {HOST}/32 trust\n"
            f"host  all all {HOST}/32 scram-sha-256\n"
        )
    opts = [
        f"-p {port}",
        f"-k {d / 'run'}",
        f"-c listen_addresses={HOST}",
        "-c max_connections=300",
        "-c password_encryption=scram-sha-256",
    ]
    if fast:
        opts += [f"-c {s}" for s in FAST_SETTINGS]
    res = subprocess.run(
        _as_postgres([str(bd / "pg_ctl"), "-D", str(data), "-l", str(d / "log"), "-o", " ".join(opts),
                      "-w", "-t", "60", "start"]),
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    if res.returncode != 0:
        raise StackError(
            f"PostgreSQL did not start on {HOST}:{port} (pg_ctl exit {res.returncode})",
            f"see {d / 'log'}",
            details=tail(d / "log", 20),
        )
    state.section("postgres")["fast"] = fast
    state.save()
    pid = running_pid(d)
    if pid is None:
        raise StackError("PostgreSQL started but has no postmaster.pid", f"see {d / 'log'}")
    return pid


def wait_ready(d: Path, port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_answers(port) and psql(d, port, "SELECT 1", check=False).returncode == 0:
            return
        time.sleep(0.2)
    raise StackError(f"PostgreSQL does not answer on {HOST}:{port}", f"see {d / 'log'}", tail(d / "log", 20))


def stop(paths: Paths, state: State) -> bool:
    sec = state.section("postgres")
    if not sec.get("dir"):
        return False
    d = Path(sec["dir"])
    if running_pid(d) is None:
        return False
    subprocess.run(
        _as_postgres([str(bindir() / "pg_ctl"), "-D", str(d / "data"), "-m", "fast", "-w", "-t", "60",
                      "stop"]),
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    pid = running_pid(d)
    if pid is not None:
        from .procs import stop_pid

        stop_pid(pid, timeout=10)
    return True


def psql(d: Path, port: int, sql: str, *, db: str = "postgres", check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run SQL as the superuser over TCP (trusted from 127.0.0.1), stopping at the first error."""
    argv = [str(bindir() / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", HOST, "-p", str(port),
            "-U", "postgres", "-d", db, "-f", "-"]  # fmt: skip
    res = subprocess.run(argv, input=sql, capture_output=True, text=True, timeout=120)
    if check and res.returncode != 0:
        last = res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "?"
        raise StackError(
            f"SQL on database {db} failed: {last}",
            details=res.stderr.strip(),
        )
    return res


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def provision(d: Path, port: int, state: State) -> None:
    """Idempotently create each service's database, owner role and app role (passwords from state)."""
    for svc in SERVICES:
        db, owner, app = f"kinerja_{svc}", f"kinerja_{svc}_owner", f"kinerja_{svc}"
        owner_pw, app_pw = state.password(owner), state.password(app)
        state.save()
        psql(
            d,
            port,
            f"""
SELECT format('CREATE ROLE %I LOGIN', {_lit(owner)})
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_lit(owner)})\\gexec
SELECT format('CREATE ROLE %I LOGIN', {_lit(app)})
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_lit(app)})\\gexec
ALTER ROLE {owner} WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {_lit(owner_pw)};
ALTER ROLE {app} WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {_lit(app_pw)};
SELECT format('CREATE DATABASE %I OWNER %I', {_lit(db)}, {_lit(owner)})
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = {_lit(db)})\\gexec
ALTER DATABASE {db} OWNER TO {owner};
REVOKE CONNECT, TEMPORARY ON DATABASE {db} FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {owner}, {app};
""",
        )
        psql(
            d,
            port,
            f"""
ALTER SCHEMA public OWNER TO {owner};
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO {app};
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app};
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO {app};
""",
            db=db,
        )


def service_db(state: State, port: int, svc: str) -> ServiceDb:
    db, owner, app = f"kinerja_{svc}", f"kinerja_{svc}_owner", f"kinerja_{svc}"
    return ServiceDb(
        service=svc,
        database=db,
        database_url=f"postgresql://{app}:{state.password(app)}@{HOST}:{port}/{db}",
        migration_database_url=f"postgresql://{owner}:{state.password(owner)}@{HOST}:{port}/{db}",
    )


def admin_dsn(port: int) -> str:
    return f"postgresql://postgres@{HOST}:{port}/postgres"
