"""Pages of the scoring engine (Bahasa Indonesia, phone-first): Kinerja Saya, Penilaian (team and form), Kinerja
Unit. Forms post to the same use cases as the API (POST/redirect/GET); a refused form comes back with the reason."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from kinerja_evaluation.domain.behaviour import VALUE_LABEL, BerAkhlak
from kinerja_evaluation.domain.capaian import RATING_LABEL, Rating
from kinerja_evaluation.domain.errors import DomainError
from kinerja_evaluation.domain.predikat import PREDIKAT_LABEL, Predikat, predikat
from kinerja_evaluation.domain.score import COMPONENT_LABEL
from kinerja_evaluation.domain.scoring_rules import period_label
from kinerja_evaluation.domain.skp import PERIOD_PATTERN
from kinerja_evaluation.entrypoints import policies as POLICY
from kinerja_evaluation.entrypoints.errors import as_http
from kinerja_evaluation.service import scoring_evaluation as se
from kinerja_shared.auth import CurrentPrincipal
from kinerja_shared.runtime import PoolDep
from kinerja_shared.web import app_path

STATUS_LABEL = {
    "dihitung": "Dihitung",
    "menunggu_skp": "Menunggu SKP disetujui",
    "menunggu_pegawai": "Menunggu data pegawai",
    "belum_ada": "Belum ada data",
}


def _render(request: Request, name: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
    base = {
        "RATING": {r.value: lbl for r, lbl in RATING_LABEL.items()},
        "PREDIKAT": {p.value: lbl for p, lbl in PREDIKAT_LABEL.items()},
        "COMPONENT": {c.value: lbl for c, lbl in COMPONENT_LABEL.items()},
        "VALUES": {v.value: lbl for v, lbl in VALUE_LABEL.items()},
        "SCORE_STATUS": STATUS_LABEL,
        "P1": {h.value: {p.value: predikat(h, p).value for p in Rating} for h in Rating},
        "period_label": period_label,
        "errors": [],
        "pesan": request.query_params.get("pesan", ""),
    }
    resp: Response = request.app.state.templates.TemplateResponse(request, name, base | ctx, status_code=status_code)
    return resp


def _reason(e: DomainError | HTTPException) -> list[str]:
    if isinstance(e, DomainError):
        return [e.message_id]
    return [str(e.detail)]


def scoring_pages_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/kinerja-saya", dependencies=[POLICY.ASN_SELF], name="kinerja_saya")
    async def kinerja_saya(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        if who.asn_id is None:
            raise HTTPException(403, "Halaman ini untuk pegawai (ASN).")
        return await _kinerja(request, pool, who, who.asn_id, own=True)

    @router.get("/kinerja/{asn_id}", dependencies=[POLICY.SELF_OR_CHAIN], name="kinerja_pegawai")
    async def kinerja_pegawai(asn_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        return await _kinerja(request, pool, who, asn_id, own=who.asn_id == asn_id)

    async def _kinerja(request: Request, pool: Any, who: Any, asn_id: UUID, *, own: bool) -> Response:
        try:
            data = await se.score_of(pool, who, asn_id)
        except DomainError as e:
            raise as_http(e) from e
        return _render(request, "evaluation/scoring/kinerja_saya.html", {"d": data, "own": own, "principal": who})

    @router.get("/penilaian", dependencies=[POLICY.ASN_SELF], name="penilaian_tim")
    async def tim(request: Request, pool: PoolDep, who: CurrentPrincipal, period: str | None = None) -> Response:
        if who.asn_id is None:
            raise HTTPException(403, "Halaman ini untuk pejabat penilai.")
        today = se.now_jakarta().date()
        p = period if period and PERIOD_PATTERN.match(period) else await se.current_period_of(pool, who, today)
        rows = await se.team_overview(pool, who, p, today)
        return _render(request, "evaluation/scoring/tim.html", {"rows": rows, "period": p, "principal": who})

    async def _form(request: Request, pool: Any, who: Any, asn_id: UUID, period: str, **extra: Any) -> Response:
        try:
            form = await se.evaluation_form(pool, who, asn_id, period)
        except DomainError as e:
            raise as_http(e) from e
        status = extra.pop("status", 200)
        ctx = {"f": form, "v": {}, "preview": None, "principal": who} | extra
        return _render(request, "evaluation/scoring/penilaian.html", ctx, status_code=status)

    @router.get("/penilaian/{asn_id}", name="penilaian_form")
    async def form(
        asn_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal, period: str | None = None
    ) -> Response:
        # a link or bookmark without ?period= opens the current period, as the team page does (not a JSON 422)
        if not period or not PERIOD_PATTERN.match(period):
            period = await se.current_period_of(pool, who, se.now_jakarta().date())
        return await _form(request, pool, who, asn_id, period)

    @router.post("/penilaian/{asn_id}", name="penilaian_kirim")
    async def kirim(asn_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        raw = await request.form()
        v = {k: str(x) for k, x in raw.items()}
        period = v.get("period", "")
        rhk = [{"rhk_id": k[4:], "rating": x, "reason": v.get(f"rhk_reason_{k[4:]}", "")}
               for k, x in v.items() if k.startswith("rhk_") and not k.startswith("rhk_reason_") and x]  # fmt: skip
        body: dict[str, Any] = {
            "period": period, "rhk": rhk, "hasil_rating": v.get("hasil_rating") or None,
            "hasil_reason": v.get("hasil_reason", ""),
            "values": {b.value: v[f"value_{b.value}"] for b in BerAkhlak if v.get(f"value_{b.value}")},
            "perilaku_rating": v.get("perilaku_rating") or None, "perilaku_reason": v.get("perilaku_reason", ""),
            "integrity_finding": v.get("integrity_finding") == "on",
            "correction_reason": v.get("correction_reason", ""), "note": v.get("note", ""),
        }  # fmt: skip
        preview = None
        if body["hasil_rating"] and body["perilaku_rating"]:
            try:
                preview = predikat(Rating(body["hasil_rating"]), Rating(body["perilaku_rating"]))
            except ValueError:
                preview = None
        if v.get("aksi") == "pratinjau":
            return await _form(request, pool, who, asn_id, period, v=v, preview=preview)
        try:
            result = await se.submit_evaluation(pool, who, asn_id, se.EvaluationIn.model_validate(body))
        except ValidationError as e:
            errs = [f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors()]
            return await _form(request, pool, who, asn_id, period, v=v, preview=preview, errors=errs, status=422)
        except DomainError as e:
            code = as_http(e).status_code
            if code in (403, 404):
                raise as_http(e) from e
            return await _form(request, pool, who, asn_id, period, v=v, preview=preview, errors=_reason(e),
                               status=code)  # fmt: skip
        msg = f"Penilaian {period_label(period)} tersimpan (versi {result['version']}): {result['predikat_label']}."
        return RedirectResponse(app_path(request, f"/penilaian?period={period}&pesan={quote(msg)}"), status_code=303)

    @router.get("/unit-kinerja", dependencies=[POLICY.UNIT_HEAD], name="unit_kinerja")
    async def unit(request: Request, pool: PoolDep, who: CurrentPrincipal, period: str | None = None) -> Response:
        today = se.now_jakarta().date()
        p = period if period and PERIOD_PATTERN.match(period) else await se.current_period_of(pool, who, today)
        try:
            data = await se.unit_overview(pool, who, p)
        except DomainError as e:
            raise as_http(e) from e
        ctx = {"d": data, "period": p, "PREDIKATS": list(Predikat), "principal": who}
        return _render(request, "evaluation/scoring/unit.html", ctx)

    return router
