"""The one place that wires the activity service: its routes, Kafka handlers and read models."""

from __future__ import annotations

from pathlib import Path

from kinerja_activity.entrypoints.subscribers import on_skp_approved
from kinerja_shared.contracts.evaluation import SkpApproved
from kinerja_shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="activity",
    title="Kegiatan Harian & Kehadiran",
    description="Laporan kegiatan harian ASN secara real-time, kehadiran, dan verifikasi oleh atasan langsung.",
    package_dir=Path(__file__).parent,
    handlers=lambda _rt: {SkpApproved: on_skp_approved},
    org_read_model=True,
)
