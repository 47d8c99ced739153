"""How every service runs: `kinerja-<svc> api` (HTTP) and `kinerja-<svc> worker` (Kafka consumers + outbox relay).

Two entrypoints so ops scale them apart: the API on request load, the worker on consumer lag (KEDA), up to the
topic's partition count. Both run the service's migrations at start (serialised by an advisory lock) when an
owner URL is given, and both serve /health/live, /health/ready and /metrics.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import uvicorn
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import Histogram
from pydantic import ValidationError
from starlette.middleware import Middleware

import kinerja_shared.contracts  # noqa: F401 - registers every event type before any consumer decodes
from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.org import ActingSuperiorAssigned, AsnUpserted, RegencyUpserted, UnitUpserted
from kinerja_shared.contracts.schema import asyncapi_document
from kinerja_shared.db import create_pool, load_migrations, migrate, shared_migrations
from kinerja_shared.http import create_app, service_home_router
from kinerja_shared.logging import configure_logging, get_logger
from kinerja_shared.messaging import outbox_metrics
from kinerja_shared.messaging.consumer import BatchConsumer, BatchHandler, Received
from kinerja_shared.messaging.outbox import OutboxRelay
from kinerja_shared.policy import public
from kinerja_shared.readmodels.org import MIGRATIONS_DIR as ORG_MIGRATIONS
from kinerja_shared.readmodels.org import apply_org_facts
from kinerja_shared.settings import ServiceSettings
from kinerja_shared.topics import TOPICS

log = get_logger(__name__)


Handlers = Mapping[type[Event], BatchHandler]
# a long-running job of the worker process (e.g. a dispatcher); returns once `stop` is set
WorkerTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def dispatch(handlers: Handlers) -> BatchHandler:
    """One batch handler from handlers per event type; consecutive events of one type go together, in order.

    Types without a handler are facts for other readers of the same topic and are skipped (still deduped).
    """

    async def handle(conn: asyncpg.Connection, batch: Sequence[Received]) -> None:
        run: list[Received] = []
        current: BatchHandler | None = None
        for r in batch:
            h = handlers.get(type(r.event))
            if h is not current and run:
                assert current is not None
                await current(conn, run)
                run = []
            current = h
            if h is not None:
                run.append(r)
        if run and current is not None:
            await current(conn, run)

    return handle


HANDLED_BATCH = Histogram(
    "kinerja_consumer_batch_size",
    "New (not duplicate) events per handled batch",
    ["consumer"],
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000),
)
EVENT_AGE = Histogram(
    "kinerja_consumer_event_age_seconds",
    "From the event's ce_time to its handling: the fact-to-effect latency (for evaluation: score-update latency)",
    ["consumer"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)


def observed(consumer: str, handler: BatchHandler) -> BatchHandler:
    """Batch size and fact-to-effect latency metrics, and a DEBUG line per event carrying its trace id."""

    async def handle(conn: asyncpg.Connection, batch: Sequence[Received]) -> None:
        await handler(conn, batch)
        HANDLED_BATCH.labels(consumer).observe(len(batch))
        now = time.time()
        age = EVENT_AGE.labels(consumer)
        for r in batch:
            age.observe(max(0.0, now - r.envelope.time.timestamp()))
            tp = r.envelope.traceparent
            log.debug(
                "event handled",
                event_id=str(r.event_id),
                type=r.envelope.type,
                trace_id=tp.split("-")[1] if tp and tp.count("-") == 3 else None,
                topic=r.topic,
                partition=r.partition,
                offset=r.offset,
                attempt=r.attempt,
            )

    return handle


@dataclass(frozen=True)
class ServiceDefinition:
    """What makes one service: its name, package folder (migrations/, templates/), routes and subscriptions."""

    name: str
    title: str
    description: str
    package_dir: Path
    routers: Callable[[Runtime], Sequence[APIRouter]] = lambda _rt: ()
    handlers: Callable[[Runtime], Handlers] = lambda _rt: {}
    publishes: bool = True  # has an outbox to relay
    has_home: bool = False  # its routers serve GET / themselves
    org_read_model: bool = False  # keeps org_* tables from kinerja.org.v1
    # extra jobs the worker runs beside the consumer and relay, by name (readiness reports a stopped one)
    worker_tasks: Callable[[Runtime], Mapping[str, WorkerTask]] = lambda _rt: {}
    # API only: ASGI middleware run inside the shared security and observation layers, before routing (a public
    # form's flood can be refused there without the router's work; its answers still get the security headers)
    inner_middleware: Callable[[Runtime], Sequence[Middleware]] = lambda _rt: ()

    @property
    def consumes(self) -> tuple[str, ...]:
        """Topics this service's consumer group reads: the topic registry is the one source of truth."""
        return tuple(t.name for t in TOPICS if self.name in t.consumers)

    @property
    def migrations_dir(self) -> Path:
        return self.package_dir / "migrations"

    @property
    def templates_dir(self) -> Path:
        return self.package_dir / "templates"


@dataclass
class Runtime:
    """Per-process resources, opened by the app's lifespan and reachable from routes via `request.app.state`."""

    definition: ServiceDefinition
    settings: ServiceSettings
    pool: asyncpg.Pool | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    # resources a route opens lazily (e.g. a LISTEN connection) and the lifespan must close at shutdown
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def db(self) -> asyncpg.Pool:
        if self.pool is None:
            raise RuntimeError("database pool not open yet")
        return self.pool


def get_runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def get_pool(request: Request) -> asyncpg.Pool:
    return get_runtime(request).db()


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]


async def run_migrations(definition: ServiceDefinition, settings: ServiceSettings) -> list[str]:
    """Shared plumbing first, then the service's own files; a no-op when nothing is pending."""
    if not settings.migration_database_url:
        log.info("no MIGRATION_DATABASE_URL; assuming migrations ran elsewhere", service=definition.name)
        return []
    migrations = shared_migrations()
    if definition.org_read_model:
        migrations += load_migrations(ORG_MIGRATIONS, "shared-org")
    if definition.migrations_dir.is_dir():
        migrations += load_migrations(definition.migrations_dir, definition.name)
    return await migrate(settings.migration_database_url, migrations)


class KafkaProbe:
    """Readiness of the broker: one long-lived admin client answering a metadata request."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._settings = settings
        self._admin: AIOKafkaAdminClient | None = None

    async def kafka(self) -> None:
        if self._admin is None:
            admin = AIOKafkaAdminClient(**self._settings.kafka.client_kwargs(), request_timeout_ms=2000)
            await admin.start()
            self._admin = admin
        await self._admin.list_topics()

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()


def _asyncapi_router(service: str) -> APIRouter:
    router = APIRouter(tags=["contracts"], dependencies=[public("published event contracts")])

    @router.get("/asyncapi.json", name="asyncapi", include_in_schema=False)
    async def asyncapi() -> JSONResponse:
        """The AsyncAPI 3.0 document of the events this service sends and receives."""
        return JSONResponse(asyncapi_document(service))

    return router


def build_app(definition: ServiceDefinition, settings: ServiceSettings, *, worker: bool) -> FastAPI:
    """The API app, or (worker=True) the worker's probe/metrics app whose lifespan runs consumers and relay."""
    rt = Runtime(definition, settings)
    probe = KafkaProbe(settings)

    async def postgres() -> None:
        await rt.db().fetchval("SELECT 1")

    checks: list[Callable[[], Any]] = [postgres, probe.kafka]

    async def workers() -> None:
        dead = [name for name, t in rt.extras.get("tasks", {}).items() if t.done()]
        if dead:
            raise RuntimeError(f"stopped: {', '.join(dead)}")

    if worker:
        checks.append(workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_migrations(definition, settings)
        rt.pool = await create_pool(settings.database_url, max_size=5)
        stop = asyncio.Event()
        tasks: dict[str, asyncio.Task[None]] = {}
        rt.extras["tasks"] = tasks
        if worker:
            if definition.publishes:
                relay = OutboxRelay(
                    rt.pool,
                    settings.database_url,
                    settings.kafka,
                    service=definition.name,
                    batch_size=settings.outbox_batch_size,
                )
                tasks["outbox-relay"] = asyncio.create_task(relay.run(stop), name="outbox-relay")
                tasks["outbox-metrics"] = asyncio.create_task(
                    outbox_metrics.observe(rt.pool, definition.name, stop), name="outbox-metrics"
                )
            if definition.consumes:
                consumer = BatchConsumer(
                    name=definition.name,
                    pool=rt.pool,
                    kafka=settings.kafka,
                    topics=definition.consumes,
                    handler=observed(definition.name, dispatch(all_handlers(definition, rt))),
                    batch_size=settings.consumer_batch_size,
                    batch_wait_ms=settings.consumer_batch_wait_ms,
                )
                tasks["consumer"] = asyncio.create_task(_supervise(consumer, stop), name="consumer")
            for task_name, job in definition.worker_tasks(rt).items():
                tasks[task_name] = asyncio.create_task(job(stop), name=task_name)
        try:
            yield
        finally:
            # SIGTERM: uvicorn stops accepting, then we stop fetching, finish the batch, commit, close
            stop.set()
            if tasks:
                await asyncio.wait(tasks.values(), timeout=30)
            for close in reversed(rt.closers):
                with contextlib.suppress(Exception):
                    await close()
            rt.closers.clear()
            await probe.close()
            await rt.pool.close()

    title = f"{definition.title} ({'worker' if worker else 'API'})"
    routers: list[APIRouter] = [_asyncapi_router(definition.name)]
    if not worker:
        routers += list(definition.routers(rt))
        if not definition.has_home:
            routers.append(
                service_home_router(definition.title, definition.description, asyncapi_path="/asyncapi.json")
            )
    app = create_app(
        settings,
        title=title,
        description=definition.description,
        readiness=checks,
        lifespan=lifespan,
        routers=routers,
        template_dirs=[definition.templates_dir] if definition.templates_dir.is_dir() else [],
    )
    if not worker:
        app.user_middleware.extend(definition.inner_middleware(rt))  # the list's end is the innermost layer
    app.state.runtime = rt
    return app


def all_handlers(definition: ServiceDefinition, rt: Runtime) -> dict[type[Event], BatchHandler]:
    """The service's handlers plus the shared org read model's, if it keeps one."""
    handlers: dict[type[Event], BatchHandler] = {}
    if definition.org_read_model:
        handlers |= dict.fromkeys((RegencyUpserted, UnitUpserted, AsnUpserted, ActingSuperiorAssigned), apply_org_facts)
    handlers |= definition.handlers(rt)
    return handlers


async def _supervise(consumer: BatchConsumer, stop: asyncio.Event) -> None:
    """Keep a consumer running; a crash (e.g. broker gone) restarts it after a pause rather than killing it."""
    pause = 1.0
    while not stop.is_set():
        try:
            await consumer.run(stop)
        except Exception as e:
            log.exception("consumer crashed; restarting", consumer=consumer.name, error=str(e))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
            pause = min(pause * 2, 30.0)


def main(definition: ServiceDefinition, settings_cls: type[ServiceSettings], argv: Sequence[str] | None = None) -> None:
    """The `kinerja-<svc>` command."""
    parser = argparse.ArgumentParser(prog=f"kinerja-{definition.name}", description=definition.description)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("api", help="serve the HTTP API and pages")
    sub.add_parser("worker", help="run the Kafka consumers and the outbox relay (+ health/metrics)")
    sub.add_parser("migrate", help="apply pending migrations and exit")
    sub.add_parser("asyncapi", help="print the AsyncAPI 3.0 document")
    args = parser.parse_args(argv)
    try:
        settings = settings_cls()
    except ValidationError as e:
        err = e.errors()[0]
        field_name = ".".join(str(p) for p in err["loc"]) or "settings"
        sys.exit(f"kinerja-{definition.name}: bad configuration: {field_name}: {err['msg']} (check the environment)")
    configure_logging(definition.name, settings.log_level)
    if args.command == "asyncapi":
        sys.stdout.write(json.dumps(asyncapi_document(definition.name), indent=2) + "\n")
        return
    if args.command == "migrate":
        applied = asyncio.run(run_migrations(definition, settings))
        log.info("migrations done", applied=applied)
        return
    if not settings.database_url:
        sys.exit(f"kinerja-{definition.name}: DATABASE_URL (or {definition.name.upper()}_DATABASE_URL) is not set")
    worker = args.command == "worker"
    app = build_app(definition, settings, worker=worker)
    port = settings.worker_http_port if worker else settings.http_port
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=port,
        log_config=None,
        access_log=False,  # RequestObservation logs each request without query strings
        proxy_headers=True,
        timeout_graceful_shutdown=20,
    )
    _Server(config).run()


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM after a graceful shutdown (exit -15); a clean stop should exit 0."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
