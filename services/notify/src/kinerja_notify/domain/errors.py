"""Rule violations of the notify domain, under one base so entrypoints map them to 422/409 or the DLQ."""

from __future__ import annotations


class DomainError(Exception):
    """Base of notify's rule errors; `field` names the input at fault (for 422 answers)."""

    field: str = ""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field or self.field


class UnknownKind(DomainError):
    """A notification type this service has no route or template for (Table R1 lists the known ones)."""

    field = "kind"


class MissingTemplateVariable(DomainError):
    """The type's message template needs a value the request did not give."""

    field = "params"


class UnsafeWebhookTarget(DomainError):
    """A webhook URL we refuse to call: not http(s), or a private/loopback address outside test mode."""

    field = "url"


class UnknownEventType(DomainError):
    """A webhook subscription names an event type that is not a public event."""

    field = "event_types"
