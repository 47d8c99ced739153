"""Feedback's privacy routes: its part of an ASN's access request, and erasing a complaint reporter's contact
on the citizen's request (docs/privacy.md)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Request

from kinerja_feedback.entrypoints.state import DomainRoute, PoolDep, StateDep, check_rate
from kinerja_feedback.service.privacy import EXPORT_SECTIONS, erase_own_contact, erase_reporter_contact, retention_rules
from kinerja_shared.auth import Principal, Role, require_roles
from kinerja_shared.policy import public
from kinerja_shared.privacy import export_router, retention_task
from kinerja_shared.runtime import Runtime, WorkerTask

# the citizen asks the unit or BKPSDM (by phone, letter or counter); regency HR carries it out
HR = Depends(require_roles(Role.ADMIN_BKPSDM))
# or the citizen themselves, with the complaint's tracking code (the code is the secret, as for reading it)
CITIZEN = public("masyarakat: the complaint's tracking code proves it is theirs")


def privacy_router() -> APIRouter:
    r = APIRouter(prefix="/api/privacy", route_class=DomainRoute, tags=["privacy"])

    @r.post("/complaints/{complaint_id}/erase-contact", name="api_complaint_erase_contact")
    async def erase_contact(complaint_id: UUID, pool: PoolDep, principal: Principal = HR) -> dict[str, bool]:
        """Null the reporter's name and contact of one complaint now (the text stays); audited."""
        return {"erased": await erase_reporter_contact(pool, principal, complaint_id)}

    @r.post("/pengaduan/{code}/hapus-kontak", name="api_complaint_erase_own_contact", dependencies=[CITIZEN])
    async def erase_own(code: str, request: Request, pool: PoolDep, st: StateDep) -> dict[str, bool]:
        """The citizen removes their name and contact from their complaint now (the text stays); audited."""
        check_rate(st.post_limit, request)  # same budget as the other public forms: guessing codes is slow
        return {"erased": await erase_own_contact(pool, code)}

    return r


def privacy_routers() -> list[APIRouter]:
    return [export_router("feedback", EXPORT_SECTIONS), privacy_router()]


def privacy_jobs(rt: Runtime) -> dict[str, WorkerTask]:
    """The daily retention purge (docs/privacy.md)."""
    return {"retention-purge": retention_task(rt.db, retention_rules, service="feedback")}
