"""Kafka handlers of the notify service: decode, call the intake use case, map rule errors to the DLQ."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg

from kinerja_notify.domain.errors import DomainError
from kinerja_notify.service.intake import Links, PublicEvent, accept_public_events, accept_requests, release_parked
from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.contracts.org import AsnUpserted, UnitUpserted
from kinerja_shared.contracts.registry import all_types
from kinerja_shared.errors import PermanentHandlerError
from kinerja_shared.messaging.consumer import BatchHandler, Received
from kinerja_shared.readmodels.org import apply_org_facts
from kinerja_shared.topics import PUBLIC_PERFORMANCE


def public_event_types() -> dict[str, type[Event]]:
    """Every event type on the public topic: what agencies may subscribe to."""
    return {name: cls for name, cls in all_types().items() if cls.topic == PUBLIC_PERFORMANCE}


def notification_handler(links: Links) -> BatchHandler:
    async def on_notification_requested(conn: asyncpg.Connection, batch: Sequence[Received]) -> None:
        """Inbox items and queued e-mail for each requested notification, once per notification id."""
        requests = []
        for r in batch:
            assert isinstance(r.event, NotificationRequested)
            requests.append(r.event)
        try:
            await accept_requests(conn, requests, now=datetime.now(UTC), links=links)
        except DomainError as e:
            # unknown type or a template value missing: it will never apply; DLQ with the reason, go on
            raise PermanentHandlerError(f"{type(e).__name__}: {e}") from e

    return on_notification_requested


def org_facts_handler(links: Links) -> BatchHandler:
    async def on_org_facts(conn: asyncpg.Connection, batch: Sequence[Received]) -> None:
        """The shared org read model, then any notification that was waiting for these people or units."""
        await apply_org_facts(conn, batch)
        arrived = [e.asn_id if isinstance(e, AsnUpserted) else e.unit_id for e in (r.event for r in batch)
                   if isinstance(e, AsnUpserted | UnitUpserted)]  # fmt: skip
        if arrived:
            await release_parked(conn, now=datetime.now(UTC), links=links, arrived=arrived)

    return on_org_facts


async def on_public_event(conn: asyncpg.Connection, batch: Sequence[Received]) -> None:
    """Queue a signed webhook delivery per matching agency subscription."""
    await accept_public_events(
        conn,
        [
            PublicEvent(r.event_id, r.envelope.type, r.event.regency_id, r.event.occurred_at, r.envelope.data)
            for r in batch
        ],
    )


def handlers(links: Links) -> dict[type[Event], BatchHandler]:
    out: dict[type[Event], BatchHandler] = {NotificationRequested: notification_handler(links)}
    out |= dict.fromkeys((AsnUpserted, UnitUpserted), org_facts_handler(links))
    out |= dict.fromkeys(public_event_types().values(), on_public_event)
    return out
