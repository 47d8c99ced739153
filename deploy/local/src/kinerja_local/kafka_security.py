"""SCRAM users and ACLs on a SASL-enabled local broker, from kinerja_shared.acls, set with Kafka's own CLI tools.

`sync()` is idempotent and converges: users whose stored password does not log in get it (again) with
ConfigCommand; ACL bindings the model has and the broker lacks are added, and bindings of our principals
(`kinerja-*`, `agency-*`) the model no longer has are removed, with AclCommand. The tools run through the
PLAINTEXT admin door (User:ANONYMOUS, a super user) and all in one JVM (ToolBatch.java, compiled once), because
JVM start-up, not the work, is what is slow; a Java runtime that cannot compile it runs them one JVM each.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kinerja_shared import acls

from .config import StackError, pom_path
from .kafka import ADMIN_USER, SASL_MECHANISM, fetch_jars, java, run_sync
from .state import State

Log = Callable[[str], None]
Binding = tuple[str, str, str, str, str]  # principal, resource type, name, pattern, operation (Kafka spelling)

ACL_TOOL = "org.apache.kafka.tools.AclCommand"
CONFIG_TOOL = "org.apache.kafka.tools.ConfigCommand"
MANAGED_PRINCIPALS = ("User:kinerja-", "User:agency-")  # stale ACLs of these are removed
_JVM = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-Djava.awt.headless=true"]
_RESOURCE_FLAG = {"TOPIC": "--topic", "GROUP": "--group", "TRANSACTIONAL_ID": "--transactional-id"}
_RESOURCE = re.compile(r"ResourcePattern\(resourceType=(\w+), name=(.*?), patternType=(\w+)\)")
_ENTRY = re.compile(r"\(principal=(.+?), host=(.+?), operation=(\w+), permissionType=(\w+)\)")


def _quiet(_msg: str) -> None:
    pass


@dataclass(frozen=True, slots=True)
class ToolRun:
    tool: str
    code: int
    output: str


@dataclass(frozen=True, slots=True)
class SyncResult:
    users_set: tuple[str, ...]
    acls_added: int
    acls_removed: int
    acls_total: int

    def note(self) -> str:
        return (
            f"Kafka SASL: {self.acls_total} ACL bindings ({self.acls_added} added, {self.acls_removed} removed), "
            f"SCRAM passwords set for {len(self.users_set)} users"
        )


# ---------------------------------------------------------------- users & passwords
def model_users() -> tuple[acls.KafkaUser, ...]:
    return acls.users()


def credentials(state: State) -> dict[str, str]:
    """SCRAM user -> password (generated once into state.json, key `kafka:<user>`): the admin, then the model's."""
    names = [ADMIN_USER, *(u.name for u in model_users())]
    return {n: state.password(f"kafka:{n}") for n in names}


def client_kwargs(sasl_bootstrap: str, user: str, password: str) -> dict[str, str]:
    """aiokafka keyword arguments for one SCRAM user (what KafkaSettings.client_kwargs() gives a service)."""
    return {
        "bootstrap_servers": sasl_bootstrap,
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": SASL_MECHANISM,
        "sasl_plain_username": user,
        "sasl_plain_password": password,
    }


async def login_ok(sasl_bootstrap: str, user: str, password: str) -> bool:
    """True when the broker accepts user/password over SCRAM (the admin client's bootstrap authenticates)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**client_kwargs(sasl_bootstrap, user, password), request_timeout_ms=10000)
    try:
        await admin.start()
    except Exception:  # noqa: BLE001 - an authentication failure surfaces as "unable to bootstrap"
        return False
    finally:
        await admin.close()
    return True


async def failing_logins(sasl_bootstrap: str, creds: dict[str, str]) -> list[str]:
    names = list(creds)
    noisy = logging.getLogger("aiokafka")
    level = noisy.level
    noisy.setLevel(logging.CRITICAL)  # each expected failure would log "Unable connect ..." otherwise
    try:
        ok = await asyncio.gather(*(login_ok(sasl_bootstrap, n, creds[n]) for n in names))
    finally:
        noisy.setLevel(level)
    return [n for n, good in zip(names, ok, strict=True) if not good]


# ---------------------------------------------------------------- running the CLI tools
def run_tools(
    commands: Sequence[Sequence[str]], version: str, log: Log = _quiet, secrets: Iterable[str] = ()
) -> list[ToolRun]:
    """Run Kafka CLI tools (each: main class, then its arguments) in one JVM; StackError when one fails."""
    if not commands:
        return []
    for cmd in commands:
        if any("\t" in a or "\n" in a for a in cmd):
            raise ValueError(f"a tool argument contains a tab or newline: {cmd[0]}")
    exe = java()
    libs = fetch_jars(version, log)
    cp = f"{libs}/*"
    classes = _batch_classes(exe, libs)
    stdout, rc = "", 0
    if classes is not None:
        try:
            res = subprocess.run(
                [exe, *_JVM, "-cp", f"{classes}{os.pathsep}{cp}", "ToolBatch"],
                input="".join("\t".join(c) + "\n" for c in commands),
                capture_output=True, text=True, timeout=600,
            )  # fmt: skip
        except subprocess.TimeoutExpired as e:
            raise StackError("the Kafka CLI tools timed out", "see `kinerja-local logs kafka`") from e
        stdout, rc = res.stdout + res.stderr, res.returncode
    runs = _split(stdout)
    if not runs:
        # no compiler in this Java runtime, or the batch class does not fit this Kafka version
        log("note: running the Kafka CLI tools one JVM each (slower; their arguments show in the process list)")
        for cmd in commands:
            one = subprocess.run(
                [exe, *_JVM, "-cp", cp, *cmd], capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
            )
            runs.append(ToolRun(cmd[0], one.returncode, one.stdout + one.stderr))
    failed = [r for r in runs if r.code != 0]
    if failed or len(runs) != len(commands):
        details = "\n".join(r.output for r in failed) or stdout
        for s in secrets:  # a tool's error may quote its arguments
            details = details.replace(s, "***")
        tool = failed[0].tool.rsplit(".", 1)[-1] if failed else "ToolBatch"
        raise StackError(
            f"Kafka {tool} failed (exit {failed[0].code if failed else rc})",
            "see the details; the broker log is `kinerja-local logs kafka`",
            details="\n".join(details.strip().splitlines()[-20:]),
        )
    return runs


def _batch_classes(exe: str, libs: Path) -> Path | None:
    """ToolBatch.java compiled once per source version next to the jars (the Java runtime's own jdk.compiler
    module: no JDK needed); None when this runtime cannot compile it."""
    source = pom_path().parent / "ToolBatch.java"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
    out = libs.parent / f"toolbatch-{digest}"
    if (out / "ToolBatch.class").exists():
        return out
    tmp = libs.parent / f".toolbatch-{digest}.{os.getpid()}"
    cp = os.pathsep.join(str(j) for j in sorted(libs.glob("*.jar")))  # javac gets no launcher wildcard expansion
    argv = [exe, *_JVM, "--module", "jdk.compiler/com.sun.tools.javac.Main", "-nowarn", "-cp", cp, "-d", str(tmp)]
    try:
        res = subprocess.run([*argv, str(source)], capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if res.returncode != 0 or not (tmp / "ToolBatch.class").exists():
        shutil.rmtree(tmp, ignore_errors=True)
        return None
    try:
        tmp.rename(out)
    except OSError:  # a concurrent run compiled it first
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _split(stdout: str) -> list[ToolRun]:
    runs: list[ToolRun] = []
    tool: str | None = None
    lines: list[str] = []
    for line in stdout.splitlines():
        if line.startswith("@@kinerja-tool "):
            tool, lines = line.split(" ", 2)[2], []
        elif line.startswith("@@kinerja-tool-exit ") and tool is not None:
            runs.append(ToolRun(tool, int(line.rsplit(" ", 1)[1]), "\n".join(lines)))
            tool = None
        elif tool is not None:
            lines.append(line)
    return runs


# ---------------------------------------------------------------- ACLs
def parse_acl_list(text: str) -> set[tuple[Binding, str, str]]:
    """AclCommand --list output → {(binding, host, permission type)}."""
    out: set[tuple[Binding, str, str]] = set()
    resource: tuple[str, str, str] | None = None
    for line in text.splitlines():
        m = _RESOURCE.search(line)
        if m:
            resource = (m.group(1), m.group(2), m.group(3))
            continue
        e = _ENTRY.search(line)
        if e and resource is not None:
            rtype, name, pattern = resource
            out.add(((e.group(1), rtype, name, pattern, e.group(3)), e.group(2), e.group(4)))
    return out


def _cli_operation(op: str) -> str:
    return "".join(w.capitalize() for w in op.split("_"))  # IDEMPOTENT_WRITE -> IdempotentWrite


def acl_commands(bootstrap: str, bindings: Iterable[Binding], action: str, host: str = "*") -> list[list[str]]:
    """AclCommand invocations adding (`--add`) or removing (`--remove`) exactly these bindings.

    One invocation applies every operation to every resource for every principal given, so bindings are grouped
    by (principal, pattern type, set of operations on a resource): never a cross product the model lacks.
    """
    per_resource: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    for principal, rtype, name, pattern, op in bindings:
        per_resource[(principal, pattern, rtype, name)].add(op)
    grouped: dict[tuple[str, str, frozenset[str]], list[tuple[str, str]]] = defaultdict(list)
    for (principal, pattern, rtype, name), ops in per_resource.items():
        grouped[(principal, pattern, frozenset(ops))].append((rtype, name))
    cmds: list[list[str]] = []
    order = sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1], sorted(kv[0][2])))
    for (principal, pattern, opset), resources in order:
        cmd = [ACL_TOOL, "--bootstrap-server", bootstrap, action]
        if action == "--remove":
            cmd.append("--force")
        cmd += ["--allow-principal", principal, "--allow-host", host, "--resource-pattern-type", pattern.lower()]
        for op in sorted(opset):
            cmd += ["--operation", _cli_operation(op)]
        for rtype, name in sorted(resources):
            cmd += ["--cluster"] if rtype == "CLUSTER" else [_RESOURCE_FLAG[rtype], name]
        cmds.append(cmd)
    return cmds


def set_password_command(bootstrap: str, user: str, password: str) -> list[str]:
    return [
        CONFIG_TOOL, "--bootstrap-server", bootstrap, "--alter", "--entity-type", "users", "--entity-name", user,
        "--add-config", f"{SASL_MECHANISM}=[password={password}]",
    ]  # fmt: skip


def sync(
    admin_bootstrap: str, sasl_bootstrap: str, state: State, version: str, log: Log = _quiet, *, fresh: bool = False
) -> SyncResult:
    """Make the broker's SCRAM users and ACLs those of kinerja_shared.acls (see the module docstring).

    `fresh`: the storage was formatted by this start, so there are no users or ACLs yet and everything is set
    in a single JVM; otherwise one JVM lists the ACLs (and sets the passwords that fail to log in) and a second
    one, only when something differs, adds and removes ACLs.
    """
    creds = credentials(state)
    state.save()
    secrets = list(creds.values())
    users = model_users()
    desired = acls.bindings(users)

    if fresh:
        stale_users = list(creds)
        log(f"creating {len(stale_users)} SCRAM-SHA-512 Kafka users and {len(desired)} ACL bindings")
        cmds = [set_password_command(admin_bootstrap, u, creds[u]) for u in stale_users]
        run_tools(cmds + acl_commands(admin_bootstrap, desired, "--add"), version, log, secrets)
        _check_logins(sasl_bootstrap, creds)
        return SyncResult(tuple(stale_users), len(desired), 0, len(desired))

    stale_users = run_sync(lambda: failing_logins(sasl_bootstrap, creds))
    first = [set_password_command(admin_bootstrap, u, creds[u]) for u in stale_users]
    first.append([ACL_TOOL, "--bootstrap-server", admin_bootstrap, "--list"])
    if stale_users:
        log(f"setting SCRAM-SHA-512 passwords of {len(stale_users)} Kafka users")
    runs = run_tools(first, version, log, secrets)
    current = parse_acl_list(runs[-1].output)

    have = {b for b, host, perm in current if perm == "ALLOW" and host == "*"}
    missing = desired - have
    stale = {
        (b, host)
        for b, host, perm in current
        if perm == "ALLOW" and b[0].startswith(MANAGED_PRINCIPALS) and (host != "*" or b not in desired)
    }
    second = acl_commands(admin_bootstrap, missing, "--add")
    by_host: dict[str, list[Binding]] = defaultdict(list)
    for b, host in stale:
        by_host[host].append(b)
    for host, bs in sorted(by_host.items()):
        second += acl_commands(admin_bootstrap, bs, "--remove", host)
    if second:
        log(f"Kafka ACLs: adding {len(missing)} bindings, removing {len(stale)}")
        run_tools(second, version, log, secrets)

    _check_logins(sasl_bootstrap, {u: creds[u] for u in stale_users})
    return SyncResult(tuple(stale_users), len(missing), len(stale), len(desired))


def _check_logins(sasl_bootstrap: str, creds: dict[str, str]) -> None:
    still = run_sync(lambda: _wait_logins(sasl_bootstrap, creds))
    if still:
        raise StackError(f"Kafka SCRAM login still fails for {', '.join(still)}", "see `kinerja-local logs kafka`")


async def _wait_logins(sasl_bootstrap: str, creds: dict[str, str], within_s: float = 20.0) -> list[str]:
    """The users whose fresh password still does not log in after `within_s` (credentials apply asynchronously)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    pending = dict(creds)
    while pending:
        bad = await failing_logins(sasl_bootstrap, pending)
        pending = {u: pending[u] for u in bad}
        if not pending or loop.time() > deadline:
            break
        await asyncio.sleep(0.5)
    return list(pending)
