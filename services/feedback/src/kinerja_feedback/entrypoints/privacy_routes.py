"""Feedback's privacy routes: its part of an ASN's access request, and erasing a complaint reporter's contact
on the citizen's request (docs/privacy.md)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends

from kinerja_feedback.entrypoints.state import DomainRoute, PoolDep
from kinerja_feedback.service.privacy import EXPORT_SECTIONS, erase_reporter_contact, retention_rules
from kinerja_shared.auth import Principal, Role, require_roles
from kinerja_shared.privacy import export_router, retention_task
from kinerja_shared.runtime import Runtime, WorkerTask

# the citizen asks the unit or BKPSDM (by phone, letter or counter); regency HR carries it out
HR = Depends(require_roles(Role.ADMIN_BKPSDM))


def privacy_router() -> APIRouter:
    r = APIRouter(prefix="/api/privacy", route_class=DomainRoute, tags=["privacy"])

    @r.post("/complaints/{complaint_id}/erase-contact", name="api_complaint_erase_contact")
    async def erase_contact(complaint_id: UUID, pool: PoolDep, principal: Principal = HR) -> dict[str, bool]:
        """Null the reporter's name and contact of one complaint now (the text stays); audited."""
        return {"erased": await erase_reporter_contact(pool, principal, complaint_id)}

    return r


def privacy_routers() -> list[APIRouter]:
    return [export_router("feedback", EXPORT_SECTIONS), privacy_router()]


def privacy_jobs(rt: Runtime) -> dict[str, WorkerTask]:
    """The daily retention purge (docs/privacy.md)."""
    return {"retention-purge": retention_task(rt.db, retention_rules, service="feedback")}
