"""Error kinds the plumbing routes differently: poison goes to the DLQ, transient to the retry topic."""

from __future__ import annotations


class KinerjaError(Exception):
    """Base of errors raised by shared plumbing."""


class PoisonMessage(KinerjaError):
    """A message that can never be processed as it is; it goes to the DLQ with `reason`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class PermanentHandlerError(KinerjaError):
    """Raised by a handler when an event is valid but breaks a rule forever (e.g. unknown ASN); DLQ, no retry."""
