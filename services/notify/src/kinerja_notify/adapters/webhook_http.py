"""HTTP client for webhooks (httpx): keep-alive pool, no redirects, SSRF guard on every send."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Mapping

import httpx

from kinerja_notify.domain.errors import UnsafeWebhookTarget
from kinerja_notify.domain.webhooks import check_addresses, parse_target
from kinerja_notify.service.ports import PostOutcome


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (A and AAAA), without blocking the loop."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({str(i[4][0]) for i in infos})


async def check_target(url: str, *, allow_private: bool) -> None:
    """The whole guard: URL shape, then what the host resolves to now (UnsafeWebhookTarget otherwise)."""
    _, host, port = parse_target(url)
    check_addresses(host, await resolve(host, port), allow_private=allow_private)


class HttpxPoster:
    """POSTs signed bodies; the target is re-checked (resolution cached briefly) so DNS changes are caught."""

    def __init__(
        self, *, timeout_s: float, concurrency: int, allow_private: bool, user_agent: str = "Kinerja-Webhooks/1"
    ) -> None:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            follow_redirects=False,  # a redirect could point inside our network
            headers={"user-agent": user_agent},
        )
        self._timeout_s = timeout_s
        self._allow_private = allow_private
        self._checked: dict[tuple[str, int], tuple[float, str | None]] = {}

    async def _guard(self, url: str) -> str | None:
        try:
            _, host, port = parse_target(url)
        except UnsafeWebhookTarget as e:
            return str(e)
        key = (host, port)
        now = time.monotonic()
        hit = self._checked.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            check_addresses(host, await resolve(host, port), allow_private=self._allow_private)
            verdict = None
        except UnsafeWebhookTarget as e:
            verdict = str(e)
        self._checked[key] = (now + 60.0, verdict)
        return verdict

    async def post(self, url: str, body: str, headers: Mapping[str, str]) -> PostOutcome:
        started = time.monotonic()

        def ms() -> int:
            return int((time.monotonic() - started) * 1000)

        refused = await self._guard(url)
        if refused:
            return PostOutcome(None, refused, "", ms())
        try:
            r = await self._client.post(url, content=body.encode(), headers=dict(headers))
        except httpx.TimeoutException:
            return PostOutcome(None, f"tidak ada jawaban dalam {self._timeout_s:g} detik (timeout)", "", ms())
        except httpx.HTTPError as e:
            return PostOutcome(None, f"{type(e).__name__}: {e}"[:300], "", ms())
        retry_after = None
        ra = r.headers.get("retry-after")
        if ra and ra.strip().isdigit():
            retry_after = float(ra.strip())
        return PostOutcome(r.status_code, None, r.text[:300], ms(), retry_after)

    async def close(self) -> None:
        await self._client.aclose()
