"""Rebuild the scoring read model from the topics, from offset 0, into a fresh schema; optionally compare it with
the live one (issue 7, item 6).

    python -m kinerja_evaluation.entrypoints.scoring_replay --compare [--keep] [--batch 5000]

Needs MIGRATION_DATABASE_URL (the owner: it creates the schema) and the usual Kafka settings. The fresh schema gets
the plumbing, the org read model, and the engine's own migrations (0001 and 0100+); master data and configuration
(issue 4's regency_config, asn, unit) are not facts on a topic and are read from the live schema. Compare while the
live consumer is caught up (lag 0), or in-flight events show as differences. Exit code 1 when they differ.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from kinerja_evaluation.bootstrap import DEFINITION
from kinerja_evaluation.settings import EvaluationSettings
from kinerja_shared.contracts.envelope import Envelope
from kinerja_shared.db import ALL_REGENCIES, Migration, create_pool, load_migrations, migrate, set_tenant
from kinerja_shared.db import shared_migrations as plumbing
from kinerja_shared.errors import PermanentHandlerError, PoisonMessage
from kinerja_shared.messaging.consumer import Received
from kinerja_shared.messaging.inbox import claim
from kinerja_shared.readmodels.org import MIGRATIONS_DIR as ORG_MIGRATIONS
from kinerja_shared.runtime import Runtime, all_handlers, dispatch
from kinerja_shared.settings import KafkaSettings, ServiceSettings

CONSUMER = "evaluation"
# the read model: (table, columns compared); `changes` counts publications, which depend on batch boundaries
COMPARED: tuple[tuple[str, str], ...] = (
    ("scoring_period", "*"),
    ("scoring_score", "asn_id, period, regency_id, status, score, predikat, hasil_capaian, inputs, detail"),
    ("scoring_skp", "*"),
    ("scoring_indicator", "*"),
    ("scoring_realisasi", "*"),
    ("scoring_activity", "*"),
    ("scoring_attendance", "*"),
    ("scoring_peer", "*"),
    ("scoring_assessment", "*"),
    ("scoring_innovation", "*"),
    ("scoring_unit_survey", "*"),
    ("scoring_complaint", "*"),
    ("activity_minutes", "*"),
    ("org_unit", "*"),
    ("org_asn", "*"),
)


def engine_migrations() -> list[Migration]:
    """Plumbing, org read model, and the service's event-built tables (0001, 0100+), not issue 4's write model."""
    out: list[Migration] = list(plumbing())
    out += load_migrations(ORG_MIGRATIONS, "shared-org")
    for m in load_migrations(DEFINITION.migrations_dir, DEFINITION.name):
        number = int(m.name.split("/")[1][:4])
        if number == 1 or number >= 100:
            out.append(m)
    return out


def with_search_path(dsn: str, schema: str) -> str:
    # asyncpg passes unknown DSN parameters to the server as settings
    sep = "&" if "?" in dsn else "?"
    return f"{dsn}{sep}search_path={quote(f'{schema},public')}"


@dataclass
class TableDiff:
    table: str
    live: int
    replayed: int
    only_live: int
    only_replayed: int

    @property
    def equal(self) -> bool:
        return self.only_live == 0 and self.only_replayed == 0


@dataclass
class ReplayReport:
    schema: str
    events: int = 0
    applied: int = 0
    rejected: int = 0
    seconds: float = 0.0
    diffs: list[TableDiff] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return all(d.equal for d in self.diffs)


async def _partitions(consumer: AIOKafkaConsumer, topics: Sequence[str]) -> list[TopicPartition]:
    tps: list[TopicPartition] = []
    for t in topics:
        parts = consumer.partitions_for_topic(t)
        if not parts:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - metadata of unassigned topics
            parts = consumer.partitions_for_topic(t) or set()
        tps += [TopicPartition(t, p) for p in sorted(parts)]
    return tps


async def _apply(pool: asyncpg.Pool, handler: object, batch: list[Received], report: ReplayReport) -> None:
    async def once(items: list[Received]) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await set_tenant(conn, ALL_REGENCIES)
            fresh = await claim(conn, CONSUMER, [r.event_id for r in items])
            todo = []
            for r in items:
                if r.event_id in fresh:
                    todo.append(r)
                    fresh.discard(r.event_id)
            if todo:
                await handler(conn, todo)  # type: ignore[operator]
            report.applied += len(todo)

    try:
        await once(batch)
    except (PermanentHandlerError, PoisonMessage, asyncpg.PostgresError, ValueError):
        for r in batch:  # as the live consumer does: isolate the event that cannot apply (it is in the DLQ there)
            try:
                await once([r])
            except (PermanentHandlerError, PoisonMessage, ValueError):
                report.rejected += 1


async def replay(
    settings: ServiceSettings, *, compare: bool = True, keep: bool = False, batch_size: int = 5000
) -> ReplayReport:
    """Rebuild the read model into `replay_<time>` from offset 0 of the consumed topics; compare; drop unless kept."""
    owner = settings.migration_database_url
    if not owner:
        raise SystemExit("scoring replay: MIGRATION_DATABASE_URL (the database owner) is required")
    schema = f"replay_{datetime.now().strftime('%Y%m%d%H%M%S')}"
    report = ReplayReport(schema)
    started = time.monotonic()
    admin = await asyncpg.connect(owner)
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        dsn = with_search_path(owner, schema)
        await migrate(dsn, engine_migrations())
        pool = await create_pool(dsn, max_size=2)
        try:
            rt = Runtime(DEFINITION, settings, pool=pool)
            handler = dispatch(all_handlers(DEFINITION, rt))
            await _consume(settings.kafka, pool, handler, report, batch_size)
        finally:
            await pool.close()
        report.seconds = time.monotonic() - started
        if compare:
            report.diffs = await _compare(admin, schema)
    finally:
        if not keep:
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()
    return report


async def _consume(
    kafka: KafkaSettings, pool: asyncpg.Pool, handler: object, report: ReplayReport, batch_size: int
) -> None:
    consumer = AIOKafkaConsumer(**kafka.client_kwargs(), group_id=None, enable_auto_commit=False,
                                isolation_level="read_committed", max_poll_records=batch_size)  # fmt: skip
    await consumer.start()
    try:
        tps = await _partitions(consumer, [kafka.topic(t) for t in DEFINITION.consumes])
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)  # what was there when the replay began
        pending = {tp for tp in tps if ends[tp] > 0}
        while pending:
            got = await consumer.getmany(*pending, timeout_ms=1000, max_records=batch_size)
            batch: list[Received] = []
            for tp, records in got.items():
                for rec in records:
                    if rec.offset >= ends[tp]:
                        break
                    report.events += 1
                    try:
                        env = Envelope.from_kafka(rec.key, rec.value, rec.headers or ())
                        ev = env.decode()
                    except PoisonMessage:
                        report.rejected += 1
                        continue
                    batch.append(Received(env, ev, env.event_uuid(), tp.topic, rec.partition, rec.offset, 0))
            if batch:
                await _apply(pool, handler, batch, report)
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()


async def _compare(conn: asyncpg.Connection, schema: str) -> list[TableDiff]:
    await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")  # RLS is forced, even for the owner
    out = []
    for table, cols in COMPARED:
        live = f"SELECT {cols} FROM public.{table}"
        mine = f'SELECT {cols} FROM "{schema}".{table}'
        # jsonb compares by value; EXCEPT ALL keeps duplicates honest
        only_live = await conn.fetchval(f"SELECT count(*) FROM ({live} EXCEPT ALL {mine}) x")
        only_replayed = await conn.fetchval(f"SELECT count(*) FROM ({mine} EXCEPT ALL {live}) x")
        n_live = await conn.fetchval(f"SELECT count(*) FROM public.{table}")  # noqa: S608 - our constants
        n_mine = await conn.fetchval(f'SELECT count(*) FROM "{schema}".{table}')  # noqa: S608
        out.append(TableDiff(table, n_live, n_mine, only_live, only_replayed))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="kinerja-evaluation-replay", description=__doc__.split("\n")[0])
    parser.add_argument("--compare", action="store_true", help="compare the rebuilt read model with the live one")
    parser.add_argument("--keep", action="store_true", help="keep the replay schema for inspection")
    parser.add_argument("--batch", type=int, default=5000, help="events per transaction")
    args = parser.parse_args(argv)
    report = asyncio.run(replay(EvaluationSettings(), compare=args.compare, keep=args.keep, batch_size=args.batch))
    rate = report.events / report.seconds if report.seconds else 0.0
    out = sys.stdout.write
    out(f"replayed {report.events} events into {report.schema}: {report.applied} applied, "
          f"{report.rejected} rejected, {report.seconds:.1f} s ({rate:,.0f} events/s)\n")  # fmt: skip
    for d in report.diffs:
        mark = "sama" if d.equal else "BEDA"
        out(f"  {d.table:22} live {d.live:>9}  replay {d.replayed:>9}  only-live {d.only_live:>6}  "
              f"only-replay {d.only_replayed:>6}  {mark}\n")  # fmt: skip
    if args.compare:
        out("identical\n" if report.equal else "DIFFERENT\n")
        sys.exit(0 if report.equal else 1)


if __name__ == "__main__":
    main()
