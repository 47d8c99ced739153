"""The one place that wires the feedback service: its routes, Kafka handlers and read models."""

from __future__ import annotations

from pathlib import Path

from starlette.middleware import Middleware

from kinerja_feedback.entrypoints.pages import pages_router
from kinerja_feedback.entrypoints.privacy_routes import privacy_jobs, privacy_routers
from kinerja_feedback.entrypoints.routes import api_router
from kinerja_feedback.entrypoints.state import SurveyFloodGuard
from kinerja_shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="feedback",
    title="Umpan Balik Masyarakat",
    description="Survei Kepuasan Masyarakat (SKM/IKM), pengaduan dengan batas waktu tanggapan, forum unit, "
    "dan umpan balik 360.",
    package_dir=Path(__file__).parent,
    routers=lambda _rt: [api_router(), pages_router(), *privacy_routers()],
    worker_tasks=privacy_jobs,
    has_home=True,
    org_read_model=True,
    inner_middleware=lambda rt: [Middleware(SurveyFloodGuard, rt=rt)],
)
