"""Domain errors: one base, each carrying the field it concerns and an Indonesian message for people."""

from __future__ import annotations


class DomainError(Exception):
    """A rule was broken. `field` names the input at fault (dotted path) when there is one."""

    def __init__(self, message_id: str, *, field: str = "", reason: str = "") -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.field = field
        self.reason = reason or message_id


class InvalidInput(DomainError):
    """Bad input: answered 422 with field and reason."""


class Conflict(DomainError):
    """The action does not fit the current state (e.g. approving a draft): answered 409."""


class NotAllowed(DomainError):
    """The caller may not do this (e.g. approving one's own SKP): answered 403."""


class NotFound(DomainError):
    """No such thing in the caller's regency: answered 404."""
