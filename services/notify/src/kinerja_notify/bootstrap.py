"""The one place that wires the notify service: its routes, Kafka handlers and read models."""

from __future__ import annotations

from pathlib import Path

from kinerja_notify.entrypoints.subscribers import on_notification_requested
from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="notify",
    title="Notifikasi",
    description="Kotak masuk dalam aplikasi, e-mail, dan webhook bertanda tangan untuk instansi lain.",
    package_dir=Path(__file__).parent,
    handlers=lambda _rt: {NotificationRequested: on_notification_requested},
    publishes=False,
    org_read_model=True,
)
