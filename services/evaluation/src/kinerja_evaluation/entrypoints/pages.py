"""Pages (Bahasa Indonesia, phone-first): Beranda per peran, SKP Saya, SKP Bawahan, detail SKP, Admin BKPSDM,
Kaskade. Forms post to these routes, which call the same use cases as the API and redirect (POST/redirect/GET);
a refused form is shown again with the reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from kinerja_evaluation.domain.capaian import RATING_LABEL, Rating
from kinerja_evaluation.domain.errors import DomainError
from kinerja_evaluation.domain.predikat import PREDIKAT_LABEL, Predikat
from kinerja_evaluation.domain.scoring_rules import period_label
from kinerja_evaluation.domain.skp import (
    BERAKHLAK_LABEL,
    PERIOD_PATTERN,
    STATUS_LABEL,
    UNITS,
    Aspect,
    BerAkhlak,
    Periodicity,
    SkpStatus,
    current_period,
    periods_of,
)
from kinerja_evaluation.entrypoints import policies as POLICY
from kinerja_evaluation.entrypoints.errors import as_http
from kinerja_evaluation.service import org, province, realisasi, skp
from kinerja_evaluation.service.access import scope_of
from kinerja_evaluation.service.models import CommentIn, RealisasiIn, RhkIn, SkpIn, SkpView
from kinerja_shared.auth import PROVINCE_ROLES, CurrentPrincipal, OptionalPrincipal, Principal, Role
from kinerja_shared.db import tenant_transaction
from kinerja_shared.http import validation_detail
from kinerja_shared.runtime import PoolDep
from kinerja_shared.web import app_path

FIELD_LABEL = {
    "name": "Nama indikator", "target": "Target", "unit": "Satuan", "weight": "Bobot", "description": "Uraian RHK",
    "parent_rhk_id": "RHK atasan", "period": "Periode", "value": "Realisasi", "comment": "Catatan",
    "evidence_links": "Tautan bukti", "effective_from": "Tanggal berlaku", "reason": "Alasan",
    "year": "Tahun", "period_start": "Tanggal mulai", "period_end": "Tanggal selesai",
}  # fmt: skip
DIRECTION_LABEL = {"higher": "Makin tinggi makin baik", "lower": "Makin rendah makin baik"}
HISTORY_STATUS = {s.value: lbl for s, lbl in STATUS_LABEL.items()}


def _render(request: Request, name: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
    base = {
        "STATUS": HISTORY_STATUS, "BERAKHLAK": {v.value: lbl for v, lbl in BERAKHLAK_LABEL.items()},
        "RATING": {r.value: lbl for r, lbl in RATING_LABEL.items()}, "DIRECTION": DIRECTION_LABEL,
        "errors": [], "pesan": request.query_params.get("pesan", ""),
    }  # fmt: skip
    resp: Response = request.app.state.templates.TemplateResponse(request, name, base | ctx, status_code=status_code)
    return resp


def _messages(e: Exception) -> list[str]:
    if isinstance(e, ValidationError):
        out = []
        for d in validation_detail(e.errors()):
            last = [p for p in d["field"].split(".") if not p.isdigit()]
            label = FIELD_LABEL.get(last[-1] if last else "", last[-1] if last else "Isian")
            out.append(f"{label}: {d['message_id']}")
        return out
    if isinstance(e, DomainError):
        return [e.message_id]
    return [str(e)]


def _back(request: Request, path: str, pesan: str) -> RedirectResponse:
    sep = "&" if "?" in path else "?"
    return RedirectResponse(f"{app_path(request, path)}{sep}pesan={quote(pesan)}", status_code=303)


def _year(request: Request) -> int:
    raw = request.query_params.get("tahun", "")
    return int(raw) if raw.isdigit() and 2020 <= int(raw) <= 2100 else org.now_jakarta().year


def _form_text(form: Any, key: str) -> str:
    v = form.get(key, "")
    return v if isinstance(v, str) else ""


def pages_router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/", response_class=HTMLResponse, name="home")
    async def home(request: Request, who: OptionalPrincipal) -> Response:
        """The landing page: what each role can do here."""
        province = who is not None and who.has_role(*PROVINCE_ROLES)
        return _render(request, "evaluation/home.html", {"principal": who, "Role": Role, "province": province})

    # ---- SKP Saya ----------------------------------------------------------------------------------------------

    @r.get("/skp-saya", dependencies=[POLICY.ASN_SELF], response_class=HTMLResponse, name="skp_saya")
    async def skp_saya(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        year = _year(request)
        if who.asn_id is None:
            raise HTTPException(403, "Halaman ini untuk pegawai (ASN).")
        skp_id = await skp.my_skp_id(pool, who, year)
        if skp_id is None:
            return _render(request, "evaluation/skp_baru.html", {"principal": who, "year": year})
        return await _detail(request, pool, who, skp_id)

    @r.post("/skp-saya/buat", name="skp_buat")
    async def skp_buat(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        form = await request.form()
        year_raw = _form_text(form, "year")
        try:
            body = SkpIn.model_validate({"year": year_raw or org.now_jakarta().year})
            await skp.create_skp(pool, who, body)
        except (ValidationError, DomainError) as e:
            return _render(request, "evaluation/skp_baru.html",
                           {"principal": who, "year": year_raw, "errors": _messages(e)}, 422)  # fmt: skip
        return _back(request, f"/skp-saya?tahun={body.year}", "SKP dibuat sebagai draf.")

    async def _detail(
        request: Request, pool: Any, who: Principal, skp_id: UUID, errors: list[str] | None = None, status: int = 200
    ) -> Response:
        try:
            view = await skp.get_skp(pool, who, skp_id)
        except DomainError as e:
            raise as_http(e) from e
        cfg = await _config(pool, view)
        period = request.query_params.get("periode") or current_period(min(org.now_jakarta().date(),
                                                                             date(view.year, 12, 31)), cfg)  # fmt: skip
        cap = (
            await realisasi.capaian_of(pool, who, skp_id, period) if view.status in ("approved", "superseded") else None
        )
        mine = who.asn_id == view.asn_id
        assessor = who.asn_id is not None and not mine and view.superior_id == who.asn_id
        if not assessor and who.asn_id is not None and not mine and view.status == SkpStatus.SUBMITTED:
            subs = await skp.subordinates(pool, who, view.year)
            assessor = any(s["asn_id"] == view.asn_id for s in subs)
        return _render(
            request,
            "evaluation/skp.html",
            {
                "principal": who, "v": view, "mine": mine, "assessor": assessor,
                "editable": mine and view.status in ("draft", "revision_requested"),
                "units": sorted(UNITS), "aspects": [a.value for a in Aspect], "berakhlak": list(BerAkhlak),
                "superior_rhks": await skp.superior_rhks(pool, who, view.year) if mine else [],
                "period": period, "periods": periods_of(view.year, cfg), "capaian": cap,
                "realisasi": {(x.indicator_id, x.period): x for x in view.realisasi},
                "errors": errors or [],
            },
            status,
        )  # fmt: skip

    async def _config(pool: Any, view: SkpView) -> Periodicity:
        async with tenant_transaction(pool, [view.regency_id]) as conn:
            return (await org.load_config(conn, view.regency_id)).periodicity

    @r.get("/skp/{skp_id}", response_class=HTMLResponse, name="skp_detail")
    async def skp_detail(skp_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        return await _detail(request, pool, who, skp_id)

    async def _act(request: Request, pool: Any, who: Principal, skp_id: UUID, action: Any, ok: str) -> Response:
        try:
            await action()
        except (ValidationError, DomainError) as e:
            code = as_http(e).status_code if isinstance(e, DomainError) else 422
            if code in (403, 404):
                raise as_http(e) from e  # type: ignore[arg-type]
            return await _detail(request, pool, who, skp_id, _messages(e), code)
        return _back(request, f"/skp/{skp_id}", ok)

    @r.post("/skp/{skp_id}/rhk", name="skp_rhk_tambah")
    async def rhk_tambah(skp_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        form = await request.form()

        async def go() -> None:
            body = RhkIn.model_validate({
                "kind": _form_text(form, "kind") or "utama", "description": _form_text(form, "description"),
                "parent_rhk_id": _form_text(form, "parent_rhk_id") or None,
                "indicators": [_indicator(form)] if _form_text(form, "name") else [],
            })  # fmt: skip
            await skp.add_rhk(pool, who, skp_id, body)

        return await _act(request, pool, who, skp_id, go, "RHK ditambahkan.")

    def _indicator(form: Any) -> dict[str, str]:
        return {k: _form_text(form, k) for k in ("name", "target", "unit", "aspect", "direction", "weight")}

    @r.post("/skp/{skp_id}/rhk/{rhk_id}/indikator", name="skp_indikator_tambah")
    async def indikator_tambah(
        skp_id: UUID, rhk_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal
    ) -> Response:
        form = await request.form()

        async def go() -> None:
            body = RhkIn.model_validate({"description": "-", "indicators": [_indicator(form)]})
            await skp.add_indicator(pool, who, skp_id, rhk_id, body)

        return await _act(request, pool, who, skp_id, go, "Indikator ditambahkan.")

    @r.post("/skp/{skp_id}/rhk/{rhk_id}/hapus", dependencies=[POLICY.ASN_SELF], name="skp_rhk_hapus")
    async def rhk_hapus(skp_id: UUID, rhk_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        return await _act(request, pool, who, skp_id, lambda: skp.delete_rhk(pool, who, skp_id, rhk_id), "RHK dihapus.")

    @r.post("/skp/{skp_id}/indikator/{indicator_id}/hapus", dependencies=[POLICY.ASN_SELF], name="skp_indikator_hapus")
    async def indikator_hapus(
        skp_id: UUID, indicator_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal
    ) -> Response:
        return await _act(request, pool, who, skp_id, lambda: skp.delete_indicator(pool, who, skp_id, indicator_id),
                          "Indikator dihapus.")  # fmt: skip

    @r.post("/skp/{skp_id}/ekspektasi", dependencies=[POLICY.ASN_SELF], name="skp_ekspektasi")
    async def ekspektasi(skp_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        form = await request.form()
        values = {v: _form_text(form, v.value)[:1000] for v in BerAkhlak}
        return await _act(request, pool, who, skp_id, lambda: skp.set_expectations(pool, who, skp_id, values),
                          "Ekspektasi disimpan.")  # fmt: skip

    @r.post("/skp/{skp_id}/ajukan", dependencies=[POLICY.ASN_SELF], name="skp_ajukan")
    async def ajukan(skp_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        return await _act(request, pool, who, skp_id, lambda: skp.submit_skp(pool, who, skp_id),
                          "SKP diajukan ke atasan.")  # fmt: skip

    @r.post("/skp/{skp_id}/setujui", dependencies=[POLICY.ASN_SELF], name="skp_setujui")
    async def setujui(skp_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        return await _act(request, pool, who, skp_id, lambda: skp.approve_skp(pool, who, skp_id), "SKP disetujui.")

    @r.post("/skp/{skp_id}/kembalikan", name="skp_kembalikan")
    async def kembalikan(skp_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        form = await request.form()

        async def go() -> None:
            body = CommentIn.model_validate({"comment": _form_text(form, "comment")})
            await skp.request_revision(pool, who, skp_id, body.comment)

        return await _act(request, pool, who, skp_id, go, "SKP dikembalikan untuk perbaikan.")

    @r.post("/skp/{skp_id}/versi-baru", name="skp_versi_baru")
    async def versi_baru(skp_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        form = await request.form()
        try:
            effective = date.fromisoformat(_form_text(form, "effective_from"))
            new_id = await skp.revise_skp(pool, who, skp_id, _form_text(form, "reason").strip() or "-", effective)
        except ValueError:
            return await _detail(request, pool, who, skp_id, ["Tanggal berlaku tidak sah (TTTT-BB-HH)."], 422)
        except DomainError as e:
            if as_http(e).status_code in (403, 404):
                raise as_http(e) from e
            return await _detail(request, pool, who, skp_id, _messages(e), as_http(e).status_code)
        return _back(request, f"/skp/{new_id}", "Versi baru dibuka sebagai draf.")

    @r.post("/skp/{skp_id}/indikator/{indicator_id}/realisasi", name="realisasi_lapor")
    async def lapor(
        skp_id: UUID, indicator_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal
    ) -> Response:
        form = await request.form()
        links = [x.strip() for x in _form_text(form, "evidence_links").split() if x.strip()]

        async def go() -> None:
            body = RealisasiIn.model_validate({"period": _form_text(form, "period"), "value": _form_text(form, "value"),
                                               "evidence_links": links, "note": _form_text(form, "note")})  # fmt: skip
            await realisasi.report_realisasi(pool, who, indicator_id, body)

        return await _act(request, pool, who, skp_id, go, "Realisasi dilaporkan.")

    @r.post(
        "/skp/{skp_id}/indikator/{indicator_id}/realisasi/{period}/konfirmasi",
        dependencies=[POLICY.ASN_SELF],
        name="realisasi_konfirmasi",
    )
    async def konfirmasi(
        skp_id: UUID, indicator_id: UUID, period: str, request: Request, pool: PoolDep, who: CurrentPrincipal
    ) -> Response:
        return await _act(request, pool, who, skp_id,
                          lambda: realisasi.confirm_realisasi(pool, who, indicator_id, period),
                          "Realisasi dikonfirmasi.")  # fmt: skip

    @r.post("/skp/{skp_id}/indikator/{indicator_id}/realisasi/{period}/kembalikan", name="realisasi_kembalikan")
    async def realisasi_kembalikan(
        skp_id: UUID, indicator_id: UUID, period: str, request: Request, pool: PoolDep, who: CurrentPrincipal
    ) -> Response:
        form = await request.form()

        async def go() -> None:
            body = CommentIn.model_validate({"comment": _form_text(form, "comment")})
            await realisasi.return_realisasi(pool, who, indicator_id, period, body.comment)

        return await _act(request, pool, who, skp_id, go, "Realisasi dikembalikan.")

    # ---- SKP Bawahan -------------------------------------------------------------------------------------------

    @r.get("/skp-bawahan", dependencies=[POLICY.ASN_SELF], response_class=HTMLResponse, name="skp_bawahan")
    async def skp_bawahan(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        year = _year(request)
        try:
            rows = await skp.subordinates(pool, who, year)
        except DomainError as e:
            raise as_http(e) from e
        return _render(request, "evaluation/bawahan.html", {"principal": who, "rows": rows, "year": year})

    # ---- admin BKPSDM ------------------------------------------------------------------------------------------

    def _admin(who: Principal) -> UUID:
        if not who.has_role(Role.ADMIN_BKPSDM) or who.regency_id is None:
            raise HTTPException(403, "Halaman ini untuk admin BKPSDM.")
        regency: UUID = who.regency_id
        return regency

    async def _admin_page(
        request: Request, pool: Any, who: Principal, extra: dict[str, Any], code: int = 200
    ) -> Response:
        regency = _admin(who)
        try:
            cfg = await org.get_config(pool, who)
        except DomainError as e:
            raise as_http(e) from e
        ctx = {"principal": who, "cfg": cfg, "imports": await org.recent_imports(pool, regency), "report": None,
               "Periodicity": Periodicity}  # fmt: skip
        return _render(request, "evaluation/admin.html", ctx | extra, code)

    @r.get("/admin", dependencies=[POLICY.BKPSDM], response_class=HTMLResponse, name="admin")
    async def admin(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        return await _admin_page(request, pool, who, {})

    @r.post("/admin/impor", dependencies=[POLICY.BKPSDM], name="admin_impor")
    async def admin_impor(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        _admin(who)
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return await _admin_page(request, pool, who, {"errors": ["Pilih berkas CSV atau XLSX."]}, 422)
        try:
            report = await org.import_roster(pool, who, upload.filename, await upload.read())
        except DomainError as e:
            return await _admin_page(request, pool, who, {"errors": _messages(e)}, as_http(e).status_code)
        return await _admin_page(request, pool, who, {"report": report}, 200 if report.accepted else 422)

    @r.post("/admin/konfigurasi", dependencies=[POLICY.BKPSDM], name="admin_konfigurasi")
    async def admin_konfigurasi(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        regency = _admin(who)
        form = await request.form()
        try:
            cfg = org.RegencyConfig(
                regency, Periodicity(_form_text(form, "periodicity")), int(_form_text(form, "skp_deadline_month")),
                int(_form_text(form, "skp_deadline_day")), Decimal(_form_text(form, "capaian_cap")),
                Decimal(_form_text(form, "rating_above_from")), Decimal(_form_text(form, "rating_below_under")),
            )  # fmt: skip
            await org.update_config(pool, who, cfg)
        except DomainError as e:
            return await _admin_page(request, pool, who, {"errors": _messages(e)}, 422)
        except (ValueError, ArithmeticError):
            return await _admin_page(request, pool, who, {"errors": ["Isian konfigurasi harus berupa angka."]}, 422)
        return _back(request, "/admin", "Konfigurasi disimpan.")

    @r.get("/admin/unit", dependencies=[POLICY.BKPSDM], response_class=HTMLResponse, name="admin_unit")
    async def admin_unit(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        regency = _admin(who)
        units = await org.list_units(pool, [regency])
        return _render(request, "evaluation/unit.html", {"principal": who, "units": units, "year": _year(request)})

    @r.post("/admin/unit", dependencies=[POLICY.BKPSDM], name="admin_unit_tambah")
    async def admin_unit_tambah(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        regency = _admin(who)
        form = await request.form()
        parent = _form_text(form, "parent_id")
        try:
            await org.create_unit(pool, who, name=_form_text(form, "name"), kind=_form_text(form, "kind"),
                                  parent_id=UUID(parent) if parent else None, public_facing=None)  # fmt: skip
        except (DomainError, ValueError) as e:
            units = await org.list_units(pool, [regency])
            msgs = _messages(e) if isinstance(e, DomainError) else ["Unit induk tidak sah."]
            return _render(request, "evaluation/unit.html",
                           {"principal": who, "units": units, "year": _year(request), "errors": msgs}, 422)  # fmt: skip
        return _back(request, "/admin/unit", "Unit ditambahkan.")

    @r.get("/admin/penilai", dependencies=[POLICY.ORG_READERS], response_class=HTMLResponse, name="admin_penilai")
    async def admin_penilai(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        if not who.has_role(Role.ADMIN_BKPSDM, *PROVINCE_ROLES):
            raise HTTPException(403, "Halaman ini untuk admin BKPSDM dan peran provinsi.")
        rows = await org.who_assesses_whom(pool, await scope_of(pool, who), org.now_jakarta().date())
        return _render(request, "evaluation/penilai.html",
                       {"principal": who, "rows": rows, "can_edit": who.has_role(Role.ADMIN_BKPSDM)})  # fmt: skip

    @r.post("/admin/plt", dependencies=[POLICY.BKPSDM], name="admin_plt")
    async def admin_plt(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        _admin(who)
        form = await request.form()
        try:
            await org.assign_acting_superior(
                pool, who, asn_id=UUID(_form_text(form, "asn_id")),
                acting_superior_id=UUID(_form_text(form, "acting_superior_id")),
                valid_from=date.fromisoformat(_form_text(form, "valid_from")),
                valid_until=date.fromisoformat(_form_text(form, "valid_until")),
            )  # fmt: skip
        except (DomainError, ValueError) as e:
            rows = await org.who_assesses_whom(pool, [_admin(who)], org.now_jakarta().date())
            msgs = _messages(e) if isinstance(e, DomainError) else ["Pegawai atau tanggal tidak sah."]
            return _render(request, "evaluation/penilai.html",
                           {"principal": who, "rows": rows, "can_edit": True, "errors": msgs}, 422)  # fmt: skip
        return _back(request, "/admin/penilai", "Plt/Plh atasan disimpan.")

    @r.get("/kaskade", response_class=HTMLResponse, name="kaskade")
    async def kaskade(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        year = _year(request)
        units = await org.list_units(pool, await scope_of(pool, who))
        raw = request.query_params.get("unit_id", "")
        tree: list[dict[str, Any]] = []
        unit_id = None
        try:
            unit_id = UUID(raw) if raw else None
        except ValueError:
            unit_id = None
        if unit_id is not None:
            try:
                tree = await skp.cascade(pool, who, unit_id, year)
            except DomainError as e:
                raise as_http(e) from e
        return _render(request, "evaluation/kaskade.html",
                       {"principal": who, "units": units, "tree": tree, "unit_id": unit_id, "year": year})  # fmt: skip

    @r.get("/provinsi", dependencies=[POLICY.PROVINCE], response_class=HTMLResponse, name="provinsi")
    async def provinsi(request: Request, pool: PoolDep, who: CurrentPrincipal, periode: str | None = None) -> Response:
        """Province roles compare their regencies: average score and predikat distribution in a period."""
        today = org.now_jakarta().date()
        period = periode if periode and PERIOD_PATTERN.match(periode) else current_period(today, Periodicity.QUARTERLY)
        try:
            rows = await province.regency_comparison(pool, who, period)
        except DomainError as e:
            raise as_http(e) from e
        return _render(request, "evaluation/provinsi.html", {"principal": who, "period": period, "rows": rows,
                                                             "period_label": period_label(period),
                                                             **province_charts(rows)})  # fmt: skip

    _ = Rating
    return r


PREDIKAT_COLOURS = {  # colour-blind-safe (Okabe–Ito), best to worst
    Predikat.SANGAT_BAIK: "#009E73", Predikat.BAIK: "#56B4E9", Predikat.BUTUH_PERBAIKAN: "#E69F00",
    Predikat.KURANG: "#D55E00", Predikat.SANGAT_KURANG: "#CC79A7",
}  # fmt: skip


def province_charts(rows: list[province.RegencyRow]) -> dict[str, Any]:
    """Chart.js configs (data-chart, built here: the CSP allows no inline script) for the province page."""
    labels = [r.name for r in rows]
    average = {
        "type": "bar",
        "data": {"labels": labels, "datasets": [{"label": "Rata-rata skor",
                 "data": [float(r.average) if r.average is not None else None for r in rows],
                 "backgroundColor": "#0072B2"}]},
        "options": {"indexAxis": "y", "maintainAspectRatio": False, "animation": False,
                    "scales": {"x": {"min": 0, "suggestedMax": 100}},
                    "plugins": {"legend": {"display": False}}},
    }  # fmt: skip
    spread = {
        "type": "bar",
        "data": {"labels": labels, "datasets": [
            {"label": PREDIKAT_LABEL[p], "data": [float(r.share(p)) for r in rows],
             "backgroundColor": PREDIKAT_COLOURS[p]} for p in Predikat]},
        "options": {"indexAxis": "y", "maintainAspectRatio": False, "animation": False, "scales": {
            "x": {"stacked": True, "min": 0, "max": 100, "title": {"display": True, "text": "% pegawai berpredikat"}},
            "y": {"stacked": True}}},
    }  # fmt: skip
    return {"chart_average": average, "chart_spread": spread, "chart_height": 60 + 34 * len(rows),
            "PREDIKATS": list(Predikat), "PREDIKAT_LABEL": PREDIKAT_LABEL}  # fmt: skip
