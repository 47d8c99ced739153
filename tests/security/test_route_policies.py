"""Issue 11: every HTTP route declares who may call it, and every role × tenant gets exactly that.

The matrix calls every route of every service as anonymous, as each role from the route's regency and as each
role from another regency, with real databases behind the apps, and checks 401/403 against the declared policy.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from kinerja_shared.auth import Role
from kinerja_shared.devissuer import ensure_keypair
from kinerja_shared.policy import RoutePolicy, Scope, route_policies
from kinerja_shared.runtime import ServiceDefinition, build_app
from kinerja_shared.settings import KafkaSettings, ServiceSettings
from kinerja_shared.testing.helpers import role_token
from kinerja_shared.testing.plugin import MakeDatabase

SERVICES = ("activity", "evaluation", "feedback", "notify")
REGENCY_A, REGENCY_B, PROVINCE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def _definition(svc: str) -> tuple[ServiceDefinition, type[ServiceSettings]]:
    definition = importlib.import_module(f"kinerja_{svc}.bootstrap").DEFINITION
    settings_cls = getattr(importlib.import_module(f"kinerja_{svc}.settings"), f"{svc.capitalize()}Settings")
    return definition, settings_cls


@pytest.mark.parametrize("svc", SERVICES)
def test_every_route_declares_a_policy(svc: str, tmp_path: Path) -> None:
    definition, settings_cls = _definition(svc)
    app = build_app(definition, settings_cls(database_url="postgresql://x@127.0.0.1/x"), worker=False)
    routes = route_policies(app)
    assert len(routes) > 5
    undeclared = [f"{r.method} {r.path}" for r in routes if r.policy is None]
    assert not undeclared, f"{svc}: routes without a declared policy: {undeclared}"


def _fill(path: str) -> str:
    def value(m: re.Match[str]) -> str:
        name = m.group(1).split(":")[0]
        if name == "regency_id":
            return str(REGENCY_A)
        if name in {"fmt", "format"}:
            return "csv"
        if name.endswith("id") or name.endswith("_id"):
            return str(uuid.uuid4())
        if name in {"year", "tahun"}:
            return "2026"
        return "x" + uuid.uuid4().hex[:8]

    return re.sub(r"\{([^}]+)\}", value, path)


@pytest.fixture
async def apps(
    make_database: MakeDatabase, kafka: KafkaSettings, tmp_path: Path
) -> AsyncIterator[dict[str, tuple[FastAPI, ServiceSettings]]]:
    key = tmp_path / "dev-issuer.pem"
    ensure_keypair(key)
    out = {}
    async with AsyncExitStack() as stack:
        for svc in SERVICES:
            definition, settings_cls = _definition(svc)
            db = await make_database()  # the app runs its own migrations at start, as in production
            settings = settings_cls(
                database_url=db.app_url,
                kafka=kafka,
                migration_database_url=db.owner_url,
                dev_issuer_key_file=key,
                environment="test",
            )
            app = build_app(definition, settings, worker=False)
            await stack.enter_async_context(app.router.lifespan_context(app))
            out[svc] = (app, settings)
        yield out


def _expected_denial(policy: RoutePolicy, role: Role | None, own_regency: bool) -> int | None:
    p = policy.policy
    assert p is not None
    if p.public:
        return None
    if role is None:
        return 401
    if not p.admits(frozenset({role.value})):
        return 403
    if "{regency_id}" in policy.path and p.scope is Scope.OWN and not own_regency:
        return 403
    return None


async def _status(app: FastAPI, method: str, url: str, headers: dict[str, str]) -> int:
    """The status an in-process call gets, over raw ASGI so a live stream (SSE) answers at its first header
    instead of never ending; an exception escaping the app counts as the 500 a server would send."""
    body = b"{}" if method != "GET" else b""
    path, _, query = url.partition("?")
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    raw += [(b"host", b"test"), (b"content-length", str(len(body)).encode())]
    if body:
        raw.append((b"content-type", b"application/json"))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "", "headers": raw,
        "client": ("127.0.0.1", 1), "server": ("test", 80),
    }  # fmt: skip
    started: asyncio.Future[dict[str, object]] = asyncio.get_running_loop().create_future()
    gone = asyncio.Event()
    read = False

    async def receive() -> dict[str, object]:
        nonlocal read
        if not read:
            read = True
            return {"type": "http.request", "body": body, "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start" and not started.done():
            started.set_result(message)

    task = asyncio.create_task(app(scope, receive, send))  # type: ignore[arg-type]
    waiters: set[asyncio.Future[Any]] = {task, started}
    await asyncio.wait(waiters, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    if started.done():
        sent = dict(started.result().get("headers", []))  # type: ignore[call-overload]
        if sent.get(b"content-type", b"").startswith(b"text/event-stream"):
            gone.set()  # a live stream: the client hangs up, as a browser leaving the page
    try:
        await asyncio.wait_for(task, 30)
    except Exception:  # noqa: BLE001 - the app's own error handlers already answered, or it is a 500
        if not started.done():
            return 500
    status = started.result()["status"] if started.done() else 500
    assert isinstance(status, int)
    return status


@pytest.mark.postgres
@pytest.mark.timeout(1200)  # ~3,500 calls over four real apps; minutes on a busy 2-core machine
async def test_route_matrix_every_role_and_tenant(
    apps: dict[str, tuple[FastAPI, ServiceSettings]], tmp_path: Path
) -> None:
    key = tmp_path / "dev-issuer.pem"
    totals: Counter[str] = Counter()
    wrong: list[str] = []
    server_errors: list[str] = []
    callers: list[tuple[Role | None, uuid.UUID]] = [(None, REGENCY_A)]
    callers += [(r, reg) for r in Role for reg in (REGENCY_A, REGENCY_B)]
    for svc, (app, settings) in apps.items():
        tokens = {
            (r, reg): role_token(key, settings, r, regency_id=reg, province_id=PROVINCE, label="matrix")
            for r, reg in callers
            if r is not None
        }
        for rp in route_policies(app):
            if rp.policy is None or rp.path.startswith("/static"):
                continue
            url = _fill(rp.path)
            for role, regency in callers:
                headers = {"accept": "application/json"}
                if role is not None:
                    headers["authorization"] = f"Bearer {tokens[(role, regency)]}"
                expected = _expected_denial(rp, role, regency == REGENCY_A)
                status = await _status(app, rp.method, url, headers)
                totals["calls"] += 1
                denied = status in (401, 403)
                who = f"{svc} {rp.method} {rp.path} as {role.value if role else 'anonymous'}" + (
                    "" if regency == REGENCY_A else " (other regency)"
                )
                if expected is not None:
                    totals["must_deny"] += 1
                    if status == expected or (expected == 403 and denied):
                        totals["denied_as_required"] += 1
                    else:
                        wrong.append(f"{who}: expected {expected}, got {status}")
                else:
                    totals["may_pass"] += 1
                    if denied and rp.policy.relation is None:
                        wrong.append(f"{who}: expected access, got {status}")
                if status >= 500:
                    server_errors.append(f"{who}: {status}")
    print(f"route matrix: {dict(totals)}")  # noqa: T201 - the figures go into the issue note
    Path(os.environ.get("KINERJA_MATRIX_REPORT", "/dev/null")).write_text("\n".join(wrong + server_errors))
    assert totals["must_deny"] > 0 and totals["denied_as_required"] == totals["must_deny"], wrong[:20]
    assert not wrong, wrong[:20]
    assert not server_errors, server_errors[:20]
