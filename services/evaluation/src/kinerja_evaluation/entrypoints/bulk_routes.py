"""POST /api/skp/bulk: BKPSDM records many agreed SKPs (created, submitted, approved) in one request."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from kinerja_evaluation.entrypoints import policies as POLICY
from kinerja_evaluation.entrypoints.errors import domain_errors
from kinerja_evaluation.service import skp_bulk
from kinerja_evaluation.service.models import SkpIn
from kinerja_shared.auth import CurrentPrincipal
from kinerja_shared.runtime import PoolDep


class BulkSkpItem(SkpIn):
    """One ASN's SKP as agreed with their assessor (same fields as a new SKP, plus whose it is)."""

    asn_id: UUID


class BulkSkpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[BulkSkpItem] = Field(min_length=1, max_length=skp_bulk.MAX_ITEMS)


def bulk_router() -> APIRouter:
    r = APIRouter(prefix="/api")

    @r.post("/skp/bulk", tags=["skp"], dependencies=[POLICY.BKPSDM])
    async def bulk(body: BulkSkpIn, pool: PoolDep, who: CurrentPrincipal) -> dict[str, Any]:
        """Create, submit and approve the SKPs of many ASN of the admin's regency (all or nothing: every bad item
        is answered 422 with `items.<n>.<field>`). An ASN who already has an SKP for the year is answered with it
        (`created: false`), so repeating a request is safe. Each item answers its RHK and indicator ids."""
        plans = [(i.asn_id, SkpIn.model_validate(i.model_dump(exclude={"asn_id"}))) for i in body.items]
        try:
            with domain_errors():
                res = await skp_bulk.bulk_approved_skps(pool, who, plans)
        except HTTPException as e:
            cause = e.__cause__
            if isinstance(cause, skp_bulk.BulkRefused):  # every bad item, in the app's usual 422 shape
                detail = [{"field": f"items.{n}.{f}" if f else f"items.{n}", "location": "body", "type": "value_error",
                           "reason": reason, "message_id": reason} for n, f, reason in cause.errors]  # fmt: skip
                raise HTTPException(422, detail) from cause
            raise
        return {
            "created": res.created,
            "existing": res.existing,
            "items": [
                {"asn_id": x.asn_id, "skp_id": x.skp_id, "status": x.status, "created": x.created, "rhk": x.rhk}
                for x in res.items
            ],
        }

    return r
