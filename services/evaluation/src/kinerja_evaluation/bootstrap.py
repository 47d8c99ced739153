"""The one place that wires the evaluation service: its routes, Kafka handlers and outbox."""

from __future__ import annotations

from pathlib import Path

from kinerja_evaluation.entrypoints.pages import pages_router
from kinerja_evaluation.entrypoints.routes import api_router
from kinerja_evaluation.entrypoints.subscribers import on_activity_verified
from kinerja_shared.contracts.activity import ActivityVerified
from kinerja_shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="evaluation",
    title="Evaluasi Kinerja",
    description="SKP dan target terukur, penilaian oleh atasan, skor, predikat, kurva distribusi, TPP, "
    "dan tindak lanjut.",
    package_dir=Path(__file__).parent,
    routers=lambda _rt: [api_router(), pages_router()],
    handlers=lambda _rt: {ActivityVerified: on_activity_verified},
    has_home=True,
)
