"""Per-process objects of the API (directory cache, survey intake, rate limiters), built on first use.

The pool opens in the app's lifespan, after routers are built, so these are created lazily from the runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from kinerja_feedback.adapters.ratelimit import RateLimiter
from kinerja_feedback.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from kinerja_feedback.service.common import Directory
from kinerja_feedback.service.survey import SurveyIntake
from kinerja_feedback.settings import FeedbackSettings
from kinerja_shared.http import wants_html
from kinerja_shared.runtime import Runtime, get_runtime

DEVICE_COOKIE = "skm_perangkat"
DEVICE_HEADER = "x-device-token"


@dataclass
class FeedbackState:
    settings: FeedbackSettings
    directory: Directory
    intake: SurveyIntake
    survey_limit: RateLimiter
    post_limit: RateLimiter

    @property
    def hash_key(self) -> bytes:
        return self.settings.hash_key.encode()


def _settings(rt: Runtime) -> FeedbackSettings:
    s = rt.settings
    if isinstance(s, FeedbackSettings):
        return s
    built: FeedbackSettings = FeedbackSettings.model_validate(s.model_dump())
    return built


async def get_state(request: Request) -> FeedbackState:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a costly hop on the hot path
    rt = get_runtime(request)
    state: FeedbackState | None = rt.extras.get("feedback")
    if state is None:
        settings = _settings(rt)
        directory = Directory(rt.db())
        state = FeedbackState(
            settings=settings,
            directory=directory,
            intake=SurveyIntake(
                rt.db(),
                directory,
                batch_max=settings.survey_batch_max,
                group_commit=settings.survey_group_commit,
            ),
            survey_limit=RateLimiter(rate_per_minute=settings.survey_rate_per_minute, burst=settings.survey_burst),
            post_limit=RateLimiter(rate_per_minute=settings.post_rate_per_minute, burst=settings.post_burst),
        )
        rt.extras["feedback"] = state
    return state


StateDep = Annotated[FeedbackState, Depends(get_state)]


async def get_pool(request: Request) -> asyncpg.Pool:
    return get_runtime(request).db()


PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]


def source_of(request: Request) -> str:
    """The caller's address; behind the front door uvicorn's proxy-headers support has already applied XFF."""
    return request.client.host if request.client else "unknown"


def too_many(limiter: RateLimiter, source: str) -> HTTPException:
    return HTTPException(
        429,
        "Terlalu banyak kiriman dari jaringan Anda. Tunggu sebentar, lalu coba lagi.",
        headers={"Retry-After": str(limiter.retry_after(source))},
    )


def check_rate(limiter: RateLimiter, request: Request) -> None:
    source = source_of(request)
    if not limiter.allow(source):
        raise too_many(limiter, source)


def error_detail(e: InvalidInput, location: str = "body") -> list[dict[str, str]]:
    """A domain refusal in the same 422 shape as pydantic's (field, location, type, reason, message_id)."""
    return [
        {"field": e.field, "location": location, "type": "value_error", "reason": e.reason, "message_id": e.message}
    ]


def domain_response(e: DomainError) -> JSONResponse:
    if isinstance(e, InvalidInput):
        return JSONResponse({"detail": error_detail(e)}, status_code=422)
    status = 400
    if isinstance(e, Conflict):
        status = 409
    elif isinstance(e, NotFound):
        status = 404
    elif isinstance(e, Forbidden):
        status = 403
    body: dict[str, Any] = {"detail": e.message}
    return JSONResponse(body, status_code=status)


def domain_page(request: Request, e: DomainError) -> Response:
    """A refused page request: the Indonesian message on the service's message page, with its status."""
    status = domain_response(e).status_code
    heading = {404: "Tidak ditemukan", 403: "Akses ditolak", 409: "Tidak dapat diproses", 422: "Data tidak valid"}
    response: Response = request.app.state.templates.TemplateResponse(
        request,
        "feedback/message.html",
        {"heading": heading.get(status, "Tidak dapat diproses"), "message": e.message, "lite": False},
        status_code=status,
    )
    return response


class DomainRoute(APIRoute):
    """Routes whose use cases raise DomainError answer 422/409/404/403 in the service's JSON shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as e:
                if wants_html(request):
                    return domain_page(request, e)
                return domain_response(e)

        return run


class FastRoute(DomainRoute):
    """The survey's hot path: the endpoint gets the request alone, no dependency solving (≈ a third of its CPU).

    Only for a public route whose endpoint reads and validates everything itself; the declared dependencies (the
    route policy) still show in OpenAPI and the policy matrix but are not run, so they must be declarations only.
    Path parameters arrive as strings in `request.path_params`.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint

        async def run(request: Request) -> Response:
            try:
                response: Response = await endpoint(request)
                return response
            except DomainError as e:
                if wants_html(request):
                    return domain_page(request, e)
                return domain_response(e)

        return run
