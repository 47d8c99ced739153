"""GET /api/privacy/asn/{asn_id}: activity's part of a data subject's access request (docs/privacy.md)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from kinerja_activity.service.privacy import EXPORT_SECTIONS, retention_rules
from kinerja_shared.privacy import export_router, retention_task
from kinerja_shared.runtime import Runtime, WorkerTask


def privacy_router() -> APIRouter:
    return export_router("activity", EXPORT_SECTIONS)


def privacy_jobs(rt: Runtime) -> dict[str, WorkerTask]:
    """The daily retention purge (docs/privacy.md), evidence files on disk included."""
    evidence_dir = Path(getattr(rt.settings, "evidence_dir", ".local/evidence"))
    return {"retention-purge": retention_task(rt.db, retention_rules(evidence_dir), service="activity")}
