"""Sends queued e-mail: claim (recorded) → SMTP → record the outcome. Runs in the worker, not in the consumer.

Crash behaviour, exactly:
- The consumer writes each (notification, recipient) e-mail row once (unique key + inbox), in the same
  transaction as the inbox item. A consumer crash before that commit redelivers the batch and writes it then;
  after it, the redelivery is a no-op. So the consumer's crash window never duplicates or loses an e-mail.
- The dispatcher commits the claim (status 'sending', attempt counted, lease) BEFORE talking SMTP and the
  outcome AFTER. A crash between the two leaves 'sending' rows; when their lease ends they are sent again
  under the same Message-ID. So a duplicate is possible only for messages the SMTP server accepted in the
  last moments before the crash and not yet recorded: at most one claimed batch (`email_batch`) per dead
  dispatcher, and every such resend shows as attempts > 1 on its row.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from prometheus_client import Counter

from kinerja_notify.domain.email import DigestItem, compose_digest
from kinerja_notify.domain.ratelimit import DomainRateLimiter
from kinerja_notify.domain.webhooks import retry_delay
from kinerja_notify.service.intake import Links
from kinerja_notify.service.ports import MailSender, OutgoingMail, SendOutcome
from kinerja_shared.db import ALL_REGENCIES, set_tenant
from kinerja_shared.logging import get_logger

log = get_logger(__name__)

EMAILS = Counter("kinerja_notify_emails_total", "E-mail send outcomes", ["outcome"])

_CLAIM = """
WITH c AS (
    SELECT id FROM email_delivery
    WHERE digest = $3 AND ((status = 'pending' AND due_at <= now()) OR (status = 'sending' AND lease_until < now()))
    ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
UPDATE email_delivery e
SET status = 'sending', attempts = e.attempts + 1, lease_until = now() + make_interval(secs => $2)
FROM c WHERE e.id = c.id
RETURNING e.id, e.regency_id, e.notification_id, e.recipient_id, e.address, e.domain, e.subject, e.body_text,
          e.body_html, e.attempts
"""


@dataclass(frozen=True, slots=True)
class EmailPolicy:
    batch: int
    max_attempts: int
    lease_s: float
    retry_base_s: float
    retry_max_s: float
    message_domain: str


class EmailDispatcher:
    """One per worker process; several processes may run side by side (SKIP LOCKED keeps them apart)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        sender: MailSender,
        limiter: DomainRateLimiter,
        policy: EmailPolicy,
        links: Links,
        *,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._pool = pool
        self._sender = sender
        self._limiter = limiter
        self._p = policy
        self._links = links
        self._clock = clock
        self._rand = rand

    def message_id(self, delivery_id: uuid.UUID, prefix: str = "") -> str:
        return f"<{prefix}{delivery_id}@{self._p.message_domain}>"

    async def step(self) -> bool:
        """Send one batch of due instant e-mail and due digests; True when a full batch was claimed."""
        full = await self._instant()
        full_digest = await self._digests()
        return full or full_digest

    async def _claim(self, digest: bool) -> list[asyncpg.Record]:
        async with self._pool.acquire() as conn, conn.transaction():
            await set_tenant(conn, ALL_REGENCIES)
            return list(await conn.fetch(_CLAIM, self._p.batch, self._p.lease_s, digest))

    def _throttle(self, rows: list[asyncpg.Record]) -> tuple[list[asyncpg.Record], list[tuple[uuid.UUID, float]]]:
        now = self._clock()
        go, wait = [], []
        for r in rows:
            w = self._limiter.take(r["domain"], now)
            if w > 0:
                wait.append((r["id"], w))
            else:
                go.append(r)
        return go, wait

    async def _instant(self) -> bool:
        rows = await self._claim(False)
        if not rows:
            return False
        go, wait = self._throttle(rows)
        mails = [
            OutgoingMail(r["address"], r["subject"], r["body_text"], r["body_html"], self.message_id(r["id"]))
            for r in go
        ]
        outcomes = await self._sender.send_many(mails, self._links.settings_url) if mails else []
        await self._record(go, outcomes, wait, [m.message_id for m in mails])
        return len(rows) >= self._p.batch

    async def _digests(self) -> bool:
        rows = await self._claim(True)
        if not rows:
            return False
        by_person: dict[uuid.UUID, list[asyncpg.Record]] = defaultdict(list)
        for r in rows:
            by_person[r["recipient_id"]].append(r)
        async with self._pool.acquire() as conn, conn.transaction():
            await set_tenant(conn, ALL_REGENCIES)
            items = {
                (i["notification_id"], i["recipient_id"]): i
                for i in await conn.fetch(
                    """SELECT i.id, i.notification_id, i.recipient_id, i.title, i.body
                       FROM inbox_item i JOIN unnest($1::uuid[], $2::uuid[]) AS k(n, r)
                         ON i.notification_id = k.n AND i.recipient_id = k.r""",
                    [r["notification_id"] for r in rows],
                    [r["recipient_id"] for r in rows],
                )
            }
            names = {
                a["asn_id"]: a["name"]
                for a in await conn.fetch(
                    "SELECT asn_id, name FROM org_asn WHERE asn_id = ANY($1::uuid[])", list(by_person)
                )
            }
        heads: list[asyncpg.Record] = []
        mails: list[OutgoingMail] = []
        groups: list[list[asyncpg.Record]] = []
        for person, group in by_person.items():
            entries = []
            for r in group:
                it = items.get((r["notification_id"], r["recipient_id"]))
                if it is not None:
                    entries.append(DigestItem(it["title"], it["body"], self._links.open_url(it["id"])))
            content = compose_digest(names.get(person, ""), entries, self._links.settings_url)
            first = min(group, key=lambda r: r["id"])
            heads.append(first)
            groups.append(group)
            # the same set of rows re-sent after a crash carries the same Message-ID
            mails.append(
                OutgoingMail(
                    first["address"],
                    content.subject,
                    content.text,
                    content.html,
                    self.message_id(first["id"], "digest-"),
                )
            )
        go_heads, wait = self._throttle(heads)
        go_ids = {h["id"] for h in go_heads}
        send = [(m, g) for m, h, g in zip(mails, heads, groups, strict=True) if h["id"] in go_ids]
        outcomes = await self._sender.send_many([m for m, _ in send], self._links.settings_url) if send else []
        rows_out: list[asyncpg.Record] = []
        outs: list[SendOutcome] = []
        ids: list[str] = []
        for (m, g), o in zip(send, outcomes, strict=True):
            for r in g:
                rows_out.append(r)
                outs.append(o)
                ids.append(m.message_id)
        group_of = {h["id"]: g for h, g in zip(heads, groups, strict=True)}
        waits = [(r["id"], w) for head_id, w in wait for r in group_of[head_id]]
        await self._record(rows_out, outs, waits, ids)
        return len(rows) >= self._p.batch

    async def _record(
        self,
        rows: list[asyncpg.Record],
        outcomes: list[SendOutcome],
        wait: list[tuple[uuid.UUID, float]],
        message_ids: list[str],
    ) -> None:
        ids, statuses, codes, texts, delays = [], [], [], [], []
        bounces = []
        for r, o, _mid in zip(rows, outcomes, message_ids, strict=True):
            ids.append(r["id"])
            codes.append(o.code)
            texts.append(o.message[:500])
            if o.ok:
                statuses.append("sent")
                delays.append(0.0)
                EMAILS.labels("sent").inc()
            elif o.permanent:
                statuses.append("bounced")
                delays.append(0.0)
                bounces.append(r)
                EMAILS.labels("bounced").inc()
            elif r["attempts"] >= self._p.max_attempts:
                statuses.append("failed")
                delays.append(0.0)
                EMAILS.labels("failed").inc()
            else:
                statuses.append("pending")
                delays.append(
                    retry_delay(
                        r["attempts"], base_s=self._p.retry_base_s, max_s=self._p.retry_max_s, jitter=self._rand()
                    )
                )
                EMAILS.labels("retry").inc()
        async with self._pool.acquire() as conn, conn.transaction():
            await set_tenant(conn, ALL_REGENCIES)
            if ids:
                await conn.execute(
                    """UPDATE email_delivery e SET status = v.s, smtp_code = v.c, smtp_message = v.m,
                         lease_until = NULL,
                         sent_at = CASE WHEN v.s = 'sent' THEN now() END,
                         sent_as = CASE WHEN v.s = 'sent' THEN v.mid END,
                         due_at = CASE WHEN v.s = 'pending' THEN now() + make_interval(secs => v.d) ELSE e.due_at END
                       FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::float8[], $6::text[])
                            AS v(id, s, c, m, d, mid)
                       WHERE e.id = v.id""",
                    ids,
                    statuses,
                    codes,
                    texts,
                    delays,
                    message_ids,
                )
            if wait:
                # held back by the domain's rate: not an attempt, back in the queue when the bucket allows
                EMAILS.labels("deferred").inc(len(wait))
                await conn.execute(
                    """UPDATE email_delivery e SET status = 'pending', attempts = e.attempts - 1, lease_until = NULL,
                         due_at = now() + make_interval(secs => v.d)
                       FROM unnest($1::uuid[], $2::float8[]) AS v(id, d) WHERE e.id = v.id""",
                    [w[0] for w in wait],
                    [w[1] for w in wait],
                )
            if bounces:
                outcome_of = {r["id"]: o for r, o in zip(rows, outcomes, strict=True)}
                await conn.executemany(
                    """INSERT INTO email_bounce (regency_id, delivery_id, address, hard, smtp_code, reason)
                       VALUES ($1, $2, $3, true, $4, $5)""",
                    [
                        (
                            b["regency_id"],
                            b["id"],
                            b["address"],
                            outcome_of[b["id"]].code,
                            outcome_of[b["id"]].message[:500],
                        )
                        for b in bounces
                    ],
                )
                await conn.executemany(
                    "INSERT INTO email_suppression (address, reason) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    [(b["address"], f"hard bounce {outcome_of[b['id']].code}") for b in bounces],
                )
