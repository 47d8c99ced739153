"""Apache Kafka (KRaft, one broker+controller node) from Maven Central jars, run with Java."""

from __future__ import annotations

import asyncio
import base64
import fcntl
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final, TypeVar

from .config import HOST, Paths, StackError, cache_dir, pom_path, which
from .procs import alive_from_pidfile, start_detached, tail
from .state import State, port_answers

T = TypeVar("T")

JAVA_HINT = "apt-get install -y openjdk-17-jre-headless"
MARKER = "kafka.Kafka"

LOG4J2 = """\
<?xml version="1.0" encoding="UTF-8"?>
<!-- written by kinerja-local: quiet broker logs (WARN, a few INFO lines to see it start) in server.log;
     errors also on stdout (stdout.log, which keeps JVM-level failures too) -->
<Configuration status="WARN">
  <Appenders>
    <Console name="STDOUT" target="SYSTEM_OUT">
      <ThresholdFilter level="ERROR" onMatch="ACCEPT" onMismatch="DENY"/>
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
    <File name="FILE" fileName="{log}" append="true">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Root level="WARN">
      <AppenderRef ref="STDOUT"/>
      <AppenderRef ref="FILE"/>
    </Root>
    <Logger name="kafka.server.KafkaRaftServer" level="INFO"/>
    <Logger name="kafka.server.BrokerServer" level="INFO"/>
    <Logger name="org.apache.kafka.common.utils.AppInfoParser" level="WARN"/>
    <Logger name="kafka.Kafka$" level="INFO"/>
  </Loggers>
</Configuration>
"""


def run_sync(fn: Callable[[], Awaitable[T]]) -> T:
    """Run an async function to completion from sync code, also when an event loop is already running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_call(fn))
    with ThreadPoolExecutor(1) as ex:
        return ex.submit(lambda: asyncio.run(_call(fn))).result()


async def _call(fn: Callable[[], Awaitable[T]]) -> T:
    return await fn()


# ---------------------------------------------------------------- java & jars
def java() -> str:
    """Path of a Java 17+ runtime, or StackError."""
    exe = which("java")
    if not exe:
        raise StackError("Java 17+ not found", JAVA_HINT)
    try:
        out = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise StackError(f"cannot run {exe} -version ({e})", JAVA_HINT) from e
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if m:
        major = int(m.group(1))
        if major == 1 and m.group(2):
            major = int(m.group(2))
        if major < 17:
            raise StackError(f"Java 17+ not found ({exe} is Java {major})", JAVA_HINT)
    return exe


def libs_dir(version: str) -> Path:
    return cache_dir() / f"kafka-{version}" / "libs"


def fetch_jars(version: str, log: Callable[[str], None] = lambda _m: None) -> Path:
    """Download kafka_2.13:<version> and its runtime deps with Maven into the cache dir, once."""
    libs = libs_dir(version)
    done = libs.parent / ".complete"
    if done.exists() and _has_jars(libs, version):
        return libs
    libs.parent.mkdir(parents=True, exist_ok=True)
    with open(libs.parent / ".lock", "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if done.exists() and _has_jars(libs, version):
            return libs
        mvn = which("mvn")
        if not mvn:
            raise StackError("Maven (mvn) not found, needed once to fetch the Kafka jars", "apt-get install -y maven")
        pom = pom_path()
        if not pom.exists():
            raise StackError(f"{pom} is missing", "restore deploy/local/kafka/pom.xml from git")
        tmp = libs.parent / "libs.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        log(f"fetching Apache Kafka {version} jars from Maven Central into {libs} (once)")
        cmd = [
            mvn, "-q", "-B", "-f", str(pom), f"-Dkafka.version={version}",
            "dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={tmp}",
        ]  # fmt: skip
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise StackError("Maven timed out fetching the Kafka jars", "check access to Maven Central") from e
        if res.returncode != 0 or not any(tmp.glob(f"kafka_2.13-{version}.jar")):
            last = "\n".join((res.stdout + res.stderr).strip().splitlines()[-15:])
            shutil.rmtree(tmp, ignore_errors=True)
            raise StackError(
                f"Maven could not fetch org.apache.kafka:kafka_2.13:{version} (exit {res.returncode})",
                "check access to Maven Central (proxy in ~/.m2/settings.xml) and KINERJA_KAFKA_VERSION, "
                "then run `kinerja-local fetch` again",
                details=last,
            )
        if done.exists() and libs.is_dir():
            # an older resolution (before the CLI tools were in the pom) may be the classpath of a running
            # broker: only add the new jars, never remove or replace one under it
            for jar in tmp.iterdir():
                if not (libs / jar.name).exists():
                    part = libs / f".{jar.name}.part"
                    shutil.copy2(jar, part)
                    part.rename(libs / jar.name)
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            shutil.rmtree(libs, ignore_errors=True)
            tmp.rename(libs)
        done.write_text(version + "\n")
    return libs


def _has_jars(libs: Path, version: str) -> bool:
    """The broker and the admin CLI tools (kafka-tools: AclCommand, ConfigCommand) are both there."""
    return (libs / f"kafka_2.13-{version}.jar").exists() and (libs / f"kafka-tools-{version}.jar").exists()


# ---------------------------------------------------------------- config & start
def server_properties(paths: Paths, port: int, cport: int, sasl_port: int | None = None) -> str:
    data = paths.kafka / "data"
    listeners = f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{cport}"
    advertised = f"PLAINTEXT://{HOST}:{port}"
    protocols = "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    if sasl_port is not None:
        listeners += f",{SASL_LISTENER}://{HOST}:{sasl_port}"
        advertised += f",{SASL_LISTENER}://{HOST}:{sasl_port}"
        protocols += f",{SASL_LISTENER}:SASL_PLAINTEXT"
    return f"""\
# written by kinerja-local on every start; edit deploy/local/src/kinerja_local/kafka.py instead
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers={HOST}:{cport}
listeners={listeners}
advertised.listeners={advertised}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map={protocols}
log.dirs={data}
num.partitions=12
default.replication.factor=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=12
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=168
log.segment.bytes=104857600
""" + (sasl_properties() if sasl_port is not None else "")


#: The SASL_PLAINTEXT listener's name (the PLAINTEXT one stays: it is the loopback admin door, see sasl_properties).
SASL_LISTENER: Final = "SASL"
#: The local SCRAM super user (the k8s cluster has its own operator-managed admin instead).
ADMIN_USER: Final = "kinerja-admin"
SASL_MECHANISM: Final = "SCRAM-SHA-512"


def sasl_properties() -> str:
    """SCRAM-SHA-512 on the SASL listener and ACLs for everyone, except two super users.

    User:ANONYMOUS is what the PLAINTEXT (loopback admin door, also the inter-broker and controller listener) and
    CONTROLLER listeners authenticate as: the node must reach itself, and the test fixtures and kinerja-local
    keep administering topics and ACLs through that door. Clients that should be held to ACLs connect to the SASL
    listener as their own SCRAM user; `kinerja-admin` is the super user for admin work over SASL.
    """
    jaas = f"listener.name.{SASL_LISTENER.lower()}.{SASL_MECHANISM.lower()}.sasl.jaas.config"
    return f"""\
# SASL/SCRAM + ACLs (kinerja-local up --sasl / KINERJA_KAFKA_SASL=1)
sasl.enabled.mechanisms={SASL_MECHANISM}
{jaas}=org.apache.kafka.common.security.scram.ScramLoginModule required;
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:ANONYMOUS;User:{ADMIN_USER}
"""


def sasl_port_of_running(paths: Paths) -> int | None:
    """The SASL port in the server.properties the running broker was started with (rewritten at every start)."""
    try:
        text = (paths.kafka / "server.properties").read_text()
    except OSError:
        return None
    m = re.search(rf"^listeners=.*\b{SASL_LISTENER}://[^:,]+:(\d+)", text, re.M)
    return int(m.group(1)) if m else None


def running_pid(paths: Paths) -> int | None:
    return alive_from_pidfile(paths.kafka_pid, MARKER)


def start(
    paths: Paths,
    state: State,
    version: str,
    port: int,
    cport: int,
    log: Callable[[str], None],
    *,
    sasl_port: int | None = None,
    heap: tuple[str, str] = ("512m", "1g"),
) -> int:
    """Format storage once, then start the broker detached; returns its pid (does not wait for readiness).

    With `sasl_port`, the broker also listens for SASL/SCRAM clients there and enforces ACLs (sasl_properties);
    kafka_security.sync() then creates the users and ACLs.
    """
    exe = java()
    libs = fetch_jars(version, log)
    paths.kafka.mkdir(parents=True, exist_ok=True)
    props = paths.kafka / "server.properties"
    props.write_text(server_properties(paths, port, cport, sasl_port))
    log4j = paths.kafka / "log4j2.xml"
    log4j.write_text(LOG4J2.replace("{log}", str(paths.kafka_log)))
    cp = f"{libs}/*"
    sec = state.section("kafka")
    if not (paths.kafka / "data" / "meta.properties").exists():
        cluster_id = sec.get("cluster_id") or random_cluster_id()
        sec["cluster_id"] = cluster_id
        sec["formatted_with"] = version
        state.save()
        res = subprocess.run(
            [exe, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", f"-Dlog4j2.configurationFile={log4j}", "-cp", cp,
             "kafka.tools.StorageTool", "format", "--standalone", "-t", cluster_id, "-c", str(props)],
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if res.returncode != 0:
            raise StackError(
                f"formatting Kafka storage failed (exit {res.returncode})",
                f"delete {paths.kafka / 'data'} and try again",
                details="\n".join((res.stdout + res.stderr).strip().splitlines()[-15:]),
            )
    sec["version"] = version
    state.save()
    argv = [
        exe, f"-Xms{heap[0]}", f"-Xmx{heap[1]}", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true", f"-Dkafka.logs.dir={paths.kafka}", f"-Dlog4j2.configurationFile={log4j}",
        "-cp", cp, "kafka.Kafka", str(props),
    ]  # fmt: skip
    proc = start_detached(argv, log=paths.kafka_stdout, pid_file=paths.kafka_pid, env=os.environ, cwd=paths.kafka)
    return proc.pid


def random_cluster_id() -> str:
    """A cluster id as Kafka's Uuid.randomUuid() makes them (base64url of 16 random bytes, no padding), made here:
    a JVM start for `StorageTool random-uuid` costs seconds. Like Kafka, never one starting with '-' (it would
    read as a command-line flag)."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def wait_ready(paths: Paths, pid: int, port: int, timeout: float = 180.0) -> None:
    """Ready when an admin client lists topics; StackError with the log's last lines otherwise."""
    from .procs import pid_alive

    deadline = time.monotonic() + timeout
    last_err = ""
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            raise StackError(
                "Kafka exited during start-up",
                f"see {paths.kafka_stdout} and {paths.kafka_log}",
                details=tail(paths.kafka_stdout, 20),
            )
        if port_answers(port):
            try:
                run_sync(lambda: list_topics(f"{HOST}:{port}", timeout_ms=5000))
                return
            except Exception as e:  # noqa: BLE001 - any failure means not ready yet
                last_err = f"{type(e).__name__}: {e}"
        time.sleep(0.5)
    raise StackError(
        f"Kafka did not become ready on {HOST}:{port} within {timeout:.0f} s ({last_err or 'no answer'})",
        f"see {paths.kafka_log}",
        details=tail(paths.kafka_stdout, 20),
    )


# ---------------------------------------------------------------- admin
async def list_topics(bootstrap: str, timeout_ms: int = 10000) -> list[str]:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms)
    await admin.start()
    try:
        topics: list[str] = await admin.list_topics()
        return topics
    finally:
        await admin.close()


async def ensure_topics(bootstrap: str, only: set[str] | None = None) -> list[str]:
    """Create every topic of kinerja_shared.topics.all_topic_specs() (or those named in `only`) that is missing
    (replication 1). Existing topics are left alone; returns notes (created count, partition mismatches).
    """
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from kinerja_shared.topics import all_topic_specs

    specs = [t for t in all_topic_specs() if only is None or t.name in only]
    notes: list[str] = []
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in specs if t.name not in existing]
        if missing:
            resp = await admin.create_topics(
                [NewTopic(t.name, t.partitions, 1, topic_configs=t.config()) for t in missing],
                timeout_ms=30000,
            )
            errors = [
                f"{err[0]}: error {err[1]} {err[2] if len(err) > 2 else ''}".strip()
                for err in resp.topic_errors
                if err[1] not in (0, 36)  # 36 = TOPIC_ALREADY_EXISTS (a concurrent creator)
            ]
            if errors:
                raise StackError("creating Kafka topics failed: " + "; ".join(errors))
            notes.append(f"created {len(missing)} topics")
        present = [t for t in specs if t.name in existing]
        if present:
            described = await admin.describe_topics([t.name for t in present])
            by_name = {d["topic"]: len(d["partitions"]) for d in described}
            for t in present:
                n = by_name.get(t.name)
                if n is not None and n != t.partitions:
                    notes.append(f"topic {t.name} has {n} partitions, registry says {t.partitions} (left alone)")
    finally:
        await admin.close()
    return notes
