"""Follow-up domain errors as HTTP: rule sets answer every problem at once, curve violations list the units."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from kinerja_evaluation.domain.errors import DomainError
from kinerja_evaluation.domain.rules import RulesInvalid
from kinerja_evaluation.entrypoints.errors import as_http
from kinerja_evaluation.service.annual import CurveViolations


def followup_http(e: DomainError) -> HTTPException:
    if isinstance(e, RulesInvalid):
        return HTTPException(
            422,
            [
                {
                    "field": x.field,
                    "location": "body",
                    "type": "value_error",
                    "reason": x.reason,
                    "message_id": x.reason,
                }
                for x in e.errors
            ],
        )
    if isinstance(e, CurveViolations):
        return HTTPException(409, {"message": e.message_id, "units": [u.as_json() for u in e.units]})
    return as_http(e)


@contextmanager
def followup_errors() -> Iterator[None]:
    try:
        yield
    except DomainError as e:
        raise followup_http(e) from e


class FollowupRoute(APIRoute):
    """Any domain error a follow-up page did not handle itself becomes its HTTP answer, never a 500."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as e:
                raise followup_http(e) from e

        return route
