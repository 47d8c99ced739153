"""JSON API of the evaluation service (part 1): organisation master data, SKP, realisasi, capaian."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, File, HTTPException, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from kinerja_evaluation.domain.skp import UNITS, BerAkhlak, Periodicity
from kinerja_evaluation.entrypoints import policies as POLICY
from kinerja_evaluation.entrypoints.errors import domain_errors
from kinerja_evaluation.examples import EXAMPLE_SKPS
from kinerja_evaluation.service import org, realisasi, skp
from kinerja_evaluation.service.access import scope_of
from kinerja_evaluation.service.models import (
    CapaianView,
    CommentIn,
    RealisasiIn,
    ReviseIn,
    RhkIn,
    SkpContentIn,
    SkpIn,
    SkpView,
)
from kinerja_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from kinerja_shared.policy import Scope, public
from kinerja_shared.runtime import PoolDep

PERIOD = r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$"
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN_BKPSDM))]
ProvinceAdmin = Annotated[Principal, Depends(require_roles(Role.ADMIN_PROVINSI, scope=Scope.PROVINCE))]
Reader = Annotated[Principal, Depends(require_roles(Role.ADMIN_BKPSDM, Role.ADMIN_PROVINSI, Role.INSPEKTORAT))]


class RegencyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    province_id: UUID
    province_name: str = Field(min_length=1, max_length=120)
    name: str = Field(min_length=1, max_length=120, description="e.g. Kabupaten Tebo")
    code: str = Field(pattern=r"^\d{2}\.\d{2}$", description="Kemendagri code, e.g. 15.09")


class ConfigIO(BaseModel):
    model_config = ConfigDict(extra="forbid")

    periodicity: Periodicity = Periodicity.QUARTERLY
    skp_deadline_month: int = Field(default=1, ge=1, le=12)
    skp_deadline_day: int = Field(default=31, ge=1, le=31)
    capaian_cap: Decimal = Field(default=Decimal(120), ge=100, le=200)
    rating_above_from: Decimal = Field(default=Decimal(110), gt=0, le=200)
    rating_below_under: Decimal = Field(default=Decimal(90), gt=0, le=200)


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(default="", max_length=40)
    parent_id: UUID | None = None
    public_facing: bool | None = None


class ActingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asn_id: UUID
    acting_superior_id: UUID
    valid_from: date
    valid_until: date


class Created(BaseModel):
    id: UUID


# reference data with no personal data: open like a published standard
REFERENCE = public("reference data: units of measure and example SKPs")


def _config_out(c: org.RegencyConfig) -> ConfigIO:
    return ConfigIO(
        periodicity=c.periodicity,
        skp_deadline_month=c.skp_deadline_month,
        skp_deadline_day=c.skp_deadline_day,
        capaian_cap=c.capaian_cap,
        rating_above_from=c.rating_above_from,
        rating_below_under=c.rating_below_under,
    )


def api_router() -> APIRouter:
    r = APIRouter(prefix="/api")

    # ---- organisation ----------------------------------------------------------------------------------------

    @r.put("/regencies/{regency_id}", tags=["organisasi"])
    async def put_regency(regency_id: UUID, body: RegencyIn, pool: PoolDep, who: ProvinceAdmin) -> dict[str, bool]:
        """Register or rename a regency of the caller's province (the tenant); publishes RegencyUpserted."""
        if who.province_id != body.province_id:
            raise HTTPException(403, "Hanya untuk kabupaten/kota di provinsi Anda.")
        changed = await org.upsert_regency(
            pool, regency_id=regency_id, province_id=body.province_id, province_name=body.province_name,
            name=body.name, code=body.code,
        )  # fmt: skip
        return {"changed": changed}

    @r.get("/config", tags=["organisasi"])
    async def get_config(pool: PoolDep, who: Admin) -> ConfigIO:
        """The regency's configuration (periodicity, SKP deadline, capaian cap and thresholds)."""
        with domain_errors():
            return _config_out(await org.get_config(pool, who))

    @r.put("/config", tags=["organisasi"])
    async def put_config(body: ConfigIO, pool: PoolDep, who: Admin) -> ConfigIO:
        assert who.regency_id is not None  # Admin: a BKPSDM account of one regency
        with domain_errors():
            cfg = org.RegencyConfig(who.regency_id, **body.model_dump())
            return _config_out(await org.update_config(pool, who, cfg))

    @r.post("/org/import", tags=["organisasi"], responses={422: {"description": "rejected: every bad row"}})
    async def import_roster(
        pool: PoolDep, who: Admin, file: Annotated[UploadFile, File(description="CSV or XLSX, columns in docs")]
    ) -> JSONResponse:
        """Import the regency's ASN roster, all or nothing. 422 lists every bad row (line, column, reason)."""
        content = await file.read()
        with domain_errors():
            report = await org.import_roster(pool, who, file.filename or "berkas", content)
        body = report.as_dict()
        if report.accepted:
            return JSONResponse(body)
        detail = [
            {"field": f"file.line.{e.line}.{e.column}", "location": "body", "type": "roster_row", "line": e.line,
             "column": e.column, "reason": e.reason, "message_id": f"Baris {e.line}, kolom {e.column}: {e.reason}"}
            for e in report.errors
        ]  # fmt: skip
        return JSONResponse({"detail": detail, "report": body}, status_code=422)

    @r.get("/org/imports", tags=["organisasi"])
    async def imports(pool: PoolDep, who: Admin) -> list[dict[str, Any]]:
        assert who.regency_id is not None  # Admin: a BKPSDM account of one regency
        rows = await org.recent_imports(pool, who.regency_id)
        return [dict(x) | {"import_id": str(x["import_id"])} for x in rows]

    @r.get("/org/units", tags=["organisasi"])
    async def units(pool: PoolDep, who: Reader) -> list[dict[str, Any]]:
        """Units of the caller's regency (province roles: of their province), with active headcount."""
        return [dict(x) for x in await org.list_units(pool, await scope_of(pool, who))]

    @r.post("/org/units", tags=["organisasi"], status_code=201)
    async def add_unit(body: UnitIn, pool: PoolDep, who: Admin) -> Created:
        with domain_errors():
            uid = await org.create_unit(pool, who, name=body.name, kind=body.kind, parent_id=body.parent_id,
                                        public_facing=body.public_facing)  # fmt: skip
        return Created(id=uid)

    @r.get("/org/assessors", tags=["organisasi"])
    async def assessors(pool: PoolDep, who: Reader) -> list[dict[str, Any]]:
        """Who assesses whom: each ASN's direct superior and any acting superior valid today."""
        rows = await org.who_assesses_whom(pool, await scope_of(pool, who), org.now_jakarta().date())
        # the NIP is for the regency's own HR office; province read-only roles work with names and ids
        hide = () if who.has_role(Role.ADMIN_BKPSDM) else ("nip",)
        return [{k: v for k, v in x.items() if k not in hide} for x in rows]

    @r.post("/org/acting-superiors", tags=["organisasi"], status_code=201)
    async def add_acting(body: ActingIn, pool: PoolDep, who: Admin) -> dict[str, str]:
        with domain_errors():
            await org.assign_acting_superior(pool, who, **body.model_dump())
        return {"status": "ok"}

    # ---- SKP ---------------------------------------------------------------------------------------------------

    @r.get("/skp/units", tags=["skp"], dependencies=[REFERENCE])
    async def units_of_measure() -> list[str]:
        """The units of measure an indicator may use."""
        return sorted(UNITS)

    @r.get("/skp/examples", tags=["skp"], dependencies=[REFERENCE])
    async def examples() -> dict[str, Any]:
        """Example SKPs in the seeds' terms (bodies for POST /api/skp once `year` is added)."""
        return EXAMPLE_SKPS

    @r.post("/skp", tags=["skp"], status_code=201)
    async def create(body: SkpIn, pool: PoolDep, who: CurrentPrincipal) -> Created:
        """The ASN opens their SKP for a year (draft), optionally with RHK, indicators and expectations."""
        with domain_errors():
            return Created(id=await skp.create_skp(pool, who, body))

    @r.get("/skp/mine", tags=["skp"])
    async def mine(pool: PoolDep, who: CurrentPrincipal, year: Annotated[int, Query(ge=2020, le=2100)]) -> SkpView:
        with domain_errors():
            skp_id = await skp.my_skp_id(pool, who, year)
            if skp_id is None:
                raise HTTPException(404, f"Belum ada SKP tahun {year}.")
            return await skp.get_skp(pool, who, skp_id)

    @r.get("/skp/{skp_id}", tags=["skp"])
    async def get(skp_id: UUID, pool: PoolDep, who: CurrentPrincipal) -> SkpView:
        """An SKP: only the ASN, their superior chain, their regency's HR admin and province read-only roles."""
        with domain_errors():
            return await skp.get_skp(pool, who, skp_id)

    @r.put("/skp/{skp_id}/content", tags=["skp"], status_code=204)
    async def put_content(skp_id: UUID, body: SkpContentIn, pool: PoolDep, who: CurrentPrincipal) -> None:
        with domain_errors():
            await skp.replace_content(pool, who, skp_id, body)

    @r.post("/skp/{skp_id}/rhk", tags=["skp"], status_code=201)
    async def post_rhk(skp_id: UUID, body: RhkIn, pool: PoolDep, who: CurrentPrincipal) -> Created:
        with domain_errors():
            return Created(id=await skp.add_rhk(pool, who, skp_id, body))

    @r.delete("/skp/{skp_id}/rhk/{rhk_id}", dependencies=[POLICY.ASN_SELF], tags=["skp"], status_code=204)
    async def del_rhk(skp_id: UUID, rhk_id: UUID, pool: PoolDep, who: CurrentPrincipal) -> None:
        with domain_errors():
            await skp.delete_rhk(pool, who, skp_id, rhk_id)

    @r.post("/skp/{skp_id}/rhk/{rhk_id}/indicators", tags=["skp"], status_code=204)
    async def post_indicators(skp_id: UUID, rhk_id: UUID, body: RhkIn, pool: PoolDep, who: CurrentPrincipal) -> None:
        with domain_errors():
            await skp.add_indicator(pool, who, skp_id, rhk_id, body)

    @r.delete("/skp/{skp_id}/indicators/{indicator_id}", dependencies=[POLICY.ASN_SELF], tags=["skp"], status_code=204)
    async def del_indicator(skp_id: UUID, indicator_id: UUID, pool: PoolDep, who: CurrentPrincipal) -> None:
        with domain_errors():
            await skp.delete_indicator(pool, who, skp_id, indicator_id)

    @r.put("/skp/{skp_id}/expectations", dependencies=[POLICY.ASN_SELF], tags=["skp"], status_code=204)
    async def put_expectations(
        skp_id: UUID, body: dict[BerAkhlak, Annotated[str, Field(max_length=1000)]], pool: PoolDep,
        who: CurrentPrincipal,
    ) -> None:  # fmt: skip
        with domain_errors():
            await skp.set_expectations(pool, who, skp_id, body)

    @r.post("/skp/{skp_id}/submit", dependencies=[POLICY.ASN_SELF], tags=["skp"], status_code=204)
    async def submit(skp_id: UUID, pool: PoolDep, who: CurrentPrincipal) -> None:
        with domain_errors():
            await skp.submit_skp(pool, who, skp_id)

    @r.post("/skp/{skp_id}/approve", dependencies=[POLICY.ASN_SELF], tags=["skp"], status_code=204)
    async def approve(skp_id: UUID, pool: PoolDep, who: CurrentPrincipal) -> None:
        """The direct (or acting) superior approves; never the ASN themselves (403)."""
        with domain_errors():
            await skp.approve_skp(pool, who, skp_id)

    @r.post("/skp/{skp_id}/revision", tags=["skp"], status_code=204)
    async def revision(skp_id: UUID, body: CommentIn, pool: PoolDep, who: CurrentPrincipal) -> None:
        with domain_errors():
            await skp.request_revision(pool, who, skp_id, body.comment)

    @r.post("/skp/{skp_id}/revise", tags=["skp"], status_code=201)
    async def revise(skp_id: UUID, body: ReviseIn, pool: PoolDep, who: CurrentPrincipal) -> Created:
        """Open a new version of an approved SKP (mid-year change); history is kept."""
        with domain_errors():
            return Created(id=await skp.revise_skp(pool, who, skp_id, body.reason, body.effective_from))

    @r.get("/skp/{skp_id}/capaian", tags=["skp"])
    async def get_capaian(
        skp_id: UUID, pool: PoolDep, who: CurrentPrincipal, period: Annotated[str, Query(pattern=PERIOD)],
        confirmed_only: bool = False,
    ) -> CapaianView:  # fmt: skip
        """Capaian per indicator and RHK for a period (Table P3) with the proposed hasil rating."""
        with domain_errors():
            return await realisasi.capaian_of(pool, who, skp_id, period, confirmed_only=confirmed_only)

    @r.get("/subordinates", tags=["skp"])
    async def subs(
        pool: PoolDep, who: CurrentPrincipal, year: Annotated[int, Query(ge=2020, le=2100)]
    ) -> list[dict[str, Any]]:
        """The caller's direct (and acting) subordinates with their SKP of the year."""
        with domain_errors():
            return [dict(x) for x in await skp.subordinates(pool, who, year)]

    @r.get("/cascade", tags=["skp"])
    async def get_cascade(
        pool: PoolDep, who: CurrentPrincipal, unit_id: UUID, year: Annotated[int, Query(ge=2020, le=2100)]
    ) -> list[dict[str, Any]]:
        """The unit's cascade: its head's RHK (IKU) down to every RHK supporting them."""
        with domain_errors():
            return await skp.cascade(pool, who, unit_id, year)

    # ---- realisasi ---------------------------------------------------------------------------------------------

    @r.post("/indicators/{indicator_id}/realisasi", tags=["realisasi"], status_code=204)
    async def report(indicator_id: UUID, body: RealisasiIn, pool: PoolDep, who: CurrentPrincipal) -> None:
        with domain_errors():
            await realisasi.report_realisasi(pool, who, indicator_id, body)

    @r.post("/indicators/{indicator_id}/realisasi/{period}/confirm", tags=["realisasi"], status_code=204)
    async def confirm(
        indicator_id: UUID, period: Annotated[str, PathParam(pattern=PERIOD)], pool: PoolDep, who: CurrentPrincipal
    ) -> None:
        with domain_errors():
            await realisasi.confirm_realisasi(pool, who, indicator_id, period)

    @r.post("/indicators/{indicator_id}/realisasi/{period}/return", tags=["realisasi"], status_code=204)
    async def give_back(
        indicator_id: UUID,
        period: Annotated[str, PathParam(pattern=PERIOD)],
        body: CommentIn,
        pool: PoolDep,
        who: CurrentPrincipal,
    ) -> None:
        with domain_errors():
            await realisasi.return_realisasi(pool, who, indicator_id, period, body.comment)

    @r.get("/me", tags=["organisasi"])
    async def me(who: CurrentPrincipal) -> dict[str, Any]:
        return {"name": who.name, "roles": sorted(who.roles), "asn_id": who.asn_id, "regency_id": who.regency_id}

    return r
