"""Pages of the follow-up (Bahasa Indonesia, phone-first): rules, annual rating, curve and finalisation, results and
keberatan, TPP, rewards, pembinaan, training and the equal-access report, and the public piagam verification.
Forms post to the same use cases as the API (POST/redirect/GET); a refused form comes back with every reason."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from kinerja_evaluation.domain.capaian import RATING_LABEL, Rating
from kinerja_evaluation.domain.curve import OrgRating
from kinerja_evaluation.domain.development import DIMENSION_LABEL
from kinerja_evaluation.domain.errors import DomainError
from kinerja_evaluation.domain.predikat import PREDIKAT_LABEL, Predikat
from kinerja_evaluation.domain.rules import RuleSet, RulesInvalid
from kinerja_evaluation.domain.scoring_rules import period_label
from kinerja_evaluation.entrypoints import policies as POLICY
from kinerja_evaluation.entrypoints.followup_errors import FollowupRoute, followup_errors, followup_http
from kinerja_evaluation.entrypoints.followup_routes import verify_base
from kinerja_evaluation.service import annual, keberatan, pembinaan, rewards, training
from kinerja_evaluation.service import rules as rules_service
from kinerja_evaluation.service import tpp as tpp_service
from kinerja_evaluation.service.annual import CurveViolations
from kinerja_evaluation.service.followup_common import now_jakarta
from kinerja_shared.auth import CurrentPrincipal, Role
from kinerja_shared.policy import public
from kinerja_shared.runtime import PoolDep
from kinerja_shared.web import app_path

ORG_LABEL = {
    OrgRating.ISTIMEWA: "Istimewa",
    OrgRating.BAIK: "Baik",
    OrgRating.BUTUH_PERBAIKAN: "Butuh Perbaikan",
    OrgRating.KURANG: "Kurang",
    OrgRating.SANGAT_KURANG: "Sangat Kurang",
}
WEIGHT_LABEL = {
    "hasil": "Hasil kerja",
    "perilaku": "Perilaku",
    "kehadiran": "Kehadiran",
    "kepuasan": "Kepuasan masyarakat",
    "inovasi": "Inovasi",
}


def _render(request: Request, name: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
    base = {
        "PREDIKAT": {p.value: lbl for p, lbl in PREDIKAT_LABEL.items()},
        "RATING": {r.value: lbl for r, lbl in RATING_LABEL.items()},
        "ORG": {r.value: lbl for r, lbl in ORG_LABEL.items()},
        "period_label": period_label,
        "errors": [],
        "pesan": request.query_params.get("pesan", ""),
    }
    resp: Response = request.app.state.templates.TemplateResponse(
        request, f"evaluation/followup/{name}", base | ctx, status_code=status_code
    )
    return resp


def _back(request: Request, path: str, pesan: str) -> Response:
    sep = "&" if "?" in path else "?"
    return RedirectResponse(app_path(request, path) + f"{sep}pesan={quote(pesan)}", status_code=303)


def _reasons(e: DomainError) -> list[str]:
    if isinstance(e, RulesInvalid):
        return [f"{x.field}: {x.reason}" for x in e.errors]
    return [e.message_id]


def _raise(e: DomainError) -> HTTPException:
    return followup_http(e)


def _year() -> int:
    return now_jakarta().year


def _dec(form: Any, name: str) -> str:
    return str(form.get(name, "")).strip().replace(",", ".")


def rules_from_form(form: Any, current: RuleSet) -> RuleSet:
    """The rule form's fields over the current version (a field the form does not send keeps its value)."""
    data = current.to_json()

    def pick(name: str, value: Any) -> Any:
        return _dec(form, name) if name in form else value

    data["weights"] = {k: pick(f"w_{k}", v) for k, v in data["weights"].items()}
    for key in (
        "periodicity",
        "rating_above_from",
        "rating_below_under",
        "at_risk_below",
        "award_score_jump",
        "minutes_quota",
        "kinerja_share",
        "disiplin_share",
        "over_ladder_or_no_record",
        "missed_apel",
        "absent_without_reason",
        "deduction_cap",
        "objection_days",
        "decision_days",
        "jp_right",
    ):
        data[key] = pick(key, data[key])
    if "kinerja_share" in form:  # the checkbox is only meaningful when the whole form was sent
        data["apply_minutes_quota"] = form.get("apply_minutes_quota") == "on"
    data["kinerja_factor"] = {k: pick(f"f_{k}", v) for k, v in data["kinerja_factor"].items()}
    if any(f"ladder_m{i}" in form for i in range(4)):
        ladder = []
        for i in range(4):
            m, d = _dec(form, f"ladder_m{i}"), _dec(form, f"ladder_d{i}")
            if m or d:
                ladder.append([m, d])
        data["lateness_ladder"] = ladder
    data["curve"] = {r: [pick(f"c_{r}_{i}", p) for i, p in enumerate(ps)] for r, ps in data["curve"].items()}
    data["tpp_base"] = {k: pick(f"base_{k}", v) for k, v in data["tpp_base"].items()}
    return RuleSet.from_json(data)


def followup_pages_router() -> APIRouter:
    r = APIRouter(prefix="/tindak-lanjut", include_in_schema=False, route_class=FollowupRoute)

    @r.get("", name="followup_home")
    async def home(request: Request, who: CurrentPrincipal) -> Response:
        return _render(request, "home.html", {"principal": who, "admin": who.has_role(Role.ADMIN_BKPSDM)})

    # ------------------------------------------------------------ rules
    @r.get("/aturan", name="followup_rules_page", dependencies=[POLICY.REGENCY_MEMBER])
    async def rules_page(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        try:
            cur, history = await rules_service.read(pool, who)
        except DomainError as e:
            raise _raise(e) from e
        return _render(
            request,
            "aturan.html",
            {
                "principal": who,
                "v": cur.version,
                "rules": cur.rules,
                "history": history,
                "admin": who.has_role(Role.ADMIN_BKPSDM),
                "WEIGHT_LABEL": WEIGHT_LABEL,
                "OrgRating": OrgRating,
                "Predikat": Predikat,
            },
        )

    @r.post("/aturan", name="followup_rules_post", dependencies=[POLICY.REGENCY_MEMBER])
    async def rules_post(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        form = await request.form()
        with followup_errors():  # no regency to read rules from: 403/422, not a half-rendered form
            cur, history = await rules_service.read(pool, who)
        try:
            base = int(str(form.get("base_version", "0")))
            new = rules_from_form(form, cur.rules)
            version = await rules_service.save(pool, who, new, base_version=base, note=str(form.get("note", "")))
        except (DomainError, ValueError) as e:
            errors = _reasons(e) if isinstance(e, DomainError) else ["Versi formulir tidak dikenali."]
            # the typed values come back with the reasons: nothing the admin entered is lost
            return _render(
                request,
                "aturan.html",
                {
                    "principal": who,
                    "v": cur.version,
                    "rules": cur.rules,
                    "history": history,
                    "admin": True,
                    "form": form,
                    "errors": errors,
                    "WEIGHT_LABEL": WEIGHT_LABEL,
                    "OrgRating": OrgRating,
                    "Predikat": Predikat,
                },
                422,
            )
        return _back(request, "/tindak-lanjut/aturan", f"Aturan versi {version} disimpan.")

    # ------------------------------------------------------------ annual rating
    @r.get("/tahunan", name="followup_annual_page", dependencies=[POLICY.ANNUAL_READERS])
    async def annual_page(request: Request, pool: PoolDep, who: CurrentPrincipal, tahun: int | None = None) -> Response:
        year = tahun or _year()
        try:
            members = await annual.annual_overview(pool, who, annual.check_year(year))
        except DomainError as e:
            raise _raise(e) from e
        return _render(
            request, "tahunan.html", {"principal": who, "year": year, "members": members, "ratings": list(Rating)}
        )

    @r.post("/tahunan/{asn_id}", name="followup_annual_post")
    async def annual_post(asn_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        form = await request.form()
        year = int(str(form.get("year", _year())))
        try:
            out = await annual.rate_annual(
                pool,
                who,
                asn_id,
                year,
                annual.AnnualRatingIn(
                    Rating(str(form.get("hasil"))), Rating(str(form.get("perilaku"))), str(form.get("note", ""))
                ),
            )
        except (DomainError, ValueError) as e:
            msg = _reasons(e)[0] if isinstance(e, DomainError) else "Pilih penilaian hasil dan perilaku."
            return _back(request, f"/tindak-lanjut/tahunan?tahun={year}", msg)
        return _back(request, f"/tindak-lanjut/tahunan?tahun={year}", f"Disimpan: predikat {out['label']}.")

    # ------------------------------------------------------------ curve and finalisation
    @r.get("/kurva", name="followup_curve_page", dependencies=[POLICY.CURVE_READERS])
    async def curve_page(
        request: Request, pool: PoolDep, who: CurrentPrincipal, periode: str | None = None
    ) -> Response:
        period = periode or f"{_year() - 1}-Y"
        try:
            units = await annual.curve_report(pool, who, period)
        except DomainError as e:
            raise _raise(e) from e
        return _render(
            request,
            "kurva.html",
            {
                "principal": who,
                "period": period,
                "units": units,
                "admin": who.has_role(Role.ADMIN_BKPSDM),
                "orgs": list(OrgRating),
                "predikat": list(Predikat),
            },
        )

    @r.post("/kurva/peringkat/{unit_id}", name="followup_unit_rating_post")
    async def unit_rating_post(unit_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        form = await request.form()
        period = str(form.get("period", ""))
        try:
            await annual.set_unit_rating(pool, who, unit_id, period, OrgRating(str(form.get("rating"))))
        except (DomainError, ValueError) as e:
            return _back(
                request,
                f"/tindak-lanjut/kurva?periode={period}",
                _reasons(e)[0] if isinstance(e, DomainError) else "Peringkat tidak dikenali.",
            )
        return _back(request, f"/tindak-lanjut/kurva?periode={period}", "Peringkat organisasi disimpan.")

    @r.post("/kurva/finalisasi", name="followup_finalise_post")
    async def finalise_post(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        form = await request.form()
        period = str(form.get("period", ""))
        unit = str(form.get("unit_id", "")).strip()
        try:
            rep = await annual.finalise(
                pool,
                who,
                period,
                unit_id=UUID(unit) if unit else None,
                acknowledge_violations=form.get("acknowledge") == "on",
            )
        except CurveViolations as e:
            return _back(request, f"/tindak-lanjut/kurva?periode={period}", e.message_id)
        except (DomainError, ValueError) as e:
            return _back(
                request,
                f"/tindak-lanjut/kurva?periode={period}",
                _reasons(e)[0] if isinstance(e, DomainError) else "Unit tidak dikenali.",
            )
        msg = (
            f"Finalisasi: {rep.finalised} hasil menjadi final (aturan versi {rep.rule_version}); "
            f"{rep.already_final} sudah final sebelumnya; {rep.without_predikat} belum dinilai."
        )
        return _back(request, f"/tindak-lanjut/kurva?periode={period}", msg)

    # ------------------------------------------------------------ results and keberatan
    @r.get("/hasil", name="followup_results_page", dependencies=[POLICY.REGENCY_MEMBER])
    async def results_page(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        try:
            results = await annual.my_results(pool, who)
        except DomainError as e:
            raise _raise(e) from e
        return _render(request, "hasil.html", {"principal": who, "results": results})

    @r.post("/keberatan", name="followup_keberatan_post", dependencies=[POLICY.REGENCY_MEMBER])
    async def keberatan_post(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        form = await request.form()
        links = tuple(x.strip() for x in str(form.get("evidence", "")).splitlines() if x.strip())[:10]
        try:
            await keberatan.file(
                pool, who, keberatan.KeberatanIn(str(form.get("period", "")), str(form.get("reasons", "")), links)
            )
        except DomainError as e:
            try:
                results = await annual.my_results(pool, who)
            except DomainError as no_results:  # not an ASN at all: a clear refusal rather than a 500
                raise _raise(no_results) from no_results
            return _render(
                request, "hasil.html", {"principal": who, "results": results, "errors": _reasons(e), "form": form}, 422
            )
        return _back(request, "/tindak-lanjut/keberatan", "Keberatan diajukan.")

    @r.get("/keberatan", name="followup_keberatan_page", dependencies=[POLICY.REGENCY_MEMBER])
    async def keberatan_page(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        try:
            lists = await keberatan.listing(pool, who)
        except DomainError as e:  # not an ASN: a clear refusal rather than a 500
            raise _raise(e) from e
        return _render(request, "keberatan.html", {"principal": who, "l": lists, "predikat": list(Predikat)})

    @r.post("/keberatan/{keberatan_id}", name="followup_keberatan_decide_post")
    async def keberatan_decide(keberatan_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        form = await request.form()
        new = str(form.get("new_predikat", ""))
        try:
            await keberatan.decide(
                pool,
                who,
                keberatan_id,
                keberatan.DecisionIn(
                    form.get("accept") == "ya", str(form.get("reason", "")), Predikat(new) if new else None
                ),
            )
        except DomainError as e:
            return _back(request, "/tindak-lanjut/keberatan", _reasons(e)[0])
        return _back(request, "/tindak-lanjut/keberatan", "Keputusan keberatan dicatat dan diumumkan.")

    # ------------------------------------------------------------ TPP
    @r.get("/tpp", name="followup_tpp_page", dependencies=[POLICY.SELF_OR_CHAIN])
    async def tpp_page(
        request: Request, pool: PoolDep, who: CurrentPrincipal, bulan: str | None = None, asn: UUID | None = None
    ) -> Response:
        month = bulan or now_jakarta().strftime("%Y-%m")
        target = asn or who.asn_id
        row = None
        try:
            if target is not None:
                row = await tpp_service.explain(pool, who, target, tpp_service.parse_month(month))
        except DomainError as e:
            raise _raise(e) from e
        return _render(
            request,
            "tpp.html",
            {"principal": who, "month": month, "row": row, "admin": who.has_role(Role.ADMIN_BKPSDM)},
        )

    # ------------------------------------------------------------ rewards
    @r.get("/penghargaan", name="followup_awards_page", dependencies=[POLICY.BKPSDM])
    async def awards_page(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        try:
            awards = await rewards.listing(pool, who)
        except DomainError as e:
            raise _raise(e) from e
        return _render(request, "penghargaan.html", {"principal": who, "awards": awards})

    @r.post("/penghargaan/{award_id}", name="followup_award_post")
    async def award_post(award_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        form = await request.form()
        raw = str(form.get("incentive", "")).strip().replace(".", "")
        try:
            incentive = Decimal(raw) if raw else None
        except InvalidOperation:
            return _back(request, "/tindak-lanjut/penghargaan", "Insentif harus angka Rupiah utuh.")
        try:
            await rewards.decide(
                pool,
                who,
                award_id,
                rewards.AwardDecisionIn(
                    form.get("approve") == "ya", str(form.get("title", "")), incentive, str(form.get("note", ""))
                ),
            )
        except DomainError as e:
            return _back(request, "/tindak-lanjut/penghargaan", _reasons(e)[0])
        return _back(request, "/tindak-lanjut/penghargaan", "Keputusan penghargaan disimpan.")

    @r.get("/penghargaan/{award_id}/piagam.pdf", name="followup_piagam", dependencies=[POLICY.REGENCY_MEMBER])
    async def piagam(award_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        try:
            pdf, code = await rewards.certificate(pool, who, award_id, verify_base(request))
        except DomainError as e:
            raise _raise(e) from e
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="piagam-{code}.pdf"'}
        )

    # ------------------------------------------------------------ pembinaan
    @r.get("/pembinaan", name="followup_plans_page", dependencies=[POLICY.REGENCY_MEMBER])
    async def plans_page(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        try:
            plans = await pembinaan.plans(pool, who)
            cases = await pembinaan.sanction_cases(pool, who) if who.has_role(Role.ADMIN_BKPSDM) else []
        except DomainError as e:  # no regency to look in: a clear refusal rather than a 500
            raise _raise(e) from e
        return _render(request, "pembinaan.html", {"principal": who, "plans": plans, "cases": cases})

    @r.post("/pembinaan/{plan_id}/{step}", name="followup_plan_post")
    async def plan_post(plan_id: UUID, step: str, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        form = await request.form()
        try:
            if step == "rencana":
                await pembinaan.set_plan(
                    pool, who, plan_id, pembinaan.PlanIn(UUID(str(form.get("mentor_id"))), str(form.get("goals", "")))
                )
            elif step == "pertemuan":
                await pembinaan.check_in(pool, who, plan_id, str(form.get("note", "")))
            elif step == "tutup":
                await pembinaan.close(pool, who, plan_id, str(form.get("result", "")), str(form.get("assessment", "")))
            elif step == "sanksi":
                await pembinaan.sanction_step(
                    pool, who, plan_id, str(form.get("action", "")), str(form.get("note", ""))
                )
            else:
                raise HTTPException(404)
        except (DomainError, ValueError) as e:
            return _back(
                request,
                "/tindak-lanjut/pembinaan",
                _reasons(e)[0] if isinstance(e, DomainError) else "Isian tidak dikenali.",
            )
        return _back(request, "/tindak-lanjut/pembinaan", "Tersimpan.")

    # ------------------------------------------------------------ training
    @r.get("/pelatihan", name="followup_training_page", dependencies=[POLICY.REGENCY_MEMBER])
    async def training_page(request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        year = _year()
        mine = await training.development_of(pool, who, who.asn_id, year) if who.asn_id else None
        return _render(
            request,
            "pelatihan.html",
            {
                "principal": who,
                "courses": await training.catalogue(pool, who),
                "mine": mine,
                "admin": who.has_role(Role.ADMIN_BKPSDM),
                "KINDS": training.KINDS,
                "TOPICS": training.TOPICS,
            },
        )

    @r.post("/pelatihan/{course_id}/daftar", name="followup_enrol_post")
    async def enrol_post(course_id: UUID, request: Request, pool: PoolDep, who: CurrentPrincipal) -> Response:
        try:
            await training.enrol(pool, who, course_id)
        except DomainError as e:
            return _back(request, "/tindak-lanjut/pelatihan", _reasons(e)[0])
        return _back(request, "/tindak-lanjut/pelatihan", "Pendaftaran tercatat.")

    @r.get("/akses-pelatihan", name="followup_access_page", dependencies=[POLICY.BKPSDM])
    async def access_page(request: Request, pool: PoolDep, who: CurrentPrincipal, tahun: int | None = None) -> Response:
        try:
            report = await training.equal_access_report(pool, who, tahun or _year())
        except DomainError as e:
            raise _raise(e) from e
        return _render(request, "akses.html", {"principal": who, "r": report, "DIM": DIMENSION_LABEL})

    return r


PUBLIC_FORM = public("a piagam's holder, or anyone they show it to, checks its code")
PUBLIC_CODE = public("the QR code printed on a piagam opens this page")


def verification_router() -> APIRouter:
    """The public page printed on every piagam (no account needed)."""
    r = APIRouter(prefix="/verifikasi", include_in_schema=False)

    @r.get("", name="followup_verify_form")
    async def verify_form(request: Request, pool: PoolDep, _: None = PUBLIC_FORM, kode: str = "") -> Response:
        result = await rewards.verify(pool, kode) if kode else None
        return _render(request, "verifikasi.html", {"code": kode, "result": result, "checked": bool(kode)})

    @r.get("/{code}", name="followup_verify")
    async def verify(code: str, request: Request, pool: PoolDep, _: None = PUBLIC_CODE) -> Response:
        result = await rewards.verify(pool, code)
        return _render(
            request, "verifikasi.html", {"code": code, "result": result, "checked": True}, 200 if result else 404
        )

    return r
