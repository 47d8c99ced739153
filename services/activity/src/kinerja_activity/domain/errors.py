"""Errors of the activity domain, under one DomainError; entrypoints map them to 422/409/403/404."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Violation:
    """One rule an input breaks: the field it is about and why (Indonesian, shown to the ASN)."""

    field: str
    reason: str
    code: str


class DomainError(Exception):
    """Base of every rule the activity domain refuses."""


class InvalidInput(DomainError):
    """Bad input (HTTP 422): one or more fields break a rule."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("; ".join(f"{v.field}: {v.reason}" for v in violations))
        self.violations = violations


class StateConflict(DomainError):
    """The thing exists but its state forbids the change (HTTP 409), e.g. editing a verified activity."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class NotFound(DomainError):
    """Nothing the caller may see has this id (HTTP 404); other regencies' rows look exactly like this."""


class NotAllowed(DomainError):
    """The caller may see it but not do this (HTTP 403), e.g. verifying someone who is not a subordinate."""
