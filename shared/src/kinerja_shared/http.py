"""The FastAPI app every service starts from: health, metrics, request logs, static assets, errors, auth.

Validation errors (422) are answered in one shape, for API clients and htmx forms alike::

    {"detail": [{"field": "target.kuantitas", "location": "body", "type": "greater_than",
                 "reason": "Input should be greater than 0", "message_id": "Harus lebih besar dari 0."}]}

`field` is the dotted path inside its `location` (body, query, path, header, cookie), `type` and `reason`
are pydantic's code and text, `message_id` is the Indonesian sentence to show. The submitted value is never
echoed, since it may be a NIP. Other errors keep FastAPI's `{"detail": ...}`, except that browsers
(Accept: text/html) get the Indonesian error page instead.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Final
from uuid import uuid4

import structlog
from fastapi import APIRouter, FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Histogram, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kinerja_shared import web
from kinerja_shared.auth import OptionalPrincipal, build_verifier
from kinerja_shared.policy import public
from kinerja_shared.security import CSRF_DETAIL, SecurityMiddleware
from kinerja_shared.settings import ServiceSettings

ReadinessCheck = Callable[[], Awaitable[None]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]

READINESS_TIMEOUT_SECONDS: Final = 2.0
_PROBE_ROUTES: Final = frozenset({"/health/live", "/health/ready", "/metrics"})
_TRACEPARENT: Final = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_REQUEST_ID: Final = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# one histogram per process in the default registry; every app in the process labels its own service
REQUEST_DURATION: Final = Histogram(
    "kinerja_http_request_duration_seconds",
    "HTTP request duration by route template (never the raw path, which may hold ids)",
    ("service", "method", "route", "status"),
)

log = structlog.get_logger("kinerja.http")


def _trace_id(headers: Mapping[str, str]) -> str:
    # W3C trace context: keep the caller's trace so one ASN's request can be followed across services
    match = _TRACEPARENT.match(headers.get("traceparent", "").strip().lower())
    if match and match.group(1) != "0" * 32:
        return match.group(1)
    return uuid4().hex


class RequestObservation:
    """ASGI middleware: root path, request/trace ids in structlog context, a log line, a histogram sample."""

    def __init__(self, app: ASGIApp, *, service: str, root_path: str) -> None:
        self.app = app
        self.service = service
        self.root_path = root_path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # what `uvicorn --root-path` does (FastAPI's root_path argument is deprecated): per the ASGI spec the
        # path includes the root path, so a proxy that strips the prefix and one that keeps it both route
        if self.root_path and not scope.get("root_path"):
            scope["root_path"] = self.root_path
            path = scope["path"]
            if path != self.root_path and not path.startswith(self.root_path + "/"):
                scope["path"] = self.root_path + path
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid4().hex
        trace_id = _trace_id(headers)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id  # the error page shows it
        state["trace_id"] = trace_id  # hot paths that hand work to another task pass it on explicitly
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id, trace_id=trace_id)
        status_code = 500  # stays 500 if the app raises before answering
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("http_request_failed", method=scope["method"], route=_route_template(scope))
            raise
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            REQUEST_DURATION.labels(self.service, scope["method"], route, str(status_code)).observe(elapsed)
            # method, route template, status, time: never the query string or body, which may hold a NIP
            emit = log.debug if route in _PROBE_ROUTES else log.info
            emit(
                "http_request",
                method=scope["method"],
                route=route,
                status=status_code,
                ms=round(elapsed * 1e3, 1),
            )
            structlog.contextvars.reset_contextvars(**tokens)


def _route_template(scope: Scope) -> str:
    """The matched route's template ("/skp/{skp_id}"); all unmatched paths share one label."""
    path = getattr(scope.get("route"), "path", None)  # FastAPI leaves its APIRoute here
    if isinstance(path, str) and path:
        return path
    # a Mount (static files) shows as a root path deeper than the app's own
    app_root, root = scope.get("app_root_path"), str(scope.get("root_path", ""))
    if isinstance(app_root, str) and len(root) > len(app_root) and root.startswith(app_root):
        return root[len(app_root) :] + "/{path}"
    # plain Starlette routes (/docs, /openapi.json) leave only their endpoint behind
    endpoint = scope.get("endpoint")
    if endpoint is not None:
        for route in getattr(scope.get("app"), "routes", ()):
            if getattr(route, "endpoint", None) is endpoint and isinstance(getattr(route, "path", None), str):
                return str(route.path)
    return "unmatched"


# Indonesian sentences for pydantic's error types; anything else falls back to a general one
_MESSAGES_ID: Final[dict[str, str]] = {
    "missing": "Wajib diisi.",
    "string_too_short": "Terlalu pendek (minimal {min_length} karakter).",
    "string_too_long": "Terlalu panjang (maksimal {max_length} karakter).",
    "too_short": "Terlalu sedikit (minimal {min_length} butir).",
    "too_long": "Terlalu banyak (maksimal {max_length} butir).",
    "string_type": "Harus berupa teks.",
    "string_pattern_mismatch": "Formatnya tidak sesuai.",
    "int_parsing": "Harus berupa bilangan bulat.",
    "int_type": "Harus berupa bilangan bulat.",
    "int_from_float": "Harus berupa bilangan bulat.",
    "float_parsing": "Harus berupa angka.",
    "float_type": "Harus berupa angka.",
    "decimal_parsing": "Harus berupa angka.",
    "decimal_type": "Harus berupa angka.",
    "decimal_max_places": "Paling banyak {decimal_places} angka di belakang koma.",
    "decimal_max_digits": "Paling banyak {max_digits} digit.",
    "greater_than": "Harus lebih besar dari {gt}.",
    "greater_than_equal": "Harus sama dengan atau lebih besar dari {ge}.",
    "less_than": "Harus lebih kecil dari {lt}.",
    "less_than_equal": "Harus sama dengan atau lebih kecil dari {le}.",
    "bool_parsing": "Harus ya atau tidak (true/false).",
    "bool_type": "Harus ya atau tidak (true/false).",
    "uuid_parsing": "Harus berupa UUID yang sah.",
    "uuid_type": "Harus berupa UUID yang sah.",
    "date_parsing": "Harus berupa tanggal (TTTT-BB-HH).",
    "date_from_datetime_parsing": "Harus berupa tanggal (TTTT-BB-HH).",
    "date_type": "Harus berupa tanggal (TTTT-BB-HH).",
    "datetime_parsing": "Harus berupa tanggal dan waktu (ISO 8601).",
    "datetime_from_date_parsing": "Harus berupa tanggal dan waktu (ISO 8601).",
    "datetime_type": "Harus berupa tanggal dan waktu (ISO 8601).",
    "timezone_aware": "Waktu harus menyertakan zona waktu.",
    "enum": "Harus salah satu dari: {expected}.",
    "literal_error": "Harus salah satu dari: {expected}.",
    "extra_forbidden": "Isian ini tidak dikenal.",
    "json_invalid": "JSON tidak sah.",
    "model_attributes_type": "Harus berupa objek.",
    "dict_type": "Harus berupa objek.",
    "list_type": "Harus berupa daftar.",
    "url_parsing": "Harus berupa URL yang sah.",
    "value_error": "Nilai tidak sah.",
}


def _message_id(error: Mapping[str, Any]) -> str:
    template = _MESSAGES_ID.get(str(error.get("type", "")), "Nilai tidak sah.")
    ctx = error.get("ctx") or {}
    try:
        return template.format(**{k: str(v) for k, v in ctx.items()})
    except (KeyError, IndexError):
        return _MESSAGES_ID["value_error"]


def validation_detail(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Our 422 items: field path, location, pydantic's type and reason, and the Indonesian message."""
    items = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        location = loc[0] if loc and loc[0] in {"body", "query", "path", "header", "cookie"} else ""
        field = ".".join(loc[1:] if location else loc)
        items.append(
            {
                "field": field,
                "location": location,
                "type": str(error.get("type", "")),
                "reason": str(error.get("msg", "")),
                "message_id": _message_id(error),
            }
        )
    return items


_ERROR_PAGES: Final[dict[int, tuple[str, str]]] = {
    400: ("Permintaan tidak valid", "Permintaan yang dikirim tidak dapat diproses."),
    401: ("Silakan masuk", "Anda perlu masuk untuk membuka halaman ini."),
    403: ("Akses ditolak", "Anda tidak memiliki izin untuk membuka halaman ini."),
    404: ("Halaman tidak ditemukan", "Halaman yang Anda cari tidak ada atau sudah dipindahkan."),
    405: ("Metode tidak diizinkan", "Halaman ini tidak dapat dibuka dengan cara tersebut."),
    422: ("Data tidak valid", "Periksa kembali isian Anda."),
    429: ("Terlalu banyak permintaan", "Tunggu sebentar, lalu coba lagi."),
    500: ("Terjadi kesalahan", "Maaf, terjadi kesalahan pada sistem. Silakan coba lagi nanti."),
    503: ("Layanan belum siap", "Layanan sedang tidak tersedia. Silakan coba lagi nanti."),
}


def wants_html(request: Request) -> bool:
    """True for a browser page request; htmx and API calls get JSON they can act on."""
    return "text/html" in request.headers.get("accept", "") and "hx-request" not in request.headers


def error_page(request: Request, status_code: int, headers: Mapping[str, str] | None = None) -> Response:
    """The Indonesian error page; plain text if even that cannot render, so an error never hides another."""
    heading, message = _ERROR_PAGES.get(status_code, _ERROR_PAGES[500] if status_code >= 500 else _ERROR_PAGES[400])
    try:
        return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
            request,
            "error.html",
            {
                "heading": heading,
                "message": message,
                "status_code": status_code,
                "request_id": getattr(request.state, "request_id", None),
            },
            status_code=status_code,
            headers=dict(headers or {}),
        )
    except Exception:
        log.exception("error_page_failed", status=status_code)
        return HTMLResponse(f"<h1>{heading}</h1><p>{message}</p>", status_code=status_code)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": validation_detail(exc.errors())}, status_code=422)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if wants_html(request):
        return error_page(request, exc.status_code, exc.headers)
    return await http_exception_handler(request, exc)


async def _on_server_error(request: Request, exc: Exception) -> Response:
    # the exception is logged by RequestObservation; the caller gets no internals
    if wants_html(request):
        return error_page(request, 500)
    return JSONResponse({"detail": "Terjadi kesalahan pada server."}, status_code=500)


async def _on_csrf_reject(request: Request) -> Response:
    log.warning("csrf_rejected", method=request.method)  # no origin or path: they may name a third party
    if wants_html(request):
        return error_page(request, 403)
    return JSONResponse({"detail": CSRF_DETAIL}, status_code=status.HTTP_403_FORBIDDEN)


async def _run_check(check: ReadinessCheck) -> str:
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            await check()
    except TimeoutError:
        return f"timeout after {READINESS_TIMEOUT_SECONDS:g} s"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return "ok"


def _health_router(service: str, checks: Sequence[ReadinessCheck]) -> APIRouter:
    # probes and scrapes come from the platform, not from users: open, and they reveal no personal data
    router = APIRouter(tags=["health"], dependencies=[public("platform probes and metrics")])
    names = [getattr(c, "__name__", None) or f"check_{i}" for i, c in enumerate(checks)]

    @router.get("/health/live", name="health_live")
    async def live() -> dict[str, str]:
        """Alive: the process answers; depends on nothing, so a broker outage never restarts pods."""
        return {"status": "ok"}

    @router.get("/health/ready", name="health_ready")
    async def ready() -> JSONResponse:
        """Ready: every readiness check passed within 2 s; otherwise 503 naming what failed and why."""
        results = await asyncio.gather(*(_run_check(c) for c in checks))
        outcome = dict(zip(names, results, strict=True))
        if all(r == "ok" for r in results):
            return JSONResponse({"status": "ready", "checks": outcome})
        return JSONResponse({"status": "not_ready", "checks": outcome}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)

    @router.get("/metrics", name="metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus text from the default registry."""
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router


# the 422 items this app really answers (see the module docstring), for the OpenAPI document: FastAPI's own
# ValidationError schema (loc/msg/type) would make every client generated from it, and schemathesis, expect
# another shape
_VALIDATION_ITEM_SCHEMA: Final[dict[str, Any]] = {
    "title": "ValidationError",
    "type": "object",
    "required": ["reason", "message_id"],
    "properties": {
        "field": {"type": "string", "title": "Field", "description": "dotted path inside its location"},
        "location": {"type": "string", "title": "Location", "description": "body, query, path, header or cookie"},
        "type": {"type": "string", "title": "Type", "description": "pydantic's error code"},
        "reason": {"type": "string", "title": "Reason"},
        "message_id": {"type": "string", "title": "Message (Bahasa Indonesia)"},
    },
}


def _document_validation_errors(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schemas = schema.get("components", {}).get("schemas", {})
            if "ValidationError" in schemas:
                schemas["ValidationError"] = _VALIDATION_ITEM_SCHEMA
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    readiness: Sequence[ReadinessCheck] = (),
    lifespan: Lifespan | None = None,
    routers: Sequence[APIRouter] = (),
    template_dirs: Sequence[Path] = (),
) -> FastAPI:
    """A service's FastAPI app: health, metrics, logs, static files, errors and auth from settings."""
    app = FastAPI(title=title, description=description, lifespan=lifespan)
    _document_validation_errors(app)
    app.state.settings = settings
    app.state.templates = web.templates(list(template_dirs))
    if settings.dev_issuer_key_file is not None and settings.environment != "production":
        # dev only: imported here so production never loads the issuer; the key pair is made on first start
        from kinerja_shared.devissuer import dev_login_router, ensure_keypair

        ensure_keypair(settings.dev_issuer_key_file)
        app.include_router(dev_login_router(settings))
        app.state.login_route, app.state.logout_route = "dev_login", "dev_logout"
    app.state.verifier = build_verifier(settings)
    if app.state.verifier is None:
        log.warning("auth_not_configured", service=settings.service)

    # inside RequestObservation (added after it, so it sees the root path and its 403s are logged)
    app.add_middleware(
        SecurityMiddleware,
        production=settings.environment == "production",
        csp_report_only=settings.csp_report_only,
        trusted_origins=[o for o in settings.csrf_trusted_origins.split(",") if o.strip()],
        on_reject=_on_csrf_reject,
        on_error=_on_server_error,
    )
    app.add_middleware(RequestObservation, service=settings.service, root_path=settings.root_path)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_server_error)

    app.include_router(_health_router(settings.service, readiness))
    for router in routers:
        app.include_router(router)
    if not (web.STATIC_DIR / "vendor" / "htmx.min.js").exists():
        # pages still render, unstyled; say how to fix it instead of leaving silent 404s
        log.warning("vendored_assets_missing", fix="npm ci && npm run vendor")
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    return app


def service_home_router(title: str, description: str, *, asyncapi_path: str | None = "/asyncapi") -> APIRouter:
    """GET / rendering the generic first page of a service, for a service without a page of its own yet."""
    router = APIRouter()

    @router.get("/", name="service_home", response_class=HTMLResponse, include_in_schema=False)
    async def service_home(request: Request, principal: OptionalPrincipal) -> Response:
        """The service's first page: what it is and where its API and event contracts are documented."""
        return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
            request,
            "service_home.html",
            {
                "title": title,
                "description": description,
                "asyncapi_path": asyncapi_path,
                "principal": principal,
            },
        )

    return router
