"""HTTP client for webhooks (aiohttp: several times httpx's rate here): keep-alive pool, no redirects, SSRF guard."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Mapping

import aiohttp

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


class HttpPoster:
    """POSTs signed bodies; the target is re-checked (resolution cached briefly) so DNS changes are caught."""

    def __init__(
        self, *, timeout_s: float, concurrency: int, allow_private: bool, user_agent: str = "Kinerja-Webhooks/1"
    ) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._concurrency = concurrency
        self._user_agent = user_agent
        self._timeout_s = timeout_s
        # queue here, not in the connector: waiting for a connection must not eat into the request's timeout
        self._slots = asyncio.Semaphore(concurrency)
        self._allow_private = allow_private
        self._checked: dict[tuple[str, int], tuple[float, str | None]] = {}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:  # created on first use, inside the running loop
            self._session = aiohttp.ClientSession(
                # idle connections go before common servers' keep-alive ends (uvicorn 5 s, nginx 75 s)
                connector=aiohttp.TCPConnector(limit=self._concurrency, ttl_dns_cache=60, keepalive_timeout=4),
                timeout=aiohttp.ClientTimeout(total=self._timeout_s),
                headers={"user-agent": self._user_agent},
                auto_decompress=False,
            )
        return self._session

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
        async with self._slots:
            return await self._post(url, body, headers)

    async def _post(self, url: str, body: str, headers: Mapping[str, str]) -> PostOutcome:
        started = time.monotonic()

        def ms() -> int:
            return int((time.monotonic() - started) * 1000)

        refused = await self._guard(url)
        if refused:
            return PostOutcome(None, refused, "", ms())
        try:
            try:
                status, ra, text = await self._send(url, body, headers)
            except aiohttp.ClientConnectorError:
                raise  # could not connect at all: a failed attempt
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                # a kept-alive connection the server had just closed: one fresh try now, not an attempt spent
                # (and not a strike on the endpoint's circuit); receivers dedupe by webhook-id anyway
                status, ra, text = await self._send(url, body, headers)
        except TimeoutError:
            return PostOutcome(None, f"tidak ada jawaban dalam {self._timeout_s:g} detik (timeout)", "", ms())
        except aiohttp.ClientError as e:
            return PostOutcome(None, f"{type(e).__name__}: {e}"[:300], "", ms())
        retry_after = float(ra.strip()) if ra and ra.strip().isdigit() else None
        return PostOutcome(status, None, text, ms(), retry_after)

    async def _send(self, url: str, body: str, headers: Mapping[str, str]) -> tuple[int, str | None, str]:
        # no redirects: a redirect could point inside our network
        async with self._client().post(url, data=body.encode(), headers=dict(headers), allow_redirects=False) as r:
            text = (await r.content.read(300)).decode(errors="replace")
            return r.status, r.headers.get("retry-after"), text

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
