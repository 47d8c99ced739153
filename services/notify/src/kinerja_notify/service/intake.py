"""Consumer-side use cases: turn requests and public events into pending inbox, e-mail and webhook rows.

They run inside the consumer's inbox transaction (exactly-once effects). Nothing is sent here: the rows are
what the dispatchers send later, so a slow SMTP server or agency never holds a Kafka batch.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import asyncpg
import orjson
from pydantic import ValidationError

from kinerja_notify.domain.email import compose
from kinerja_notify.domain.errors import DomainError
from kinerja_notify.domain.messages import Message, check_request, render
from kinerja_notify.domain.routing import EmailMode, Subject, acting_on, digest_due, email_mode, recipients, route_for
from kinerja_notify.domain.routing import safe_link as _safe_link
from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.logging import get_logger
from kinerja_shared.web import JAKARTA

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Links:
    """Where e-mail links point: the public base URL plus the service's own paths."""

    base_url: str

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    @property
    def settings_url(self) -> str:
        return self.url("/notify/pengaturan")

    def open_url(self, item_id: uuid.UUID) -> str:
        return self.url(f"/notify/buka/{item_id}")


@dataclass(frozen=True, slots=True)
class IntakeResult:
    notifications: int
    inbox_items: int
    emails: int
    parked: int = 0


async def accept_requests(
    conn: asyncpg.Connection,
    requests: Sequence[NotificationRequested],
    *,
    now: datetime,
    links: Links,
    park: bool = True,
    parked_since: Mapping[uuid.UUID, datetime] | None = None,
) -> IntakeResult:
    """Record each new notification id once, put it in each recipient's inbox, queue e-mails per preference.

    A request whose subject, unit or recipients are not in the org read model yet is parked (`park`) rather
    than delivered short of a superior or an e-mail address; `release_parked` takes it up again.
    Raises a DomainError (UnknownKind, MissingTemplateVariable) before writing anything if one request can
    never be delivered; the consumer then retries the batch one by one and dead-letters only that request.
    """
    for r in requests:
        route = route_for(r.kind)
        check_request(r.kind, set(route.audiences), r.params)
    # a producer that retried at the application level sends the same notification id under a new event id
    delivered = {
        row["notification_id"]
        for row in await conn.fetch(
            "SELECT notification_id FROM notification WHERE notification_id = ANY($1::uuid[])",
            list({r.notification_id for r in requests}),
        )
    }
    todo: dict[uuid.UUID, NotificationRequested] = {}
    for r in requests:
        if r.notification_id not in delivered and r.notification_id not in todo:
            todo[r.notification_id] = r
    if not todo:
        return IntakeResult(0, 0, 0)
    subjects_ids = list({r.asn_id for r in todo.values()})
    regencies = list({r.regency_id for r in todo.values()})

    org = {
        row["asn_id"]: row
        for row in await conn.fetch(
            """SELECT a.asn_id, a.name, a.superior_id, a.unit_id, u.unit_id AS unit_known, u.head_asn_id
               FROM org_asn a LEFT JOIN org_unit u ON u.unit_id = a.unit_id WHERE a.asn_id = ANY($1::uuid[])""",
            subjects_ids,
        )
    }
    acting: dict[uuid.UUID, list[tuple[uuid.UUID, date, date]]] = defaultdict(list)
    for row in await conn.fetch(
        "SELECT asn_id, acting_superior_id, valid_from, valid_until FROM org_acting_superior"
        " WHERE asn_id = ANY($1::uuid[])",
        subjects_ids,
    ):
        acting[row["asn_id"]].append((row["acting_superior_id"], row["valid_from"], row["valid_until"]))
    admins: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for row in await conn.fetch(
        "SELECT regency_id, asn_id FROM hr_admin WHERE regency_id = ANY($1::uuid[]) ORDER BY added_at", regencies
    ):
        admins[row["regency_id"]].append(row["asn_id"])

    # who is told, and what
    planned: list[tuple[NotificationRequested, uuid.UUID, str, str, str, str]] = []
    for r in todo.values():
        route = route_for(r.kind)
        o = org.get(r.asn_id)
        day = r.occurred_at.astimezone(JAKARTA).date()
        subject = Subject(
            r.asn_id,
            superior_id=o["superior_id"] if o else None,
            acting_superior_id=acting_on(acting.get(r.asn_id, []), day),
            unit_head_id=o["head_asn_id"] if o else None,
        )
        link = _safe_link(r.link, route.default_link)
        for person, audience in recipients(route, subject, admins.get(r.regency_id, [])).items():
            msg = render(r.kind, audience, r.params, subject_name=o["name"] if o else None)
            planned.append((r, person, audience.value, msg.title, msg.body, link))
    people = list({p[1] for p in planned})
    contact = {
        row["asn_id"]: row
        for row in await conn.fetch(
            "SELECT asn_id, name, email, active FROM org_asn WHERE asn_id = ANY($1::uuid[])", people
        )
    }
    parked = 0
    if park:
        waiting: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        for r in todo.values():
            o = org.get(r.asn_id)
            if o is None:
                waiting[r.notification_id].add(r.asn_id)
            elif o["unit_id"] is not None and o["unit_known"] is None:
                waiting[r.notification_id].add(o["unit_id"])
        for r, person, *_ in planned:
            if person not in contact:
                waiting[r.notification_id].add(person)
        if waiting:
            await conn.execute(
                """INSERT INTO notification_parked
                     (notification_id, regency_id, asn_id, request, waiting_for, parked_at)
                   SELECT n, r, a, q::jsonb, ARRAY(SELECT jsonb_array_elements_text(w::jsonb)::uuid),
                          coalesce(t, now())
                   FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[])
                        AS v(n, r, a, q, w, t)
                   ON CONFLICT (notification_id) DO UPDATE SET waiting_for = excluded.waiting_for""",
                list(waiting),
                [todo[n].regency_id for n in waiting],
                [todo[n].asn_id for n in waiting],
                [todo[n].model_dump_json() for n in waiting],
                [orjson.dumps(sorted(str(x) for x in w)).decode() for w in waiting.values()],
                [(parked_since or {}).get(n) for n in waiting],  # parked again: its age still counts
            )
            parked = len(waiting)
            todo = {n: r for n, r in todo.items() if n not in waiting}
            planned = [p for p in planned if p[0].notification_id not in waiting]
            if not todo:
                return IntakeResult(0, 0, 0, parked)
    fresh_rows = await conn.fetch(
        """INSERT INTO notification (notification_id, asn_id, regency_id, kind, params, link, created_at)
           SELECT n, a, r, k, p::jsonb, l, c
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
                AS v(n, a, r, k, p, l, c)
           ON CONFLICT (notification_id) DO NOTHING
           RETURNING notification_id""",
        list(todo),
        [r.asn_id for r in todo.values()],
        [r.regency_id for r in todo.values()],
        [r.kind for r in todo.values()],
        [orjson.dumps(r.params).decode() for r in todo.values()],
        [r.link for r in todo.values()],
        [r.occurred_at for r in todo.values()],
    )
    fresh_ids = {row["notification_id"] for row in fresh_rows}
    todo = {n: r for n, r in todo.items() if n in fresh_ids}
    planned = [p for p in planned if p[0].notification_id in fresh_ids]
    if not todo:
        return IntakeResult(0, 0, 0, parked)
    if not planned:
        await conn.execute("UPDATE notification SET recipients = 0 WHERE notification_id = ANY($1::uuid[])", list(todo))
        return IntakeResult(len(todo), 0, 0, parked)

    item_ids = [uuid.uuid4() for _ in planned]
    await conn.execute(
        """INSERT INTO inbox_item (id, notification_id, recipient_id, regency_id, kind, audience, title, body, link,
                                   created_at)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[],
                                $8::text[], $9::text[], $10::timestamptz[])
           ON CONFLICT (notification_id, recipient_id) DO NOTHING""",
        item_ids,
        [p[0].notification_id for p in planned],
        [p[1] for p in planned],
        [p[0].regency_id for p in planned],
        [p[0].kind for p in planned],
        [p[2] for p in planned],
        [p[3] for p in planned],
        [p[4] for p in planned],
        [p[5] for p in planned],
        [p[0].occurred_at for p in planned],
    )
    await conn.execute(
        """UPDATE notification n SET recipients = c.n
           FROM (SELECT notification_id, count(*)::int AS n FROM unnest($1::uuid[]) AS t(notification_id)
                 GROUP BY notification_id) c
           WHERE n.notification_id = c.notification_id""",
        [p[0].notification_id for p in planned],
    )

    # e-mail, per the recipient's preferences
    people = list({p[1] for p in planned})
    user_pref: dict[uuid.UUID, dict[str, EmailMode]] = defaultdict(dict)
    for row in await conn.fetch(
        "SELECT asn_id, kind, email_mode FROM preference WHERE asn_id = ANY($1::uuid[])", people
    ):
        user_pref[row["asn_id"]][row["kind"]] = EmailMode(row["email_mode"])
    regency_pref: dict[uuid.UUID, dict[str, EmailMode]] = defaultdict(dict)
    for row in await conn.fetch(
        "SELECT regency_id, kind, email_mode FROM regency_default WHERE regency_id = ANY($1::uuid[])", regencies
    ):
        regency_pref[row["regency_id"]][row["kind"]] = EmailMode(row["email_mode"])
    addresses = {c["email"].lower() for c in contact.values() if c["email"]}
    suppressed = {
        row["address"]
        for row in await conn.fetch(
            "SELECT address FROM email_suppression WHERE address = ANY($1::text[])", list(addresses)
        )
    }
    emails: list[tuple[object, ...]] = []
    for (r, person, _aud, title, body, _link), item_id in zip(planned, item_ids, strict=True):
        c = contact.get(person)
        if c is None or not c["email"] or not c["active"]:
            continue
        mode = email_mode(r.kind, user_pref.get(person), regency_pref.get(r.regency_id))
        if mode is EmailMode.OFF:
            continue
        address = c["email"].lower()
        content = compose(c["name"], Message(title, body), links.open_url(item_id), links.settings_url)
        digest = mode is EmailMode.DIGEST
        emails.append(
            (
                uuid.uuid4(),
                r.regency_id,
                r.notification_id,
                person,
                address,
                address.rpartition("@")[2],
                content.subject,
                content.text,
                content.html,
                digest,
                "suppressed" if address in suppressed else "pending",
                digest_due(now) if digest else now,
            )
        )
    if emails:
        await conn.execute(
            """INSERT INTO email_delivery (id, regency_id, notification_id, recipient_id, address, domain, subject,
                                           body_text, body_html, digest, status, due_at)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[],
                                    $7::text[], $8::text[], $9::text[], $10::bool[], $11::text[],
                                    $12::timestamptz[])
               ON CONFLICT (notification_id, recipient_id) DO NOTHING""",
            *zip(*emails, strict=True),
        )
    return IntakeResult(len(todo), len(planned), sum(1 for e in emails if e[10] == "pending"), parked)


async def release_parked(
    conn: asyncpg.Connection,
    *,
    now: datetime,
    links: Links,
    arrived: Sequence[uuid.UUID] = (),
    parked_before: datetime | None = None,
) -> IntakeResult:
    """Take up parked requests: those waiting for an org entity that just `arrived` (they park again if they
    still miss someone), or those parked before `parked_before`, which go out with what is known."""
    if parked_before is None:
        rows = await conn.fetch(
            "DELETE FROM notification_parked WHERE waiting_for && $1::uuid[] RETURNING request, parked_at",
            list(arrived),
        )
    else:
        rows = await conn.fetch(
            "DELETE FROM notification_parked WHERE parked_at < $1 RETURNING request, parked_at", parked_before
        )
    if not rows:
        return IntakeResult(0, 0, 0)
    requests: list[NotificationRequested] = []
    since: dict[uuid.UUID, datetime] = {}
    for row in rows:
        q = row["request"]  # the pool decodes jsonb to objects; a bare connection hands back the text
        try:
            req = (
                NotificationRequested.model_validate_json(q)
                if isinstance(q, str)
                else NotificationRequested.model_validate(q)
            )
            check_request(req.kind, set(route_for(req.kind).audiences), req.params)
        except (ValidationError, DomainError) as e:
            # parked under an older version whose type or template is gone: dropping it must not fail the
            # org fact that released it (that would dead-letter the fact)
            log.error("parked notification no longer deliverable; dropped", error=str(e))
            continue
        requests.append(req)
        since[req.notification_id] = row["parked_at"]
    if not requests:
        return IntakeResult(0, 0, 0)
    return await accept_requests(conn, requests, now=now, links=links, park=parked_before is None, parked_since=since)


async def sweep_parked(conn: asyncpg.Connection, *, now: datetime, links: Links, max_age_s: float) -> IntakeResult:
    """The safety net behind the org-fact trigger: release what a fact committed by another worker at the same
    moment left parked, and send out, with what is known, what waited longer than `max_age_s`."""
    arrived = [
        row["id"]
        for row in await conn.fetch(
            """SELECT DISTINCT w.id FROM notification_parked p, unnest(p.waiting_for) AS w(id)
               WHERE EXISTS (SELECT 1 FROM org_asn a WHERE a.asn_id = w.id)
                  OR EXISTS (SELECT 1 FROM org_unit u WHERE u.unit_id = w.id)"""
        )
    ]
    a = await release_parked(conn, now=now, links=links, arrived=arrived) if arrived else IntakeResult(0, 0, 0)
    b = await release_parked(conn, now=now, links=links, parked_before=now - timedelta(seconds=max_age_s))
    return IntakeResult(a.notifications + b.notifications, a.inbox_items + b.inbox_items, a.emails + b.emails, a.parked)


@dataclass(frozen=True, slots=True)
class PublicEvent:
    """A pseudonymised public event as received: its CloudEvents id and type, and its JSON data."""

    event_id: uuid.UUID
    type: str
    regency_id: uuid.UUID
    occurred_at: datetime
    data: bytes


def webhook_body(ev: PublicEvent) -> str:
    """The Standard Webhooks payload shape: type, timestamp, data (the public event as published)."""
    return orjson.dumps(
        {
            "type": ev.type,
            "timestamp": ev.occurred_at.isoformat(),
            "data": orjson.Fragment(ev.data),
        }
    ).decode()


async def accept_public_events(conn: asyncpg.Connection, events: Sequence[PublicEvent]) -> int:
    """Queue one delivery per (matching subscription, event); the row id is that delivery's webhook-id."""
    subs = await conn.fetch("SELECT id, event_types, regency_ids FROM webhook_subscription WHERE active")
    rows: list[tuple[object, ...]] = []
    for ev in events:
        body = webhook_body(ev)
        for s in subs:
            if ev.type in s["event_types"] and (not s["regency_ids"] or ev.regency_id in s["regency_ids"]):
                rows.append((uuid.uuid4(), s["id"], ev.event_id, ev.type, ev.regency_id, body))
    if not rows:
        return 0
    await conn.execute(
        """INSERT INTO webhook_delivery (id, subscription_id, event_id, event_type, regency_id, payload)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::text[])
           ON CONFLICT (subscription_id, event_id) DO NOTHING""",
        *zip(*rows, strict=True),
    )
    return len(rows)
