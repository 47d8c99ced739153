"""Per-process objects of the API (directory cache, survey intake, rate limiters), built on first use.

The pool opens in the app's lifespan, after routers are built, so these are created lazily from the runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, Final

import asyncpg
import orjson
from fastapi import Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

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
    return state_of(get_runtime(request))


def state_of(rt: Runtime) -> FeedbackState:
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


TOO_MANY: Final = "Terlalu banyak kiriman dari jaringan Anda. Tunggu sebentar, lalu coba lagi."


def too_many(limiter: RateLimiter, source: str) -> HTTPException:
    return HTTPException(
        429,
        TOO_MANY,
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


SURVEY_API_PREFIX: Final = "/api/survei/"
RATE_CHECKED: Final = "feedback_survey_rate_checked"  # scope["state"] flag: the token is already spent


class SurveyFloodGuard:
    """ASGI middleware (inside security headers and request observation, before routing): refuses a source over its
    survey budget on `POST /api/survei/{unit}` with the route's 429, so a flood costs no routing or endpoint work.

    Under a viral QR code with an abusive source, its 429s are most of the requests the API sees: their CPU is
    what everyone else's answers compete with. The HTML form keeps its own check (its 429 is a page).
    """

    def __init__(self, app: ASGIApp, rt: Runtime) -> None:
        self.app = app
        self.rt = rt
        self.route: object | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if not path.startswith(SURVEY_API_PREFIX) or "/" in path[len(SURVEY_API_PREFIX) :]:
            await self.app(scope, receive, send)
            return
        limiter = state_of(self.rt).survey_limit
        client = scope.get("client")
        source = client[0] if client else "unknown"
        if limiter.allow(source):
            scope.setdefault("state", {})[RATE_CHECKED] = True
            await self.app(scope, receive, send)
            return
        if self.route is None:  # the metrics label the answer with the route it was meant for
            app = scope.get("app")
            self.route = next(
                (r for r in getattr(app, "routes", ()) if getattr(r, "name", "") == "api_survey_submit"), None
            )
        if self.route is not None:
            scope["route"] = self.route
        body = orjson.dumps({"detail": TOO_MANY})
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(limiter.retry_after(source)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
