"""Start, reuse and stop the local stack; the API test fixtures use (ensure_infra, stop_all).

Everything that changes the stack runs under an fcntl lock in the state dir, so two processes (two pytest
sessions, a developer's `up` and a test run) can call it at once: the second reuses what the first started.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kinerja_shared import acls
from kinerja_shared.settings import KafkaSettings

from . import frontdoor, kafka, kafka_security, postgres, services
from .config import HOST, SERVICES, Paths, StackError, flag_from_env, kafka_version, paths, port_from_env
from .postgres import ServiceDb
from .procs import stop_pid
from .state import State, locked, port_answers, port_is_free, read_pid

Log = Callable[[str], None]


def _quiet(_msg: str) -> None:
    pass


@dataclass(frozen=True, slots=True)
class Infra:
    """How to reach the local Kafka and PostgreSQL."""

    kafka_bootstrap: str  # "127.0.0.1:<port>"
    pg_admin_dsn: str  # "postgresql://postgres@127.0.0.1:<port>/postgres" (superuser, trusted from 127.0.0.1)
    pg_port: int
    # svc -> (database_url [app role], migration_database_url [owner role])
    service_urls: dict[str, tuple[str, str]]
    state_dir: Path = field(default_factory=lambda: paths().root)
    kafka_version: str = ""
    # "127.0.0.1:<port>" of the SASL/SCRAM listener (ACLs enforced) when Kafka runs with --sasl, else None
    kafka_sasl_bootstrap: str | None = None

    def database_url(self, svc: str) -> str:
        return self.service_urls[svc][0]

    def migration_database_url(self, svc: str) -> str:
        return self.service_urls[svc][1]


@dataclass(slots=True)
class UpResult:
    infra: Infra
    started: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # svc -> why
    notes: list[str] = field(default_factory=list)
    service_ports: dict[str, int] = field(default_factory=dict)
    frontdoor_port: int | None = None  # nginx routing /activity, /evaluation, /feedback, /notify


@dataclass(frozen=True, slots=True)
class ComponentStatus:
    component: str
    pid: int | None
    port: int | None
    state: str  # running | stopped | not answering | port taken by another process


# ---------------------------------------------------------------- helpers
def _check_port_for(component: str, port: int, env_var: str | None, p: Paths) -> None:
    if not port_is_free(port):
        how = f"set {env_var}=<free port>" if env_var else f"edit ports.{component} in {p.state_file}"
        raise StackError(
            f"port {HOST}:{port} for {component} is in use by another process",
            f"stop that process, or {how}",
        )


def _infra(state: State, p: Paths, version: str) -> Infra:
    pg_port, k_port = state.ports["postgres"], state.ports["kafka"]
    s_port = kafka.sasl_port_of_running(p) if kafka.running_pid(p) is not None else None
    urls = {}
    for svc in SERVICES:
        db = postgres.service_db(state, pg_port, svc)
        urls[svc] = (db.database_url, db.migration_database_url)
    return Infra(
        kafka_bootstrap=f"{HOST}:{k_port}",
        pg_admin_dsn=postgres.admin_dsn(pg_port),
        pg_port=pg_port,
        service_urls=urls,
        state_dir=p.root,
        kafka_version=state.section("kafka").get("version", version),
        kafka_sasl_bootstrap=f"{HOST}:{s_port}" if s_port else None,
    )


def _service_env(
    infra: Infra,
    svc: str,
    port: int,
    worker_port: int,
    keys: tuple[Path, Path],
    kafka_password: str | None = None,
) -> dict[str, str]:
    env = dict(os.environ)
    for k in list(env):  # never leak another service's prefixed settings (e.g. EVALUATION_DATABASE_URL)
        if any(k.startswith(f"{s.upper()}_") for s in SERVICES):
            del env[k]
    env.update(
        DATABASE_URL=infra.database_url(svc),
        MIGRATION_DATABASE_URL=infra.migration_database_url(svc),
        KAFKA_BOOTSTRAP_SERVERS=infra.kafka_bootstrap,
        HTTP_PORT=str(port),
        WORKER_HTTP_PORT=str(worker_port),
        ROOT_PATH=f"/{svc}",
        KINERJA_ENV="development",
        JWT_PUBLIC_KEY_FILE=str(keys[1]),
        DEV_ISSUER_KEY_FILE=str(keys[0]),
        PYTHONUNBUFFERED="1",
    )
    if kafka_password is not None and infra.kafka_sasl_bootstrap:
        # the service is held to its own ACLs, as in a cluster (kinerja_shared.acls)
        env.update(
            KAFKA_BOOTSTRAP_SERVERS=infra.kafka_sasl_bootstrap,
            KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
            KAFKA_SASL_MECHANISM=kafka.SASL_MECHANISM,
            KAFKA_SASL_USERNAME=acls.service_user(svc),
            KAFKA_SASL_PASSWORD=kafka_password,
        )
    return env


# ---------------------------------------------------------------- up
def up(*, infra_only: bool = False, fast: bool | None = None, sasl: bool | None = None, log: Log = _quiet) -> UpResult:
    """Start (or reuse) PostgreSQL, Kafka, the topics and, unless infra_only, the services.

    `sasl` (default: env KINERJA_KAFKA_SASL): Kafka also gets a SASL/SCRAM listener with ACLs from
    kinerja_shared.acls, and the services connect through it as their own users.
    On failure, everything this call started is stopped again and StackError is raised.
    """
    kafka_override = port_from_env("KINERJA_KAFKA_PORT")
    pg_override = port_from_env("KINERJA_PG_PORT")
    if fast is None:
        fast = flag_from_env("KINERJA_PG_FAST")
    if sasl is None:
        sasl = flag_from_env("KINERJA_KAFKA_SASL")
    version = kafka_version()
    p = paths()
    with locked(p):
        state = State(p)
        stops: list[tuple[str, Callable[[], object]]] = []
        try:
            result = _up_locked(p, state, version, kafka_override, pg_override, fast, infra_only, sasl, log, stops)
        except BaseException:
            for name, stop in reversed(stops):
                log(f"stopping {name} (started by this failed run)")
                try:
                    stop()
                except Exception as e:  # noqa: BLE001 - keep cleaning up
                    log(f"could not stop {name}: {e}")
            raise
        return result


def _up_locked(
    p: Paths,
    state: State,
    version: str,
    kafka_override: int | None,
    pg_override: int | None,
    fast: bool,
    infra_only: bool,
    sasl: bool,
    log: Log,
    stops: list[tuple[str, Callable[[], object]]],
) -> UpResult:
    pg_sec = state.section("postgres")
    pg_pid = postgres.running_pid(Path(pg_sec["dir"])) if pg_sec.get("dir") else None
    k_pid = kafka.running_pid(p)

    # preflight: everything we can check before starting anything
    if k_pid is None:
        kafka.java()
        kafka.fetch_jars(version, log)  # before anything starts: a failed download leaves nothing behind
    if pg_pid is None:
        postgres.bindir()
    old_pg, old_k = state.ports.get("postgres"), state.ports.get("kafka")
    pg_port = state.port("postgres", pg_override)
    k_port = state.port("kafka", kafka_override)
    c_port = state.port("kafka_controller")
    s_port = _sasl_port(p, state, k_pid, sasl)
    for name, pid, port, old in (("postgres", pg_pid, pg_port, old_pg), ("kafka", k_pid, k_port, old_k)):
        if pid is not None and old is not None and old != port:
            raise StackError(
                f"{name} is running on port {old} but port {port} was asked for",
                "run `kinerja-local down` first to move it",
            )
    if pg_pid is None:
        _check_port_for("postgres", pg_port, "KINERJA_PG_PORT", p)
    if k_pid is None:
        _check_port_for("kafka", k_port, "KINERJA_KAFKA_PORT", p)
        _check_port_for("kafka controller", c_port, None, p)
        if s_port is not None:
            _check_port_for("kafka SASL", s_port, None, p)
    state.save()

    res = UpResult(infra=_infra(state, p, version))

    # PostgreSQL
    if pg_pid is None:
        log(f"starting PostgreSQL on {HOST}:{pg_port}{' (fast: fsync off)' if fast else ''}")
        pg_pid = postgres.start(p, state, pg_port, fast, log)
        stops.append(("postgres", lambda: postgres.stop(p, state)))
        res.started.append("postgres")
    else:
        res.reused.append("postgres")
    d = postgres.pg_dir(p, state)
    postgres.wait_ready(d, pg_port)
    postgres.provision(d, pg_port, state)

    # Kafka
    fresh = not (p.kafka / "data" / "meta.properties").exists()
    started = _kafka_locked(p, state, version, k_pid, k_port, c_port, s_port, log, stops)
    (res.started if started else res.reused).append("kafka")
    res.notes += kafka.run_sync(lambda: kafka.ensure_topics(f"{HOST}:{k_port}"))
    if sasl and s_port is not None:
        synced = kafka_security.sync(f"{HOST}:{k_port}", f"{HOST}:{s_port}", state, version, log, fresh=fresh)
        res.notes.append(synced.note())
    res.infra = _infra(state, p, version)

    if infra_only:
        return res

    # services
    keys = services.ensure_keys(p)
    for svc in SERVICES:
        why = services.available(svc)
        if why:
            res.skipped[svc] = why
            log(f"warning: skipping the {svc} service: {why}")
            continue
        port = state.port(svc)
        worker_port = state.port(f"{svc}-worker")
        res.service_ports[svc] = port
        api_pid = services.running_pid(p, svc, "api")
        if api_pid is None:
            _check_port_for(f"the {svc} service", port, None, p)
        state.save()
        kafka_pw = state.password(f"kafka:{acls.service_user(svc)}") if sasl else None
        env = _service_env(res.infra, svc, port, worker_port, keys, kafka_pw)
        for role in services.ROLES:
            if services.running_pid(p, svc, role) is not None:
                res.reused.append(f"{svc}-{role}")
                continue
            log(f"starting {svc} {role}" + (f" on {HOST}:{port}" if role == "api" else ""))
            pid = services.start(p, svc, role, env)
            pf = p.service_pid(svc, role)
            stops.append((f"{svc}-{role}", functools.partial(_stop_pidfile, pf, 15)))
            res.started.append(f"{svc}-{role}")
        api = services.running_pid(p, svc, "api") or read_pid(p.service_pid(svc, "api")) or 0
        services.wait_ready(p, svc, api, port)
        worker = read_pid(p.service_pid(svc, "worker")) or 0
        services.wait_ready(p, svc, worker, worker_port, role="worker")
    # the front door routes every service's prefix, also of a skipped one (it then says that part is unavailable)
    upstreams = {svc: state.port(svc) for svc in SERVICES}
    port, fd_started = frontdoor.ensure(p, state, upstreams, log)
    if fd_started:
        stops.append(("frontdoor", lambda: frontdoor.stop(p)))
    (res.started if fd_started else res.reused).append("frontdoor")
    res.frontdoor_port = port
    return res


def _sasl_port(p: Paths, state: State, k_pid: int | None, sasl: bool) -> int | None:
    """The SASL listener's port when asked for SASL; a broker already running without it must be restarted."""
    running = kafka.sasl_port_of_running(p) if k_pid is not None else None
    if not sasl:
        return None
    if k_pid is not None and running is None:
        raise StackError(
            "Kafka is running without SASL/ACLs",
            f"stop it first (`kinerja-local down`{'' if p == paths() else f' with KINERJA_LOCAL_DIR={p.root}'}), "
            "then start it with --sasl",
        )
    return running if running is not None else state.port("kafka_sasl")


def _kafka_locked(
    p: Paths,
    state: State,
    version: str,
    k_pid: int | None,
    k_port: int,
    c_port: int,
    s_port: int | None,
    log: Log,
    stops: list[tuple[str, Callable[[], object]]],
    heap: tuple[str, str] = ("512m", "1g"),
) -> bool:
    """Start the broker (or reuse the running one) and wait until it answers; True when started here."""
    if k_pid is not None:
        kafka.wait_ready(p, k_pid, k_port)
        return False
    if version != state.section("kafka").get("formatted_with", version):
        log(f"note: storage was formatted by Kafka {state.section('kafka')['formatted_with']}")
    sasl_note = f", SASL/SCRAM + ACLs on {HOST}:{s_port}" if s_port is not None else ""
    log(f"starting Apache Kafka {version} on {HOST}:{k_port}{sasl_note}")
    pid = kafka.start(p, state, version, k_port, c_port, log, sasl_port=s_port, heap=heap)
    stops.append(("kafka", lambda: _stop_pidfile(p.kafka_pid, 30)))
    kafka.wait_ready(p, pid, k_port)
    return True


def _stop_pidfile(pid_file: Path, timeout: float) -> bool:
    pid = read_pid(pid_file)
    stopped = False
    if pid is not None:
        stopped = stop_pid(pid, timeout)
    pid_file.unlink(missing_ok=True)
    return stopped


# ---------------------------------------------------------------- API for fixtures
def ensure_infra(fast: bool = True) -> Infra:
    """Start (or reuse) Kafka + PostgreSQL + topics; blocking; safe from several processes at once."""
    return up(infra_only=True, fast=fast).infra


@dataclass(frozen=True, slots=True)
class KafkaBroker:
    """A broker started (or reused) by start_kafka() in its own state dir."""

    state_dir: Path
    pid: int
    bootstrap: str  # PLAINTEXT: the loopback admin door (a super user when SASL is on)
    sasl_bootstrap: str | None  # SASL/SCRAM listener, ACLs enforced; None without SASL
    credentials: dict[str, str]  # SCRAM user -> password (kinerja-admin and every kinerja_shared.acls user)
    version: str
    started: bool  # False when an already running broker was reused
    notes: tuple[str, ...] = ()

    def kafka_settings(self, user: str | None = None) -> KafkaSettings:
        """Settings as a service would get them: SASL as `user`, or the admin door without one."""
        if user is None:
            return KafkaSettings(bootstrap_servers=self.bootstrap)
        if self.sasl_bootstrap is None:
            raise StackError("this broker runs without SASL", "start it with start_kafka(..., sasl=True)")
        return KafkaSettings(
            bootstrap_servers=self.sasl_bootstrap,
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_username=user,
            sasl_password=self.credentials[user],
        )

    def stop(self, timeout: float = 30.0) -> bool:
        return stop_kafka(self.state_dir, timeout)


def start_kafka(
    state_dir: Path,
    *,
    sasl: bool = False,
    topics: bool | Iterable[str] = True,
    heap: tuple[str, str] = ("512m", "1g"),
    log: Log = _quiet,
) -> KafkaBroker:
    """Start (or reuse) a Kafka broker alone, with its state in `state_dir` and ports chosen there.

    For tests that need a broker of their own (SASL/ACLs) without touching the shared stack: nothing of the
    shared state dir is read, and no port override from the environment applies. With `sasl`, the SCRAM users
    and ACLs of kinerja_shared.acls are created (kafka_security.sync). On failure the broker started here is
    stopped again. `topics`: create every registry topic (True), none (False) or only these registry names.
    Stop it with `.stop()` / stop_kafka(state_dir).
    """
    p = Paths(Path(state_dir).resolve())
    version = kafka_version()
    with locked(p):
        state = State(p)
        stops: list[tuple[str, Callable[[], object]]] = []
        try:
            k_pid = kafka.running_pid(p)
            k_port, c_port = state.port("kafka"), state.port("kafka_controller")
            s_port = _sasl_port(p, state, k_pid, sasl)
            if k_pid is None:
                kafka.java()
                kafka.fetch_jars(version, log)
                for name, port in (("kafka", k_port), ("kafka controller", c_port), ("kafka SASL", s_port)):
                    if port is not None:
                        _check_port_for(name, port, None, p)
            state.save()
            fresh = not (p.kafka / "data" / "meta.properties").exists()
            started = _kafka_locked(p, state, version, k_pid, k_port, c_port, s_port, log, stops, heap)
            notes: list[str] = []
            if topics:
                names = None if topics is True else set(topics)
                notes += kafka.run_sync(lambda: kafka.ensure_topics(f"{HOST}:{k_port}", names))
            creds: dict[str, str] = {}
            if sasl and s_port is not None:
                admin, door = f"{HOST}:{k_port}", f"{HOST}:{s_port}"
                notes.append(kafka_security.sync(admin, door, state, version, log, fresh=fresh).note())
                creds = kafka_security.credentials(state)
            pid = kafka.running_pid(p)
            if pid is None:
                raise StackError("Kafka exited right after start-up", f"see {p.kafka_stdout}")
        except BaseException:
            for _name, stop in reversed(stops):
                stop()
            raise
        return KafkaBroker(
            state_dir=p.root,
            pid=pid,
            bootstrap=f"{HOST}:{k_port}",
            sasl_bootstrap=f"{HOST}:{s_port}" if s_port is not None else None,
            credentials=creds,
            version=version,
            started=started,
            notes=tuple(notes),
        )


def stop_kafka(state_dir: Path, timeout: float = 30.0) -> bool:
    """Stop the broker of start_kafka(state_dir) (SIGTERM, then SIGKILL after `timeout`); True if it ran."""
    p = Paths(Path(state_dir).resolve())
    with locked(p):
        if kafka.running_pid(p) is None:
            p.kafka_pid.unlink(missing_ok=True)
            return False
        return _stop_pidfile(p.kafka_pid, timeout)


def service_database_urls(svc: str) -> ServiceDb:
    """The app-role and owner-role URLs of one service's database (the stack must have been started once)."""
    if svc not in SERVICES:
        raise StackError(f"unknown service {svc!r}", f"one of {', '.join(SERVICES)}")
    state = State(paths())
    if "postgres" not in state.ports:
        raise StackError("the local stack was never started", "run `kinerja-local up`")
    return postgres.service_db(state, state.ports["postgres"], svc)


def down(log: Log = _quiet) -> list[str]:
    """Stop what our pid files name, in reverse order: services, Kafka, PostgreSQL."""
    p = paths()
    stopped: list[str] = []
    with locked(p):
        state = State(p)
        if frontdoor.running_pid(p) is not None:
            log("stopping the front door (nginx)")
            frontdoor.stop(p)
            stopped.append("frontdoor")
        for svc in reversed(SERVICES):
            for role in reversed(services.ROLES):
                pf = p.service_pid(svc, role)
                if services.running_pid(p, svc, role) is not None:
                    log(f"stopping {svc} {role}")
                    _stop_pidfile(pf, 15)
                    stopped.append(f"{svc}-{role}")
                else:
                    pf.unlink(missing_ok=True)
        if kafka.running_pid(p) is not None:
            log("stopping Kafka")
            _stop_pidfile(p.kafka_pid, 60)
            stopped.append("kafka")
        else:
            p.kafka_pid.unlink(missing_ok=True)
        if postgres.running_pid(Path(state.section("postgres").get("dir") or "/nonexistent")) is not None:
            log("stopping PostgreSQL")
            postgres.stop(p, state)
            stopped.append("postgres")
    return stopped


def stop_all() -> None:
    down()


def status() -> list[ComponentStatus]:
    p = paths()
    state = State(p) if p.state_file.exists() else None
    ports = state.ports if state else {}
    rows: list[ComponentStatus] = []

    def row(name: str, pid: int | None, port: int | None, probe: Callable[[int], bool] = port_answers) -> None:
        if pid is not None:
            st = "running" if port is None or probe(port) else "not answering"
        elif port is not None and not port_is_free(port):
            st = "port taken by another process"
        else:
            st = "stopped"
        rows.append(ComponentStatus(name, pid, port, st))

    pg_dir = state.section("postgres").get("dir") if state else None
    row("postgres", postgres.running_pid(Path(pg_dir)) if pg_dir else None, ports.get("postgres"))
    row("kafka", kafka.running_pid(p), ports.get("kafka"))
    for svc in SERVICES:
        row(f"{svc}-api", services.running_pid(p, svc, "api"), ports.get(svc), services.ready)
        wpid = services.running_pid(p, svc, "worker")
        rows.append(ComponentStatus(f"{svc}-worker", wpid, None, "running" if wpid else "stopped"))
    row("frontdoor", frontdoor.running_pid(p), ports.get(frontdoor.STATE_KEY), frontdoor.answers)
    return rows
