"""`kinerja-ops`: what operators run against a live installation (docs/operations.md has the runbook).

Kafka comes from the same environment the services read (KAFKA_BOOTSTRAP_SERVERS, KAFKA_SASL_*,
KAFKA_TOPIC_NAMESPACE); databases are given per command. Every command prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from kinerja_shared.auth import Role
from kinerja_shared.contracts.org import RegencyUpserted
from kinerja_shared.db import ALL_REGENCIES, create_pool, provision_database, set_tenant, tenant_transaction
from kinerja_shared.messaging import outbox
from kinerja_shared.messaging.admin import ensure_topics
from kinerja_shared.ops import kafka_ops
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.topics import all_topic_specs

# regency ids derive from the Kemendagri code, so onboarding the same regency twice is the same upsert
REGENCY_NAMESPACE = uuid.UUID("6b696e65-726a-4172-8567-656e63790000")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def regency_id_for(code: str) -> uuid.UUID:
    return uuid.uuid5(REGENCY_NAMESPACE, f"regency:{code.strip()}")


def _out(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, default=str, indent=2) + "\n")


# ------------------------------------------------------------------------------------------ provisioning
async def cmd_topics(args: argparse.Namespace, kafka: KafkaSettings) -> dict[str, Any]:
    created = await ensure_topics(
        kafka,
        [
            type(t)(kafka.topic(t.name), t.owner, t.description, t.partitions, t.compacted, t.retention_ms)
            for t in all_topic_specs()
        ],
        replication=args.replication,
    )
    return {"created": created, "total": len(all_topic_specs())}


async def cmd_provision_db(args: argparse.Namespace, _kafka: KafkaSettings) -> dict[str, Any]:
    """Roles and database of one service (single-host installs; on Kubernetes CloudNativePG does this)."""
    svc = args.service
    owner, app = f"kinerja_{svc}_owner", f"kinerja_{svc}"
    owner_pw, app_pw = os.environ[args.owner_password_env], os.environ[args.app_password_env]
    conn = await asyncpg.connect(args.admin_url)
    try:
        for role, pw in ((owner, owner_pw), (app, app_pw)):
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if exists else "CREATE"
            # identifiers are fixed patterns; the password goes through quote_literal on the server
            literal = await conn.fetchval("SELECT quote_literal($1)", pw)
            await conn.execute(f'{verb} ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE PASSWORD {literal}')
    finally:
        await conn.close()
    await provision_database(args.admin_url, f"kinerja_{svc}", owner=owner, app_role=app)
    return {"database": f"kinerja_{svc}", "owner": owner, "app_role": app}


# ------------------------------------------------------------------------------------------ onboarding
async def cmd_onboard_regency(args: argparse.Namespace, _kafka: KafkaSettings) -> dict[str, Any]:
    """Publish the regency fact through the evaluation service's outbox; every service learns of the tenant."""
    regency_id = uuid.UUID(args.regency_id) if args.regency_id else regency_id_for(args.code)
    province_id = uuid.UUID(args.province_id) if args.province_id else regency_id_for(f"province:{args.province}")
    fact = RegencyUpserted(
        regency_id=regency_id,
        occurred_at=datetime.now(UTC),
        province_id=province_id,
        province_name=args.province,
        name=args.name,
        code=args.code,
    )
    pool = await create_pool(args.database_url, min_size=1, max_size=1)  # with the jsonb codec the outbox needs
    try:
        async with tenant_transaction(pool, [regency_id]) as conn:
            event_id = await outbox.add(conn, fact)
    finally:
        await pool.close()
    admin_claims = {
        "sub": args.admin_sub,
        "roles": [Role.ADMIN_BKPSDM.value],
        "regency_id": str(regency_id),
        "name": args.admin_name,
    }
    result: dict[str, Any] = {
        "regency_id": str(regency_id),
        "province_id": str(province_id),
        "event_id": str(event_id),
        "published_by": "the evaluation worker's outbox relay (kinerja.org.v1)",
        "admin": {
            "claims": admin_claims,
            "next": "create this user in the identity provider with these claims (roles, regency_id); "
            "the admin then sets periods, rules and the org structure in the evaluation pages",
        },
        "rules": "the regency starts on the national defaults (PermenPANRB 6/2022 tables); "
        "regency settings (periods, keberatan days, curve) are edited by its admin",
    }
    if args.dev_issuer_key:
        from kinerja_shared.devissuer import mint_token

        if os.environ.get("KINERJA_ENV") == "production":
            raise SystemExit("--dev-issuer-key is refused in production; use the identity provider")
        result["admin"]["dev_token"] = mint_token(
            Path(args.dev_issuer_key),
            sub=args.admin_sub,
            roles=[Role.ADMIN_BKPSDM],
            regency_id=regency_id,
            asn_id=None,
            name=args.admin_name,
            issuer=os.environ.get("JWT_ISSUER", "http://127.0.0.1/dev-issuer"),
            audience=os.environ.get("JWT_AUDIENCE", "kinerja"),
        )
    return result


# ------------------------------------------------------------------------------------------ DLQ
async def cmd_dlq_list(args: argparse.Namespace, kafka: KafkaSettings) -> dict[str, Any]:
    letters, _ = await kafka_ops.read_dead_letters(kafka, args.topic, args.group, from_beginning=args.all)
    return {
        "dlq": kafka.topic(f"{args.topic}.{args.group}.dlq"),
        "count": len(letters),
        "records": [d.summary() for d in letters],
    }


async def cmd_dlq_replay(args: argparse.Namespace, kafka: KafkaSettings) -> dict[str, Any]:
    return await kafka_ops.replay_dead_letters(
        kafka,
        args.topic,
        args.group,
        to=args.to,
        from_beginning=args.all,
        dry_run=args.dry_run,
        reason=args.reason,
    )


# ------------------------------------------------------------------------------------------ read models
async def cmd_rebuild(args: argparse.Namespace, kafka: KafkaSettings) -> dict[str, Any]:
    """Re-consume a topic into a stopped service: forget its inbox entries for that topic, reset its offsets."""
    state, members = await kafka_ops.group_state(kafka, args.service)
    if members and not args.force:
        raise SystemExit(
            f"group {args.service} has {members} live member(s) ({state}): scale the worker to 0 first "
            "(kubectl scale deploy/kinerja-<svc>-worker --replicas=0, and pause its ScaledObject)"
        )
    tables = [t for t in (args.truncate or "").split(",") if t]
    for t in tables:
        if not _IDENT.match(t):
            raise SystemExit(f"bad table name {t!r}")
    ids = await kafka_ops.topic_event_ids(kafka, args.topic)
    conn = await asyncpg.connect(args.database_url)
    try:
        async with conn.transaction():
            await set_tenant(conn, ALL_REGENCIES)  # RLS is forced even for the owner
            if tables:
                await conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables))
            forgotten = await conn.fetchval(
                "WITH d AS (DELETE FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[]) RETURNING 1)"
                " SELECT count(*) FROM d",
                args.service,
                ids,
            )
    finally:
        await conn.close()
    starts = await kafka_ops.reset_to_earliest(kafka, args.service, args.topic)
    return {
        "group": kafka.group(args.service),
        "topic": kafka.topic(args.topic),
        "truncated": tables,
        "events_on_topic": len(ids),
        "inbox_entries_forgotten": forgotten,
        "offsets": {str(tp.partition): off for tp, off in starts.items()},
        "next": "start the worker again; it re-applies the topic from these offsets",
    }


# ------------------------------------------------------------------------------------------ backups
def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: install the PostgreSQL client (apt-get install postgresql-client)")
    return found


def _pg_env(regency_ids: str) -> dict[str, str]:
    # tables FORCE row-level security, even for their owner: the tenant GUC decides which rows dump/restore see
    return os.environ | {"PGOPTIONS": f"-c kinerja.regency_ids={regency_ids}"}


async def cmd_backup_export(args: argparse.Namespace, _kafka: KafkaSettings) -> dict[str, Any]:
    """Custom-format dump of a service database: every regency, or (--regency) only that tenant's rows."""
    out = Path(args.out)
    cmd = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--enable-row-security"]
    scope = ALL_REGENCIES
    if args.regency:
        scope = str(uuid.UUID(args.regency))
        # relay and dedupe bookkeeping is not tenant data, and holds other regencies' events
        cmd += ["--exclude-table-data=outbox", "--exclude-table-data=inbox"]
    cmd += [f"--file={out}", args.database_url]
    proc = await asyncio.to_thread(
        subprocess.run, cmd, capture_output=True, text=True, timeout=3600, env=_pg_env(scope)
    )
    if proc.returncode != 0:
        raise SystemExit(f"pg_dump failed: {proc.stderr.strip()[-500:]}")
    size = (await asyncio.to_thread(out.stat)).st_size
    return {"file": str(out), "bytes": size, "regencies": scope}


async def cmd_backup_import(args: argparse.Namespace, _kafka: KafkaSettings) -> dict[str, Any]:
    """Restore into an existing (e.g. freshly provisioned) database as its owner; replaces what is there."""
    cmd = [
        _pg_tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={args.database_url}",
        args.file,
    ]
    proc = await asyncio.to_thread(
        subprocess.run, cmd, capture_output=True, text=True, timeout=3600, env=_pg_env(ALL_REGENCIES)
    )
    if proc.returncode != 0:
        raise SystemExit(f"pg_restore failed: {proc.stderr.strip()[-500:]}")
    return {"restored": args.file, "note": "app-role grants come from the owner's default privileges"}


# ------------------------------------------------------------------------------------------ keys
async def cmd_keys_jwks(args: argparse.Namespace, _kafka: KafkaSettings) -> dict[str, Any]:
    """A JWKS holding every given public key: serve old + new during a JWT signing-key rotation."""
    import jwt
    from cryptography.hazmat.primitives import serialization

    keys = []
    for path in args.public_key:
        pem = await asyncio.to_thread(Path(path).read_bytes)
        key = serialization.load_pem_public_key(pem)
        jwk: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key))  # type: ignore[arg-type]
        jwk |= {"kid": Path(path).stem, "use": "sig", "alg": "ES256"}
        keys.append(jwk)
    return {"keys": keys}


async def cmd_keys_pseudonym(_args: argparse.Namespace, _kafka: KafkaSettings) -> dict[str, Any]:
    """A new pseudonym key (HMAC-SHA256, 32 bytes) for the public topic; see docs/operations.md before using it."""
    import secrets

    return {"key_hex": secrets.token_hex(32), "key_id": datetime.now(UTC).strftime("%Y%m")}


# ------------------------------------------------------------------------------------------ CLI
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kinerja-ops", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("topics", help="create missing topics of the registry (idempotent)")
    t.add_argument("--replication", type=int, default=1)
    t.set_defaults(run=cmd_topics)

    d = sub.add_parser("provision-db", help="roles + database of one service (single-host installs)")
    d.add_argument("--service", required=True, choices=["activity", "evaluation", "feedback", "notify"])
    d.add_argument("--admin-url", required=True, help="a superuser URL")
    d.add_argument("--owner-password-env", required=True, help="env var holding the owner role's password")
    d.add_argument("--app-password-env", required=True, help="env var holding the app role's password")
    d.set_defaults(run=cmd_provision_db)

    o = sub.add_parser("onboard-regency", help="a new tenant: regency fact via evaluation's outbox, admin claims")
    o.add_argument("--database-url", required=True, help="evaluation's database (app role)")
    o.add_argument("--name", required=True, help="e.g. 'Kabupaten Tebo'")
    o.add_argument("--code", required=True, help="Kemendagri code, e.g. 15.09")
    o.add_argument("--province", required=True, help="e.g. 'Jambi'")
    o.add_argument("--province-id", help="UUID; derived from the province name if not given")
    o.add_argument("--regency-id", help="UUID; derived from the code if not given")
    o.add_argument("--admin-sub", required=True, help="the admin's subject in the identity provider")
    o.add_argument("--admin-name", default="Admin BKPSDM")
    o.add_argument("--dev-issuer-key", help="non-production only: mint the admin a token with the dev issuer")
    o.set_defaults(run=cmd_onboard_regency)

    dl = sub.add_parser("dlq", help="dead-letter queues").add_subparsers(dest="dlq_command", required=True)
    for name, fn, helptext in (
        ("list", cmd_dlq_list, "show dead letters not yet replayed"),
        ("replay", cmd_dlq_replay, "re-publish dead letters after a fix"),
    ):
        c = dl.add_parser(name, help=helptext)
        c.add_argument("--topic", required=True, help="the main topic, e.g. kinerja.activity.v1")
        c.add_argument("--group", required=True, help="the consumer group (service), e.g. evaluation")
        c.add_argument("--all", action="store_true", help="from the DLQ's start, not only what is new")
        if name == "replay":
            c.add_argument("--to", choices=["auto", "main", "retry"], default="auto")
            c.add_argument("--reason", help="only dead letters with this kinerja_dlq_reason")
            c.add_argument("--dry-run", action="store_true")
        c.set_defaults(run=fn)

    r = sub.add_parser("rebuild", help="re-consume a topic into a stopped service's read model")
    r.add_argument("--service", required=True)
    r.add_argument("--topic", required=True)
    r.add_argument("--database-url", required=True, help="the service's database, owner role")
    r.add_argument("--truncate", help="comma-separated tables to empty first (the read model)")
    r.add_argument("--force", action="store_true", help="even if the group has live members (not recommended)")
    r.set_defaults(run=cmd_rebuild)

    b = sub.add_parser("backup", help="pg_dump / pg_restore of a service database").add_subparsers(
        dest="backup_command", required=True
    )
    e = b.add_parser("export")
    e.add_argument("--database-url", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--regency", help="only this regency's rows (UUID); restore such a dump into a new database")
    e.set_defaults(run=cmd_backup_export)
    i = b.add_parser("import")
    i.add_argument("--database-url", required=True, help="the target database, owner role")
    i.add_argument("--file", required=True)
    i.set_defaults(run=cmd_backup_import)

    k = sub.add_parser("keys", help="key rotation helpers").add_subparsers(dest="keys_command", required=True)
    j = k.add_parser("jwks", help="JWKS of several PEM public keys (old + new during a rotation)")
    j.add_argument("--public-key", action="append", required=True)
    j.set_defaults(run=cmd_keys_jwks)
    ps = k.add_parser("pseudonym", help="generate a new pseudonym key")
    ps.set_defaults(run=cmd_keys_pseudonym)
    return p


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    kafka = KafkaSettings()
    _out(asyncio.run(args.run(args, kafka)))


if __name__ == "__main__":
    main()
