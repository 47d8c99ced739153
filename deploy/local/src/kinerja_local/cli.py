"""kinerja-local: up | down | status | logs | fetch | urls for the local stack (no Docker)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import kafka, kafka_security, postgres, services, stack
from .config import HOST, SERVICES, StackError, kafka_version, paths

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _log(msg: str) -> None:
    if msg.startswith("warning:"):
        console.print(f"[yellow]{msg}[/]")
    else:
        console.print(f"[dim]·[/] {msg}")


def cmd_up(args: argparse.Namespace) -> int:
    fast = True if args.fast else None
    sasl = True if args.sasl else None
    res = stack.up(infra_only=args.infra_only, fast=fast, sasl=sasl, log=_log)
    for note in res.notes:
        _log(note)
    if res.reused:
        _log("reused (already running): " + ", ".join(res.reused))
    _print_urls(res.infra, res.service_ports)
    if res.frontdoor_port is not None:
        base = f"http://{HOST}:{res.frontdoor_port}"
        console.print(f"[green]ready[/]  front door  [bold]{base}/[/]  (staff: {base}/  ·  citizens: {base}/warga)")
    return 0


def _print_urls(infra: stack.Infra, service_ports: dict[str, int]) -> None:
    console.print(f"[green]ready[/]  Kafka {infra.kafka_version}  [bold]{infra.kafka_bootstrap}[/]")
    if infra.kafka_sasl_bootstrap:
        console.print(
            f"[green]ready[/]  Kafka SASL/SCRAM-SHA-512 + ACLs  [bold]{infra.kafka_sasl_bootstrap}[/]"
            "  (users: `kinerja-local urls`)"
        )
    console.print(f"[green]ready[/]  PostgreSQL  [bold]{infra.pg_admin_dsn}[/]")
    for svc, port in service_ports.items():
        console.print(f"[green]ready[/]  {svc:<10}  [bold]http://{HOST}:{port}/[/]  (ROOT_PATH=/{svc})")
    console.print(f"[dim]database URLs and passwords: {infra.state_dir / 'state.json'}, or `kinerja-local urls`[/]")


def cmd_urls(args: argparse.Namespace) -> int:
    state_file = paths().state_file
    if not state_file.exists():
        raise StackError("the local stack was never started", "run `kinerja-local up`")
    from .state import State

    st = State(paths())
    console.print(f"KAFKA_BOOTSTRAP_SERVERS={HOST}:{st.ports.get('kafka')}")
    sasl_port = kafka.sasl_port_of_running(paths())  # as last started
    if sasl_port is not None:
        # one line per Kafka user, usable as an environment prefix; the PLAINTEXT port above is the local admin
        # door (a super user), these are held to kinerja_shared.acls
        for user, password in kafka_security.credentials(st).items():
            console.print(
                f"KAFKA_BOOTSTRAP_SERVERS={HOST}:{sasl_port} KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT "
                f"KAFKA_SASL_MECHANISM={kafka.SASL_MECHANISM} "
                f"KAFKA_SASL_USERNAME={user} KAFKA_SASL_PASSWORD={password}",
                markup=False,
            )
    if "postgres" not in st.ports:  # a Kafka-only state dir (start_kafka)
        return 0
    console.print(f"PG_ADMIN_DSN={postgres.admin_dsn(st.ports['postgres'])}")
    for svc in SERVICES:
        db = stack.service_database_urls(svc)
        console.print(f"{svc.upper()}_DATABASE_URL={db.database_url}")
        console.print(f"{svc.upper()}_MIGRATION_DATABASE_URL={db.migration_database_url}")
        if svc in st.ports:
            console.print(f"{svc.upper()}_URL=http://{HOST}:{st.ports[svc]}/")
    if "frontdoor" in st.ports:
        console.print(f"KINERJA_URL=http://{HOST}:{st.ports['frontdoor']}/")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    stopped = stack.down(log=_log)
    console.print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    table = Table(title=f"kinerja local stack ({paths().root})")
    for col in ("component", "pid", "port", "state"):
        table.add_column(col)
    colors = {"running": "green", "stopped": "dim"}
    for r in stack.status():
        c = colors.get(r.state, "red")
        table.add_row(r.component, str(r.pid or "-"), str(r.port or "-"), f"[{c}]{r.state}[/]")
    console.print(table)
    return 0


def _log_files(component: str | None) -> list[Path]:
    p = paths()
    files: list[Path] = []
    if component in (None, "postgres"):
        from .state import State

        d = State(p).section("postgres").get("dir") if p.state_file.exists() else None
        if d:
            files.append(Path(d) / "log")
    if component in (None, "kafka"):
        files += [p.kafka_log, p.kafka_stdout]
    if component in (None, "frontdoor"):
        from . import frontdoor

        files += [frontdoor.error_log(p), frontdoor.access_log(p)]
    for svc in SERVICES:
        for role in services.ROLES:
            if component in (None, svc, f"{svc}-{role}"):
                files.append(p.service_log(svc, role))
    return [f for f in files if f.exists()]


def cmd_logs(args: argparse.Namespace) -> int:
    names = ["kafka", "postgres", "frontdoor", *SERVICES, *(f"{s}-{r}" for s in SERVICES for r in services.ROLES)]
    if args.component and args.component not in names:
        raise StackError(f"unknown component {args.component!r}", "one of " + ", ".join(names))
    files = _log_files(args.component)
    if not files:
        raise StackError("no log files yet", "run `kinerja-local up` first")
    argv = ["tail", "-n", str(args.lines)]
    if args.follow:
        argv.append("-F")
    argv += [str(f) for f in files]
    sys.stdout.flush()
    os.execvp("tail", argv)
    return 0  # not reached


def cmd_fetch(args: argparse.Namespace) -> int:
    version = kafka_version()
    kafka.java()
    libs = kafka.fetch_jars(version, _log)
    console.print(f"Apache Kafka {version} jars in {libs}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="kinerja-local",
        description="Local Kinerja stack without Docker: Kafka (KRaft, Maven Central jars) + PostgreSQL "
        "+ services. State in <repo>/.local (KINERJA_LOCAL_DIR); "
        "ports via KINERJA_KAFKA_PORT, KINERJA_PG_PORT; KINERJA_KAFKA_SASL=1 for SASL/SCRAM + ACLs.",
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    p_up = sub.add_parser("up", help="start (or reuse) Kafka, PostgreSQL, topics and the services")
    p_up.add_argument("--infra-only", action="store_true", help="only Kafka + PostgreSQL (+ topics)")
    p_up.add_argument(
        "--fast",
        action="store_true",
        help="PostgreSQL with fsync/synchronous_commit/full_page_writes off (tests)",
    )
    p_up.add_argument(
        "--sasl",
        action="store_true",
        help="Kafka also listens for SASL/SCRAM-SHA-512 clients and enforces the ACLs of kinerja_shared.acls; "
        "the services connect as their own users (KINERJA_KAFKA_SASL=1)",
    )
    p_up.set_defaults(fn=cmd_up)
    sub.add_parser("down", help="stop what `up` started").set_defaults(fn=cmd_down)
    sub.add_parser("status", help="a table of components, pids, ports, states").set_defaults(fn=cmd_status)
    p_logs = sub.add_parser("logs", help="show (or follow with -f) the logs")
    p_logs.add_argument("component", nargs="?", help="kafka, postgres, a service, or <service>-api/-worker")
    p_logs.add_argument("-f", "--follow", action="store_true")
    p_logs.add_argument("-n", "--lines", type=int, default=50)
    p_logs.set_defaults(fn=cmd_logs)
    sub.add_parser("fetch", help="download the Kafka jars from Maven Central (once)").set_defaults(fn=cmd_fetch)
    sub.add_parser("urls", help="print connection settings as env lines").set_defaults(fn=cmd_urls)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        rc: int = args.fn(args)
    except StackError as e:
        err.print(f"[red]error:[/] {e.message}" + (f" — {e.hint}" if e.hint else ""), soft_wrap=True)
        if e.details:
            err.print(e.details, markup=False, highlight=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        err.print("[red]interrupted[/]")
        return 130
    return rc


if __name__ == "__main__":
    sys.exit(main())
