"""BKPSDM pages (Bahasa Indonesia, phone-first): Pengaturan (settings + holiday calendar) and Sidik Jari
(machine PIN → ASN mapping, fingerprint import with a per-line report). Plain forms: the app's CSRF origin
check covers them; every change is audited by the use case."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from kinerja_activity.domain.errors import InvalidInput, NotFound, Violation
from kinerja_activity.entrypoints.common import now
from kinerja_activity.entrypoints.routes import BkpsdmDep, SettingsIn, csv_text, regency_of
from kinerja_activity.service import admin
from kinerja_activity.service import attendance as att
from kinerja_shared.runtime import PoolDep, Runtime
from kinerja_shared.web import path_for

LABEL = {
    "monthly_quota_minutes": "Kuota menit per bulan",
    "report_grace_days": "Batas tanggal pelaporan bulan lalu",
    "overdue_working_days": "Batas hari kerja menunggu verifikasi",
    "office_start": "Jam masuk",
    "office_end": "Jam pulang",
    "friday_end": "Jam pulang Jumat",
    "alpa_start": "Mulai penandaan alpa otomatis",
    "day": "Tanggal",
    "name": "Keterangan",
    "pin": "PIN",
    "asn_id": "Pegawai",
    "file": "Berkas",
    "waktu": "Waktu",
}
MAX_UPLOAD = 20 * 1024 * 1024


def _label(v: Violation) -> tuple[str, str]:
    return LABEL.get(v.field.split(".")[0], v.field), v.reason


def _render(request: Request, name: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
    resp: Response = request.app.state.templates.TemplateResponse(
        request, name, {"is_admin": True} | ctx, status_code=status_code
    )
    return resp


def _pydantic(e: ValidationError) -> list[Violation]:
    return [Violation(".".join(str(p) for p in x["loc"]) or "form", str(x["msg"]), str(x["type"])) for x in e.errors()]


def admin_pages_router(_rt: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    async def _pengaturan(
        request: Request,
        pool: Any,
        regency_id: UUID,
        *,
        errors: list[Violation] | None = None,
        form: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        raw_year = request.query_params.get("tahun", "")
        year = int(raw_year) if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100 else now().year
        s = await admin.get_settings(pool, regency_id)
        values = {
            "monthly_quota_minutes": str(s.monthly_quota_minutes),
            "report_grace_days": str(s.report_grace_days),
            "overdue_working_days": str(s.overdue_working_days),
            "office_start": s.office_start.strftime("%H:%M"),
            "office_end": s.office_end.strftime("%H:%M"),
            "friday_end": s.friday_end.strftime("%H:%M"),
            "alpa_start": s.alpa_start.isoformat() if s.alpa_start else "",
        } | (form or {})
        return _render(
            request,
            "activity/pengaturan.html",
            {
                "values": values,
                "holidays": await admin.list_holidays(pool, regency_id, year),
                "year": year,
                "errors": [_label(v) for v in errors or []],
                "notice": request.query_params.get("pesan", ""),
            },
            status_code,
        )

    @r.get("/pengaturan", name="pengaturan", response_class=HTMLResponse)
    async def pengaturan(request: Request, pool: PoolDep, principal: BkpsdmDep) -> Response:
        """Pengaturan kegiatan & kehadiran daerah, and its holiday calendar (BKPSDM)."""
        return await _pengaturan(request, pool, regency_of(principal))

    @r.post("/pengaturan", name="pengaturan_simpan", response_class=HTMLResponse)
    async def pengaturan_simpan(request: Request, pool: PoolDep, principal: BkpsdmDep) -> Response:
        regency_id = regency_of(principal)
        form = {k: str(v).strip() for k, v in (await request.form()).items() if k in LABEL}
        data: dict[str, object] = {k: v for k, v in form.items() if v != ""}
        data.setdefault("alpa_start", None)
        try:
            body = SettingsIn.model_validate(data)
            await admin.save_settings(pool, principal, regency_id, body.to_domain(), now=now())
        except ValidationError as e:
            return await _pengaturan(request, pool, regency_id, errors=_pydantic(e), form=form, status_code=422)
        except InvalidInput as e:
            return await _pengaturan(request, pool, regency_id, errors=e.violations, form=form, status_code=422)
        return RedirectResponse(path_for(request, "pengaturan") + "?pesan=Pengaturan+disimpan.", status_code=303)

    @r.post("/pengaturan/libur", name="libur_tambah", response_class=HTMLResponse)
    async def libur_tambah(request: Request, pool: PoolDep, principal: BkpsdmDep) -> Response:
        regency_id = regency_of(principal)
        form = await request.form()
        raw_day, name = str(form.get("day", "")).strip(), str(form.get("name", "")).strip()
        problems = []
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            problems.append(Violation("day", "Isi tanggal yang sah.", "date_parsing"))
        if not 3 <= len(name) <= 120:
            problems.append(Violation("name", "Keterangan 3–120 karakter.", "string_length"))
        try:
            if problems:
                raise InvalidInput(problems)
            await admin.add_holiday(pool, principal, regency_id, day, name, now=now())
        except InvalidInput as e:
            return await _pengaturan(request, pool, regency_id, errors=e.violations, status_code=422)
        return RedirectResponse(
            path_for(request, "pengaturan") + f"?tahun={day.year}&pesan=Hari+libur+ditambahkan.", status_code=303
        )

    @r.post("/pengaturan/libur/{day}/hapus", name="libur_hapus")
    async def libur_hapus(day: date, request: Request, pool: PoolDep, principal: BkpsdmDep) -> Response:
        msg = "Hari libur dihapus."
        try:
            await admin.remove_holiday(pool, principal, regency_of(principal), day, now=now())
        except NotFound:
            msg = "Hari libur tidak ditemukan."
        return RedirectResponse(
            path_for(request, "pengaturan") + f"?tahun={day.year}&pesan=" + quote(msg), status_code=303
        )

    async def _sidik_jari(
        request: Request,
        pool: Any,
        regency_id: UUID,
        *,
        errors: list[Violation] | None = None,
        report: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response:
        return _render(
            request,
            "activity/sidik_jari.html",
            {
                "pins": await admin.list_pins(pool, regency_id),
                "choices": await admin.asn_choices(pool, regency_id),
                "errors": [_label(v) for v in errors or []],
                "report": report,
                "notice": request.query_params.get("pesan", ""),
            },
            status_code,
        )

    @r.get("/sidik-jari", name="sidik_jari", response_class=HTMLResponse)
    async def sidik_jari(request: Request, pool: PoolDep, principal: BkpsdmDep) -> Response:
        """Sidik Jari: PIN mesin → pegawai, and importing a machine's scan log (BKPSDM)."""
        return await _sidik_jari(request, pool, regency_of(principal))

    @r.post("/sidik-jari/pin", name="pin_simpan", response_class=HTMLResponse)
    async def pin_simpan(request: Request, pool: PoolDep, principal: BkpsdmDep) -> Response:
        regency_id = regency_of(principal)
        form = await request.form()
        try:
            pin = admin.check_pin(str(form.get("pin", "")))
            try:
                asn = UUID(str(form.get("asn_id", "")))
            except ValueError:
                raise InvalidInput([Violation("asn_id", "Pilih pegawai.", "missing")]) from None
            _, unknown = await admin.set_pins(pool, principal, regency_id, [(0, pin, asn)], now=now())
            if unknown:
                raise InvalidInput([v for _, v in unknown])
        except InvalidInput as e:
            return await _sidik_jari(request, pool, regency_id, errors=e.violations, status_code=422)
        return RedirectResponse(path_for(request, "sidik_jari") + "?pesan=" + quote(f"PIN {pin} disimpan."), 303)

    @r.post("/sidik-jari/pin/{pin}/hapus", name="pin_hapus")
    async def pin_hapus(pin: str, request: Request, pool: PoolDep, principal: BkpsdmDep) -> Response:
        msg = f"PIN {pin} dihapus."
        try:
            await admin.remove_pin(pool, principal, regency_of(principal), pin, now=now())
        except NotFound:
            msg = "PIN tidak ditemukan."
        return RedirectResponse(path_for(request, "sidik_jari") + "?pesan=" + quote(msg), status_code=303)

    async def _upload(request: Request) -> str | None:
        form = await request.form()
        f = form.get("berkas")
        if f is None or isinstance(f, str) or not f.filename:
            return None
        raw = await f.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            raise InvalidInput([Violation("file", "Berkas terlalu besar (maksimal 20 MB).", "too_large")])
        return csv_text(raw)

    @r.post("/sidik-jari/pin-csv", name="pin_csv", response_class=HTMLResponse)
    async def pin_csv(request: Request, pool: PoolDep, principal: BkpsdmDep) -> Response:
        regency_id = regency_of(principal)
        try:
            text = await _upload(request)
            if text is None:
                raise InvalidInput([Violation("file", "Pilih berkas CSV.", "missing")])
            pairs, bad = admin.parse_pin_csv(text)
            saved, unknown = await admin.set_pins(pool, principal, regency_id, pairs, now=now())
        except InvalidInput as e:
            return await _sidik_jari(request, pool, regency_id, errors=e.violations, status_code=422)
        report = {"title": "Pemetaan PIN", "ok": f"{saved} PIN disimpan", "lines": sorted(bad + unknown)}
        return await _sidik_jari(request, pool, regency_id, report=report)

    @r.post("/sidik-jari/impor", name="sidik_jari_impor", response_class=HTMLResponse)
    async def sidik_jari_impor(request: Request, pool: PoolDep, principal: BkpsdmDep) -> Response:
        regency_id = regency_of(principal)
        try:
            text = await _upload(request)
            if text is None:
                raise InvalidInput([Violation("file", "Pilih berkas ekspor mesin.", "missing")])
            res = await att.import_fingerprint(pool, regency_id, text, now=now())
        except InvalidInput as e:
            return await _sidik_jari(request, pool, regency_id, errors=e.violations, status_code=422)
        report = {
            "title": "Impor sidik jari",
            "ok": f"{res.rows} baris dibaca, {res.days_changed} hari kehadiran berubah",
            "lines": res.errors,
        }
        return await _sidik_jari(request, pool, regency_id, report=report)

    return r
