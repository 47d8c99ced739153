"""The one place that wires the activity service: its routes, pages, Kafka handlers, worker jobs, read models."""

from __future__ import annotations

from pathlib import Path

from kinerja_activity.entrypoints.admin_pages import admin_pages_router
from kinerja_activity.entrypoints.jobs import jobs
from kinerja_activity.entrypoints.pages import pages_router
from kinerja_activity.entrypoints.privacy_routes import privacy_jobs, privacy_router
from kinerja_activity.entrypoints.routes import api_router
from kinerja_activity.entrypoints.subscribers import on_skp_approved
from kinerja_shared.contracts.evaluation import SkpApproved
from kinerja_shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="activity",
    title="Kegiatan Harian & Kehadiran",
    description="Laporan kegiatan harian ASN secara real-time, kehadiran, dan verifikasi oleh atasan langsung.",
    package_dir=Path(__file__).parent,
    routers=lambda rt: [api_router(rt), pages_router(rt), admin_pages_router(rt), privacy_router()],
    handlers=lambda _rt: {SkpApproved: on_skp_approved},
    worker_tasks=lambda rt: {**jobs(rt), **privacy_jobs(rt)},
    has_home=True,
    org_read_model=True,
)
