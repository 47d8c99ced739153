"""create_app: health, readiness, metrics, request ids, root path, validation errors and error pages."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import structlog
from fastapi import APIRouter
from pydantic import BaseModel, Field

from kinerja_shared import http as kinerja_http
from kinerja_shared.http import create_app
from kinerja_shared.settings import ServiceSettings


class Target(BaseModel):
    kuantitas: int = Field(gt=0)


class Plan(BaseModel):
    target: Target
    nama: str = Field(min_length=3)


def _routes() -> APIRouter:
    router = APIRouter()

    @router.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, Any]:
        return {"item_id": item_id, "context": structlog.contextvars.get_contextvars()}

    @router.post("/plans")
    async def plan(body: Plan) -> dict[str, str]:
        return {"nama": body.nama}

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    return router


async def kafka() -> None:
    """A readiness check that passes."""


async def postgres() -> None:
    raise ConnectionRefusedError("connection refused on 127.0.0.1:5432")


async def slow() -> None:
    await asyncio.sleep(10)


def _settings(**overrides: Any) -> ServiceSettings:
    return ServiceSettings(service="uji", environment="test", root_path="/evaluation", **overrides)


def _client(app: Any, *, raise_app_exceptions: bool = True) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(_settings(), title="Uji", description="-", readiness=[kafka], routers=[_routes()])
    async with _client(app, raise_app_exceptions=False) as c:
        yield c


async def test_live_is_ok_without_dependencies() -> None:
    app = create_app(_settings(), title="Uji", description="-", readiness=[postgres])
    async with _client(app) as c:
        response = await c.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_every_check_passes(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"kafka": "ok"}}


async def test_not_ready_names_the_failed_check_and_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kinerja_http, "READINESS_TIMEOUT_SECONDS", 0.05)
    app = create_app(_settings(), title="Uji", description="-", readiness=[kafka, postgres, slow])
    async with _client(app) as c:
        response = await c.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["kafka"] == "ok"
    assert body["checks"]["postgres"] == "ConnectionRefusedError: connection refused on 127.0.0.1:5432"
    assert body["checks"]["slow"].startswith("timeout")


async def test_metrics_hold_the_request_histogram_by_route_template(client: httpx.AsyncClient) -> None:
    assert (await client.get("/items/123456789012345678")).status_code == 200
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE kinerja_http_request_duration_seconds histogram" in text
    sample = re.search(r'kinerja_http_request_duration_seconds_count\{([^}]*route="/items/\{item_id\}"[^}]*)\}', text)
    assert sample is not None
    assert 'service="uji"' in sample.group(1) and 'method="GET"' in sample.group(1)
    assert 'status="200"' in sample.group(1)
    assert "123456789012345678" not in text  # the raw path never becomes a label


async def test_request_and_trace_ids_are_bound_for_logs(client: httpx.AsyncClient) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = await client.get("/items/1", headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    context = response.json()["context"]
    assert context["trace_id"] == trace
    assert context["request_id"] == response.headers["x-request-id"]
    fresh = (await client.get("/items/1")).json()["context"]
    assert re.fullmatch(r"[0-9a-f]{32}", fresh["trace_id"]) and fresh["trace_id"] != trace
    after = structlog.contextvars.get_contextvars()
    assert "request_id" not in after and "trace_id" not in after  # nothing leaks past the request


async def test_routes_answer_with_and_without_the_root_path_prefix(client: httpx.AsyncClient) -> None:
    # nginx may strip /evaluation or pass it through; both must reach the route
    assert (await client.get("/health/live")).status_code == 200
    assert (await client.get("/evaluation/health/live")).status_code == 200
    schema = (await client.get("/openapi.json")).json()
    assert schema["servers"] == [{"url": "/evaluation"}]


async def test_validation_errors_have_field_reason_and_indonesian_message(client: httpx.AsyncClient) -> None:
    response = await client.post("/plans", json={"target": {"kuantitas": 0}, "nama": "SKP 2026 NIP 1987"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "field": "target.kuantitas",
                "location": "body",
                "type": "greater_than",
                "reason": "Input should be greater than 0",
                "message_id": "Harus lebih besar dari 0.",
            }
        ]
    }
    missing = (await client.post("/plans", json={"target": {"kuantitas": 1}})).json()["detail"]
    assert missing == [
        {
            "field": "nama",
            "location": "body",
            "type": "missing",
            "reason": "Field required",
            "message_id": "Wajib diisi.",
        }
    ]
    path = (await client.get("/items/abc")).json()["detail"][0]
    assert (path["field"], path["location"], path["message_id"]) == (
        "item_id",
        "path",
        "Harus berupa bilangan bulat.",
    )


async def test_submitted_values_are_not_echoed_in_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/plans", json={"target": {"kuantitas": "199001012020121001"}, "nama": "ab"})
    assert response.status_code == 422
    assert "199001012020121001" not in response.text


async def test_browser_404_gets_the_indonesian_error_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/tidak-ada", headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert 'lang="id"' in response.text
    assert "Halaman tidak ditemukan" in response.text
    assert response.headers["x-request-id"] in response.text


async def test_api_404_keeps_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/tidak-ada")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


async def test_server_error_hides_internals(client: httpx.AsyncClient) -> None:
    api = await client.get("/boom")
    assert api.status_code == 500
    assert api.json() == {"detail": "Terjadi kesalahan pada server."}
    page = await client.get("/boom", headers={"Accept": "text/html"})
    assert page.status_code == 500
    assert "Terjadi kesalahan" in page.text and "secret internals" not in page.text


async def test_server_error_is_counted_as_500(client: httpx.AsyncClient) -> None:
    await client.get("/boom")
    text = (await client.get("/metrics")).text
    assert re.search(r'_count\{[^}]*route="/boom"[^}]*status="500"[^}]*\}', text)


async def test_static_files_are_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/kinerja.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    metrics = (await client.get("/metrics")).text
    assert re.search(r'_count\{[^}]*route="/static/\{path\}"', metrics)


async def test_lifespan_is_passed_through() -> None:
    from contextlib import asynccontextmanager

    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        events.append("start")
        yield
        events.append("stop")

    app = create_app(_settings(), title="Uji", description="-", lifespan=lifespan)
    async with app.router.lifespan_context(app):
        assert app.state.settings.service == "uji"
    assert events == ["start", "stop"]
