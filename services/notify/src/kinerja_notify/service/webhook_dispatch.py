"""Delivers queued webhooks: claim (recorded) → signed POST → log the attempt, schedule a retry or give up.

Each delivery row's id is its `webhook-id`, the same on every attempt and redelivery, so receivers dedupe.
Guarantee: at least once per (subscription, public event). A crash between the claim and the record leaves
the row 'delivering' until its lease ends; it is then sent again (logged as an interrupted attempt).
Failures back off exponentially with jitter; after `max_attempts` the delivery is dead (the webhook DLQ,
listed for admins, redeliverable). `threshold` failures in a row open the endpoint's circuit (paused).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from prometheus_client import Counter
from standardwebhooks import Webhook

from kinerja_notify.domain.webhooks import Circuit, retry_delay
from kinerja_notify.service.ports import PostOutcome, WebhookPoster
from kinerja_shared.logging import get_logger

log = get_logger(__name__)

WEBHOOKS = Counter("kinerja_notify_webhook_attempts_total", "Webhook attempt outcomes", ["outcome"])

_CANDIDATES = """
SELECT id FROM (
    SELECT d.id, d.next_attempt_at,
           row_number() OVER (PARTITION BY d.subscription_id ORDER BY d.next_attempt_at, d.id) AS rn,
           s.consecutive_failures >= $2 AS probing
    FROM webhook_delivery d JOIN webhook_subscription s ON s.id = d.subscription_id
    WHERE ((d.status = 'pending' AND d.next_attempt_at <= now()) OR (d.status = 'delivering' AND d.lease_until < now()))
      AND s.active AND (s.paused_until IS NULL OR s.paused_until <= now())
) c
WHERE NOT probing OR rn = 1  -- a half-open circuit lets one delivery probe the endpoint
ORDER BY next_attempt_at LIMIT $1
"""

_CLAIM = """
WITH c AS (
    SELECT id, status AS was FROM webhook_delivery
    WHERE id = ANY($1::uuid[])
      AND ((status = 'pending' AND next_attempt_at <= now()) OR (status = 'delivering' AND lease_until < now()))
    FOR UPDATE SKIP LOCKED)
UPDATE webhook_delivery d
SET status = 'delivering', attempts = d.attempts + 1, lease_until = now() + make_interval(secs => $2)
FROM c WHERE d.id = c.id
RETURNING d.id, d.subscription_id, d.payload, d.attempts, c.was
"""


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    batch: int
    max_attempts: int
    lease_s: float
    retry_base_s: float
    retry_max_s: float
    circuit_threshold: int
    circuit_pause_s: float


def sign(secret: str, webhook_id: str, at: datetime, body: str) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt."""
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body),
    }


class WebhookDispatcher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        poster: WebhookPoster,
        policy: WebhookPolicy,
        *,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._pool = pool
        self._poster = poster
        self._p = policy
        self._rand = rand

    async def step(self) -> bool:
        """Deliver one batch; True when a full batch was claimed (more may be due)."""
        async with self._pool.acquire() as conn, conn.transaction():
            ids = [r["id"] for r in await conn.fetch(_CANDIDATES, self._p.batch, self._p.circuit_threshold)]
            if not ids:
                return False
            rows = await conn.fetch(_CLAIM, ids, self._p.lease_s)
            if not rows:
                return False
            subs = {
                s["id"]: s
                for s in await conn.fetch(
                    "SELECT id, url, secret FROM webhook_subscription WHERE id = ANY($1::uuid[])",
                    list({r["subscription_id"] for r in rows}),
                )
            }
            interrupted = [r for r in rows if r["was"] == "delivering"]
            if interrupted:
                await conn.executemany(
                    """INSERT INTO webhook_attempt (delivery_id, attempt, at, duration_ms, error)
                       VALUES ($1, $2, now(), 0, $3)""",
                    [
                        (r["id"], r["attempts"] - 1, "terputus: pengirim berhenti sebelum mencatat hasil")
                        for r in interrupted
                    ],
                )
        at = datetime.now(UTC)

        async def one(r: asyncpg.Record) -> PostOutcome:
            s = subs[r["subscription_id"]]
            headers = sign(s["secret"], str(r["id"]), at, r["payload"])
            return await self._poster.post(s["url"], r["payload"], headers)

        outcomes = await asyncio.gather(*(one(r) for r in rows))
        await self._record(list(rows), list(outcomes), at)
        return len(ids) >= self._p.batch

    async def _record(self, rows: list[asyncpg.Record], outcomes: list[PostOutcome], at: datetime) -> None:
        ids, statuses, delays, codes, errors = [], [], [], [], []
        per_sub: dict[uuid.UUID, list[bool]] = defaultdict(list)
        for r, o in zip(rows, outcomes, strict=True):
            ok = o.status is not None and 200 <= o.status < 300
            per_sub[r["subscription_id"]].append(ok)
            ids.append(r["id"])
            codes.append(o.status)
            errors.append(None if ok else (o.error or f"HTTP {o.status}"))
            if ok:
                statuses.append("delivered")
                delays.append(0.0)
                WEBHOOKS.labels("delivered").inc()
            elif r["attempts"] >= self._p.max_attempts:
                statuses.append("dead")
                delays.append(0.0)
                WEBHOOKS.labels("dead").inc()
            else:
                d = retry_delay(
                    r["attempts"], base_s=self._p.retry_base_s, max_s=self._p.retry_max_s, jitter=self._rand()
                )
                if o.retry_after_s is not None:  # 429/503 may say when to come back
                    d = min(max(d, o.retry_after_s), self._p.retry_max_s)
                statuses.append("pending")
                delays.append(d)
                WEBHOOKS.labels("retry").inc()
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """INSERT INTO webhook_attempt (delivery_id, attempt, at, duration_ms, status_code, error, response)
                   SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::int[], $5::int[], $6::text[],
                                        $7::text[])""",
                ids,
                [r["attempts"] for r in rows],
                [at] * len(rows),
                [o.duration_ms for o in outcomes],
                codes,
                errors,
                [o.response for o in outcomes],
            )
            await conn.execute(
                """UPDATE webhook_delivery d SET status = v.s, last_status = v.c, last_error = v.e, lease_until = NULL,
                     delivered_at = CASE WHEN v.s = 'delivered' THEN now() ELSE d.delivered_at END,
                     next_attempt_at = CASE WHEN v.s = 'pending' THEN now() + make_interval(secs => v.d)
                                            ELSE d.next_attempt_at END
                   FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::int[], $5::text[]) AS v(id, s, d, c, e)
                   WHERE d.id = v.id""",
                ids,
                statuses,
                delays,
                codes,
                errors,
            )
            now = datetime.now(UTC)
            for s in await conn.fetch(
                "SELECT id, consecutive_failures, paused_until FROM webhook_subscription WHERE id = ANY($1::uuid[])"
                " ORDER BY id FOR UPDATE",
                list(per_sub),
            ):
                before = Circuit(s["consecutive_failures"], s["paused_until"])
                after = before.after(
                    per_sub[s["id"]],
                    threshold=self._p.circuit_threshold,
                    pause=timedelta(seconds=self._p.circuit_pause_s),
                    now=now,
                )
                if after != before:
                    if after.is_open(now) and not before.is_open(now):
                        log.warning(
                            "webhook endpoint paused", subscription=str(s["id"]), failures=after.consecutive_failures
                        )
                    await conn.execute(
                        "UPDATE webhook_subscription SET consecutive_failures = $2, paused_until = $3 WHERE id = $1",
                        s["id"],
                        after.consecutive_failures,
                        after.paused_until,
                    )
