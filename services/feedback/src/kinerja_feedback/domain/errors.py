"""Errors of the feedback domain: entrypoints map `InvalidInput` to 422 and `Conflict` to 409."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the feedback domain refuses; `message` is the Indonesian sentence to show."""

    def __init__(self, message: str, *, field: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.reason = reason or message


class InvalidInput(DomainError):
    """The request breaks a rule of its own content (422 with field and reason)."""


class Conflict(DomainError):
    """The request is fine but the state forbids it now (409)."""


class NotFound(DomainError):
    """The thing named does not exist for this caller (404)."""


class Forbidden(DomainError):
    """The caller may not do this (403)."""
