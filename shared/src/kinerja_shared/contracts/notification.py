"""Requests to notify someone, on kinerja.notification.v1, keyed by the recipient ASN's UUID."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.registry import event
from kinerja_shared.topics import NOTIFICATION

SOURCE = "/kinerja/evaluation"


@event("id.kinerja.notification.requested.v1", topic=NOTIFICATION, source=SOURCE, subject="notification_id")
class NotificationRequested(Event):
    """Tell an ASN (and whoever the type's routing adds) that something needs them (Table R1 types)."""

    notification_id: UUID = Field(description="one id → at most one inbox item and one webhook delivery")
    asn_id: UUID
    kind: str = Field(max_length=60, description="verification_pending, mentoring_needed, …")
    params: dict[str, str] = Field(default_factory=dict, description="values for the message template")
    link: str | None = Field(default=None, max_length=300, description="path of the page that explains it")
