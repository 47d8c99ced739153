"""JSON API of the scoring engine: an ASN's score with its explanation, the penilaian form and its submission,
innovations, the team and unit overviews. Bad input → 422 with field and reason; relation checks → 403."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query

from kinerja_evaluation.domain.capaian import Rating
from kinerja_evaluation.entrypoints import policies as POLICY
from kinerja_evaluation.entrypoints.errors import domain_errors
from kinerja_evaluation.service import scoring_evaluation as se
from kinerja_shared.auth import CurrentPrincipal
from kinerja_shared.runtime import PoolDep

PERIOD = r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$"


def scoring_api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["skor dan penilaian"])

    @router.get("/scores/{asn_id}", dependencies=[POLICY.SELF_OR_CHAIN], name="score_of")
    async def score_of(asn_id: UUID, pool: PoolDep, who: CurrentPrincipal) -> dict[str, Any]:
        """Scores by period (trend), the current one with every input, and what to improve."""
        with domain_errors():
            return await se.score_of(pool, who, asn_id)

    @router.get("/evaluations/{asn_id}/form", name="evaluation_form")
    async def form(
        asn_id: UUID, pool: PoolDep, who: CurrentPrincipal, period: str = Query(pattern=PERIOD)
    ) -> dict[str, Any]:
        """The penilaian form: proposals from capaian and the 360 summary, earlier versions."""
        with domain_errors():
            f = await se.evaluation_form(pool, who, asn_id, period)
        return {
            "asn_id": str(f.asn_id), "name": f.name, "period": f.period, "status": f.status, "score": f.score,
            "hasil_capaian": f.hasil_capaian, "proposed_hasil": f.proposed_hasil, "rhk": f.rhk,
            "values": [{"value": v.value, "label": v.label, "peer_tendency": v.peer.tendency if v.peer else None,
                        "peer_score": v.peer_score} for v in f.values],
            "peer_raters": f.peer_raters, "proposed_perilaku": f.proposed_perilaku,
            "versions": [{"version": h["version"], "predikat": h["predikat"], "submitted_at": h["submitted_at"]}
                         for h in f.history],
            "next_version": f.next_version,
        }  # fmt: skip

    @router.get("/evaluations/predikat", name="predikat_preview")
    async def preview(hasil: Rating, perilaku: Rating, who: CurrentPrincipal) -> dict[str, str]:
        """Table P1 of two ratings: what the form shows before submission."""
        p = se.preview_predikat(hasil, perilaku)
        return {"predikat": p.value, "label": p.label}

    @router.post("/evaluations/{asn_id}", name="submit_evaluation", status_code=201)
    async def submit(asn_id: UUID, body: se.EvaluationIn, pool: PoolDep, who: CurrentPrincipal) -> dict[str, Any]:
        """Submit (or correct, as a new version) the periodic evaluation; immutable once submitted."""
        with domain_errors():
            return await se.submit_evaluation(pool, who, asn_id, body)

    @router.post("/innovations/{asn_id}", name="register_innovation", status_code=201)
    async def innovation(asn_id: UUID, body: se.InnovationIn, pool: PoolDep, who: CurrentPrincipal) -> dict[str, str]:
        with domain_errors():
            return {"innovation_id": str(await se.register_innovation(pool, who, asn_id, body))}

    @router.get("/team", dependencies=[POLICY.ASN_SELF], name="team_overview")
    async def team(pool: PoolDep, who: CurrentPrincipal, period: str | None = Query(None, pattern=PERIOD)
                   ) -> dict[str, Any]:  # fmt: skip
        today = se.now_jakarta().date()
        with domain_errors():
            p = period or await se.current_period_of(pool, who, today)
            return {"period": p, "members": await se.team_overview(pool, who, p, today)}

    @router.get("/units/overview", dependencies=[POLICY.UNIT_HEAD], name="unit_overview")
    async def units(pool: PoolDep, who: CurrentPrincipal, period: str | None = Query(None, pattern=PERIOD)
                    ) -> dict[str, Any]:  # fmt: skip
        with domain_errors():
            p = period or await se.current_period_of(pool, who, se.now_jakarta().date())
            return {"period": p} | await se.unit_overview(pool, who, p)

    return router
