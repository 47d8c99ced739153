"""HTTP through the front door as a given demo user: dev-issuer tokens, bounded concurrency, patient retries."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from kinerja_shared.auth import Role
from kinerja_shared.devissuer import mint_token

RETRY_STATUS = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Who:
    """A principal the loader acts as (the same claims a real identity provider would put in the token)."""

    name: str
    roles: tuple[Role, ...]
    regency_id: UUID | None = None
    province_id: UUID | None = None
    asn_id: UUID | None = None

    @property
    def sub(self) -> str:
        return str(self.asn_id) if self.asn_id else f"demo:{self.name}"


class ApiError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path} → {status}: {body[:300]}")
        self.status = status


@dataclass
class Api:
    base_url: str  # the front door, e.g. http://127.0.0.1:8080
    key: Path  # the dev issuer's private key
    issuer: str
    audience: str
    concurrency: int = 12
    requests: int = 0
    _tokens: dict[Who, str] = field(default_factory=dict)
    _client: httpx.AsyncClient | None = None
    _sem: asyncio.Semaphore | None = None

    async def __aenter__(self) -> Api:
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=60, limits=limits)
        self._sem = asyncio.Semaphore(self.concurrency)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    def token(self, who: Who) -> str:
        if who not in self._tokens:
            self._tokens[who] = mint_token(
                self.key, sub=who.sub, roles=who.roles, regency_id=who.regency_id, province_id=who.province_id,
                asn_id=who.asn_id, name=who.name, issuer=self.issuer, audience=self.audience,
            )  # fmt: skip
        return self._tokens[who]

    async def call(
        self,
        method: str,
        path: str,
        who: Who | None = None,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ok: Collection[int] = (200, 201, 204),
        accept: Collection[int] = (),
        attempts: int = 6,
        wait: float | None = None,  # seconds for this answer (default: the client's 60)
    ) -> httpx.Response:
        """The response when its status is in `ok` or `accept` (known, harmless answers such as 409 on a
        re-run); overload (429) and an unavailable service (502–504) are retried with backoff, else ApiError."""
        assert self._client is not None and self._sem is not None
        hdrs = dict(headers or {})
        if who is not None:
            hdrs["Authorization"] = f"Bearer {self.token(who)}"
        delay = 0.5
        for attempt in range(attempts):
            async with self._sem:
                self.requests += 1
                try:
                    r = await self._client.request(method, path, json=json, params=params, files=files, headers=hdrs,
                                                   timeout=wait or httpx.USE_CLIENT_DEFAULT)  # fmt: skip
                except httpx.TransportError as e:
                    if attempt == attempts - 1:
                        raise ApiError(method, path, 0, str(e)) from e
                    r = None
            if r is not None and (r.status_code in ok or r.status_code in accept):
                return r
            if r is not None and r.status_code not in RETRY_STATUS:
                raise ApiError(method, path, r.status_code, r.text)
            wait = delay
            if r is not None and r.status_code == 429:
                wait = min(10.0, float(r.headers.get("retry-after", delay) or delay))
            await asyncio.sleep(wait)
            delay = min(delay * 2, 8.0)
        raise ApiError(method, path, r.status_code if r is not None else 0, r.text if r is not None else "")
