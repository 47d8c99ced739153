"""Domain errors as HTTP answers: bad input 422 (field + reason, the app's usual shape), 403, 404, 409."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException

from kinerja_evaluation.domain.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound


def as_http(e: DomainError) -> HTTPException:
    if isinstance(e, InvalidInput):
        return HTTPException(
            422,
            [{"field": e.field, "location": "body", "type": "value_error", "reason": e.reason,
              "message_id": e.message_id}],
        )  # fmt: skip
    if isinstance(e, NotAllowed):
        return HTTPException(403, e.message_id)
    if isinstance(e, NotFound):
        return HTTPException(404, e.message_id)
    if isinstance(e, Conflict):
        return HTTPException(409, e.message_id)
    return HTTPException(400, e.message_id)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Run a use case; its DomainError leaves as the matching HTTP error."""
    try:
        yield
    except DomainError as e:
        raise as_http(e) from e
