"""GET /api/privacy/asn/{asn_id}: notify's part of a data subject's access request (docs/privacy.md)."""

from __future__ import annotations

from fastapi import APIRouter

from kinerja_notify.service.privacy import EXPORT_SECTIONS, retention_rules
from kinerja_shared.privacy import export_router, retention_task
from kinerja_shared.runtime import Runtime, WorkerTask


def privacy_router() -> APIRouter:
    return export_router("notify", EXPORT_SECTIONS)


def privacy_jobs(rt: Runtime) -> dict[str, WorkerTask]:
    """The daily retention purge (docs/privacy.md)."""
    return {"retention-purge": retention_task(rt.db, retention_rules, service="notify")}
