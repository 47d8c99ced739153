"""Agency webhook subscriptions (province admins): create, change, pause/resume, deliveries, redeliver."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from kinerja_notify.domain.errors import UnknownEventType

# the SSRF guard of the caller's environment: raises UnsafeWebhookTarget
TargetCheck = Callable[[str], Awaitable[None]]


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True, slots=True)
class Subscription:
    id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    regency_ids: list[uuid.UUID]
    active: bool
    consecutive_failures: int
    paused_until: datetime | None
    created_by: str
    created_at: datetime
    pending: int = 0
    delivered: int = 0
    dead: int = 0


_SUB_COLS = """s.id, s.url, s.description, s.event_types, s.regency_ids, s.active, s.consecutive_failures,
               s.paused_until, s.created_by, s.created_at,
               (SELECT count(*) FROM webhook_delivery d WHERE d.subscription_id = s.id
                  AND d.status IN ('pending', 'delivering'))::int AS pending,
               (SELECT count(*) FROM webhook_delivery d WHERE d.subscription_id = s.id
                  AND d.status = 'delivered')::int AS delivered,
               (SELECT count(*) FROM webhook_delivery d WHERE d.subscription_id = s.id AND d.status = 'dead')::int
                  AS dead"""


def _sub(r: asyncpg.Record) -> Subscription:
    return Subscription(
        r["id"], r["url"], r["description"], list(r["event_types"]), list(r["regency_ids"]), r["active"],
        r["consecutive_failures"], r["paused_until"], r["created_by"], r["created_at"], r["pending"],
        r["delivered"], r["dead"],
    )  # fmt: skip


def _check_types(event_types: Sequence[str], known: Sequence[str]) -> None:
    bad = sorted(set(event_types) - set(known))
    if bad or not event_types:
        raise UnknownEventType(
            f"jenis peristiwa tidak dikenal: {', '.join(bad)}" if bad else "pilih minimal satu jenis peristiwa"
        )


async def create_subscription(
    pool: asyncpg.Pool,
    *,
    url: str,
    description: str,
    event_types: Sequence[str],
    regency_ids: Sequence[uuid.UUID],
    created_by: str,
    known_types: Sequence[str],
    check_target: TargetCheck,
) -> tuple[Subscription, str]:
    """A new subscription and its signing secret (shown once to the admin)."""
    _check_types(event_types, known_types)
    await check_target(url)
    secret = new_secret()
    sid = uuid.uuid4()
    async with pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO webhook_subscription (id, url, description, event_types, regency_ids, secret, created_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            sid, url.strip(), description, sorted(set(event_types)), list(dict.fromkeys(regency_ids)), secret,
            created_by,
        )  # fmt: skip
        sub = await get_subscription(pool, sid)
    assert sub is not None
    return sub, secret


async def list_subscriptions(pool: asyncpg.Pool) -> list[Subscription]:
    return [_sub(r) for r in await pool.fetch(f"SELECT {_SUB_COLS} FROM webhook_subscription s ORDER BY created_at")]  # noqa: S608


async def get_subscription(pool: asyncpg.Pool, sid: uuid.UUID) -> Subscription | None:
    r = await pool.fetchrow(f"SELECT {_SUB_COLS} FROM webhook_subscription s WHERE s.id = $1", sid)  # noqa: S608
    return _sub(r) if r else None


async def update_subscription(
    pool: asyncpg.Pool,
    sid: uuid.UUID,
    *,
    url: str | None,
    description: str | None,
    event_types: Sequence[str] | None,
    regency_ids: Sequence[uuid.UUID] | None,
    active: bool | None,
    known_types: Sequence[str],
    check_target: TargetCheck,
) -> Subscription | None:
    if event_types is not None:
        _check_types(event_types, known_types)
    if url is not None:
        await check_target(url)
    status = await pool.execute(
        """UPDATE webhook_subscription SET url = coalesce($2, url), description = coalesce($3, description),
             event_types = coalesce($4, event_types), regency_ids = coalesce($5, regency_ids),
             active = coalesce($6, active)
           WHERE id = $1""",
        sid,
        url.strip() if url else None,
        description,
        sorted(set(event_types)) if event_types is not None else None,
        list(regency_ids) if regency_ids is not None else None,
        active,
    )
    return None if status == "UPDATE 0" else await get_subscription(pool, sid)


async def delete_subscription(pool: asyncpg.Pool, sid: uuid.UUID) -> bool:
    status: str = await pool.execute("DELETE FROM webhook_subscription WHERE id = $1", sid)
    return status != "DELETE 0"


async def resume(pool: asyncpg.Pool, sid: uuid.UUID) -> bool:
    """Close the circuit by hand (the agency fixed its endpoint): deliveries go out again right away."""
    status: str = await pool.execute(
        "UPDATE webhook_subscription SET consecutive_failures = 0, paused_until = NULL, active = true WHERE id = $1",
        sid,
    )
    if status != "UPDATE 0":
        await pool.execute(
            "UPDATE webhook_delivery SET next_attempt_at = now() WHERE subscription_id = $1 AND status = 'pending'",
            sid,
        )
        await pool.execute("SELECT pg_notify('kinerja_dispatch', 'webhook_delivery')")
    return status != "UPDATE 0"


async def rotate_secret(pool: asyncpg.Pool, sid: uuid.UUID) -> str | None:
    secret = new_secret()
    status = await pool.execute("UPDATE webhook_subscription SET secret = $2 WHERE id = $1", sid, secret)
    return None if status == "UPDATE 0" else secret


@dataclass(frozen=True, slots=True)
class Attempt:
    attempt: int
    at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    response: str | None


@dataclass(frozen=True, slots=True)
class Delivery:
    id: uuid.UUID  # the webhook-id
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    regency_id: uuid.UUID
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    log: tuple[Attempt, ...] = ()


def _delivery(r: asyncpg.Record, log: Sequence[Attempt] = ()) -> Delivery:
    return Delivery(
        r["id"], r["subscription_id"], r["event_id"], r["event_type"], r["regency_id"], r["status"], r["attempts"],
        r["next_attempt_at"], r["last_status"], r["last_error"], r["created_at"], r["delivered_at"], tuple(log),
    )  # fmt: skip


async def deliveries(
    pool: asyncpg.Pool, sid: uuid.UUID | None, *, status: str | None = None, limit: int = 50, with_log: bool = True
) -> list[Delivery]:
    """Latest deliveries of one subscription (or all, e.g. the DLQ: status='dead'), each with its attempt log."""
    rows = await pool.fetch(
        """SELECT id, subscription_id, event_id, event_type, regency_id, status, attempts, next_attempt_at,
                  last_status, last_error, created_at, delivered_at
           FROM webhook_delivery WHERE ($1::uuid IS NULL OR subscription_id = $1) AND ($2::text IS NULL OR status = $2)
           ORDER BY created_at DESC, id LIMIT $3""",
        sid,
        status,
        limit,
    )
    logs: dict[uuid.UUID, list[Attempt]] = {}
    if with_log and rows:
        for a in await pool.fetch(
            """SELECT delivery_id, attempt, at, duration_ms, status_code, error, response FROM webhook_attempt
               WHERE delivery_id = ANY($1::uuid[]) ORDER BY id""",
            [r["id"] for r in rows],
        ):
            logs.setdefault(a["delivery_id"], []).append(
                Attempt(a["attempt"], a["at"], a["duration_ms"], a["status_code"], a["error"], a["response"])
            )
    return [_delivery(r, logs.get(r["id"], ())) for r in rows]


async def redeliver(pool: asyncpg.Pool, delivery_id: uuid.UUID) -> Delivery | None:
    """Send a delivery again now, same webhook-id and body (the receiver dedupes if it had it already)."""
    r = await pool.fetchrow(
        """UPDATE webhook_delivery SET status = 'pending', next_attempt_at = now(), lease_until = NULL
           WHERE id = $1 AND status <> 'delivering'
           RETURNING id, subscription_id, event_id, event_type, regency_id, status, attempts, next_attempt_at,
                     last_status, last_error, created_at, delivered_at""",
        delivery_id,
    )
    if r is not None:
        await pool.execute("SELECT pg_notify('kinerja_dispatch', 'webhook_delivery')")
    return _delivery(r) if r else None
