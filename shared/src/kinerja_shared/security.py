"""Web hardening every service app gets from `create_app`: security headers and a CSRF origin check.

Headers: a Content-Security-Policy without inline script (scripts only from our own origin; styles may be
inline because templates and htmx's indicator use style attributes, which cannot run code), no framing,
forms only to ourselves, nosniff, same-origin referrers, a Permissions-Policy switching off sensors, HSTS in
production, and ``Cache-Control: no-store`` on answers to signed-in requests (shared office computers).

CSRF: a browser sends the ``kinerja_session`` cookie with any request to our site, also one started by
another site. So an unsafe request (POST/PUT/PATCH/DELETE) that carries the cookie and no bearer token must
come from our own origin: its ``Origin`` (or, failing that, ``Referer``) must name the host the request was
sent to (``X-Forwarded-Host`` behind the front door, else ``Host``) or a configured trusted origin. Browsers
and htmx always send ``Origin`` on such requests; API clients use bearer tokens, which another site cannot
make a browser send; public forms (no cookie) have nothing to steal. SameSite=Lax on the cookie is the
second line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Final
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kinerja_shared.auth import SESSION_COOKIE

CSP: Final = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",  # Pico draws its icons as data: SVG
        "font-src 'self'",
        "connect-src 'self'",  # htmx requests and server-sent events
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)
# FastAPI's /docs and /redoc pages load their bundle from a CDN and start it with an inline script; they show
# no personal data, so they alone get a looser policy (production may simply not route them)
DOCS_CSP: Final = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "font-src 'self' https://fonts.gstatic.com; "
    "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS: Final = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
PERMISSIONS_POLICY: Final = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)
HSTS: Final = "max-age=31536000; includeSubDomains"
UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_DETAIL: Final = (
    "Permintaan ditolak: asal permintaan tidak dapat dipastikan berasal dari situs ini. "
    "Muat ulang halaman, lalu coba lagi."
)
_DEFAULT_PORTS: Final = {"http": "80", "https": "443"}

RejectResponder = Callable[[Request], Awaitable[Response]]
ErrorResponder = Callable[[Request, Exception], Awaitable[Response]]


def _origin_key(url: str) -> str | None:
    """'host:port' of an origin or URL (default ports made explicit), lower-case; None if not an http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return f"{parts.hostname.lower()}:{port or _DEFAULT_PORTS[parts.scheme]}"


def _host_key(host: str, scheme: str) -> str | None:
    """'host:port' a Host header value stands for (no port: the scheme's default)."""
    try:
        parts = urlsplit("//" + host.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    if port is None:
        if scheme not in _DEFAULT_PORTS:
            return None
        return f"{parts.hostname.lower()}:{_DEFAULT_PORTS[scheme]}"
    return f"{parts.hostname.lower()}:{port}"


def _has_session_cookie(cookie_header: str) -> bool:
    for part in cookie_header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == SESSION_COOKIE and value:
            return True
    return False


class SecurityMiddleware:
    """ASGI middleware: security headers on every HTTP answer, and the CSRF origin check (see module doc)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        production: bool,
        csp_report_only: bool = False,
        trusted_origins: Iterable[str] = (),
        on_reject: RejectResponder | None = None,
        on_error: ErrorResponder | None = None,
    ) -> None:
        self.app = app
        self.production = production
        self.csp_header = b"content-security-policy-report-only" if csp_report_only else b"content-security-policy"
        self.trusted = {k for k in (_origin_key(o) for o in trusted_origins) if k}
        self.on_reject = on_reject
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        credentialed = "authorization" in headers or _has_session_cookie(headers.get("cookie", ""))
        if scope["method"] in UNSAFE_METHODS and not self._origin_ok(headers, str(scope.get("scheme", "http"))):
            response = await self._reject(scope, receive)
            await self._with_headers(response, scope, credentialed)(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._with_headers(self.app, scope, credentialed)(scope, receive, tracking_send)
        except Exception as exc:
            # answer the 500 here, so it carries the headers too; re-raised for the logs, and Starlette's
            # outer error middleware sees the answer already sent and only re-raises
            if started or self.on_error is None:
                raise
            response = await self.on_error(Request(scope, receive), exc)
            await self._with_headers(response, scope, credentialed)(scope, receive, send)
            raise

    def _origin_ok(self, headers: dict[str, str], scheme: str) -> bool:
        if not _has_session_cookie(headers.get("cookie", "")):
            return True  # nothing a forged request could ride on
        if headers.get("authorization", "").lower().startswith("bearer "):
            return True  # the explicit token wins over the cookie (auth.py), and no other site can set it
        origin = headers.get("origin", "")
        source = origin if origin and origin != "null" else headers.get("referer", "")
        key = _origin_key(source) if source else None
        if key is None:
            return False
        if key in self.trusted:
            return True
        # the host the browser sent the request to; a cross-site page cannot set X-Forwarded-* on it
        forwarded = headers.get("x-forwarded-host", "").split(",")[0].strip()
        host = forwarded or headers.get("host", "")
        scheme = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower() or scheme
        return key == _host_key(host, scheme)

    async def _reject(self, scope: Scope, receive: Receive) -> ASGIApp:
        request = Request(scope, receive)
        if self.on_reject is not None:
            return await self.on_reject(request)
        from starlette.responses import JSONResponse

        return JSONResponse({"detail": CSRF_DETAIL}, status_code=403)

    def _with_headers(self, app: ASGIApp, scope: Scope, credentialed: bool) -> ASGIApp:
        path = str(scope.get("path", ""))
        root = str(scope.get("root_path", ""))
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        csp = DOCS_CSP if path in DOCS_PATHS else CSP
        static = path.startswith("/static/")

        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    existing = {k.lower() for k, _ in message.get("headers", [])}
                    extra: list[tuple[bytes, bytes]] = []

                    def add(name: bytes, value: str) -> None:
                        if name not in existing:
                            extra.append((name, value.encode()))

                    add(self.csp_header, csp)
                    add(b"x-content-type-options", "nosniff")
                    add(b"referrer-policy", "same-origin")
                    add(b"permissions-policy", PERMISSIONS_POLICY)
                    add(b"x-frame-options", "DENY")
                    add(b"cross-origin-opener-policy", "same-origin")
                    if self.production:
                        add(b"strict-transport-security", HSTS)
                    if credentialed and not static:
                        # a signed-in page may hold someone's SKP: no copy on a shared office computer
                        add(b"cache-control", "no-store")
                    message["headers"] = [*message.get("headers", []), *extra]
                await send(message)

            await app(scope, receive, send_with_headers)

        return wrapped
