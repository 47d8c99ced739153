"""The scoring engine: one batch of facts → period state → scores (S1) and predikat (P1) → triggers (R1).

Runs inside the consumer's inbox transaction (exactly-once effects). Per batch: merge every fact set-based, find
the (ASN, period) keys it touched, rebuild their period state, recompute their scores in Python with the domain
rules, write only what changed, and stage ScoreUpdated / NotificationRequested in the outbox of the same
transaction. Notification ids (and their outbox event ids) are deterministic, so a re-run never requests twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from kinerja_evaluation.adapters import scoring_store as store
from kinerja_evaluation.domain.behaviour import BerAkhlak, perilaku_points
from kinerja_evaluation.domain.capaian import (
    DEFAULT_RULES,
    CapaianRules,
    Direction,
    Rating,
    capaian,
    proposed_rating,
)
from kinerja_evaluation.domain.predikat import Predikat
from kinerja_evaluation.domain.score import ScoreInputs, ScoreWeights, score
from kinerja_evaluation.domain.scoring_rules import (
    ImpossibleFact,
    IndicatorState,
    check_attendance,
    check_survey,
    hasil_capaian,
    ikm,
    notification_id,
    outbox_event_id,
    peer_points,
    period_label,
    period_of,
    period_year,
    previous_period,
    rhk_capaians,
)
from kinerja_evaluation.domain.skp import Periodicity
from kinerja_evaluation.domain.triggers import PeriodResult, TriggerRules, period_triggers
from kinerja_shared.contracts.activity import (
    ActivityRejected,
    ActivityReported,
    ActivityVerificationOverdue,
    ActivityVerified,
    AttendanceRecorded,
)
from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.evaluation import (
    InnovationVerified,
    PeriodicEvaluationSubmitted,
    RealisasiConfirmed,
    RealisasiReported,
    RealisasiReturned,
    SkpApproved,
)
from kinerja_shared.contracts.feedback import (
    CitizenVerdict,
    ComplaintAssigned,
    ComplaintFiled,
    ComplaintResolved,
    ComplaintResponded,
    ComplaintReviewed,
    PeerFeedbackSummarized,
    SurveySubmitted,
)
from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.contracts.org import AsnUpserted, UnitUpserted
from kinerja_shared.contracts.score import ScoreUpdated
from kinerja_shared.messaging import outbox
from kinerja_shared.web import JAKARTA

SCORED_TYPES: tuple[type[Event], ...] = (
    ActivityReported,
    ActivityVerified,
    ActivityRejected,
    ActivityVerificationOverdue,
    AttendanceRecorded,
    SkpApproved,
    RealisasiReported,
    RealisasiConfirmed,
    RealisasiReturned,
    PeriodicEvaluationSubmitted,
    InnovationVerified,
    SurveySubmitted,
    PeerFeedbackSummarized,
    ComplaintFiled,
    ComplaintAssigned,
    ComplaintResponded,
    ComplaintResolved,
    ComplaintReviewed,
)

EVALUATION_LINK = "/evaluation/kinerja-saya"


def check_fact(ev: Any) -> None:  # Any: `type(ev) is X` (hot path) does not narrow for mypy
    """Schema-valid but impossible facts are refused before anything is written (→ DLQ with the reason)."""
    if type(ev) is SurveySubmitted:
        check_survey(ev.answers)
    elif type(ev) is AttendanceRecorded:
        check_attendance(ev.status.value, ev.late_minutes, ev.early_leave_minutes)
    elif type(ev) in (RealisasiConfirmed, RealisasiReported):
        if ev.realisasi < 0:
            raise ImpossibleFact("realisasi must not be negative")
        if type(ev) is RealisasiConfirmed and ev.capaian > Decimal(1000):
            raise ImpossibleFact("capaian above 1000% cannot come from Table P3")
    elif type(ev) is PeerFeedbackSummarized:
        for v in ev.values:
            if v.di_atas + v.sesuai + v.di_bawah > ev.raters:
                raise ImpossibleFact("more ratings than raters in the 360 summary")
    elif type(ev) is PeriodicEvaluationSubmitted:
        values = {v.value for v in ev.values}
        if values != {b.value for b in BerAkhlak}:
            raise ImpossibleFact("the evaluation must rate the seven BerAKHLAK values once each")


def _day(ts: datetime) -> date:
    return ts.astimezone(JAKARTA).date()


def _d(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass
class _Touched:
    keys: dict[tuple[UUID, str], UUID] = field(default_factory=dict)  # (asn, period) → regency: period state
    scored: set[tuple[UUID, str]] = field(default_factory=set)  # keys whose score inputs may have changed
    units: set[tuple[UUID, str]] = field(default_factory=set)
    asns_all: set[UUID] = field(default_factory=set)
    asn_years: set[tuple[UUID, int]] = field(default_factory=set)
    unit_members: set[UUID] = field(default_factory=set)
    activity_months: set[tuple[UUID, date]] = field(default_factory=set)

    def add(self, asn: UUID, period: str, regency: UUID, *, scored: bool = True) -> None:
        self.keys[(asn, period)] = regency
        if scored:
            self.scored.add((asn, period))


@dataclass
class BatchOutcome:
    keys: int = 0
    scores_published: int = 0
    notifications: int = 0


async def apply_facts(conn: asyncpg.Connection, events: Sequence[Event], event_ids: Sequence[UUID]) -> BatchOutcome:
    """Apply a batch of facts (already deduplicated by the inbox) and everything that follows from them.

    `event_ids` are the facts' CloudEvents ids (a deterministic tie-break between two records of one day)."""
    for fact in events:
        check_fact(fact)
    touched = _Touched()
    periodicity = await store.periodicities(conn, {e.regency_id for e in events})

    def period_for(regency: UUID, day: date) -> str:
        return period_of(day, Periodicity(periodicity.get(regency, Periodicity.QUARTERLY.value)))

    activities: dict[UUID, list[Any]] = {}
    overdue: list[ActivityVerificationOverdue] = []
    attendance: dict[tuple[UUID, date], tuple[Any, ...]] = {}
    skps: dict[tuple[UUID, int], tuple[Any, ...]] = {}
    indicators: list[tuple[Any, ...]] = []
    realisasi: dict[tuple[UUID, str], list[Any]] = {}
    peers: dict[tuple[UUID, str], tuple[Any, ...]] = {}
    assessments: dict[tuple[UUID, str], tuple[Any, ...]] = {}
    innovations: list[tuple[Any, ...]] = []
    surveys: dict[tuple[UUID, str], list[Any]] = {}
    complaints: dict[UUID, list[Any]] = {}

    # the contracts are concrete classes: type checks skip ABCMeta's isinstance, which is hot per event
    ev: Any  # `type(ev) is X` does not narrow for mypy
    for ev, eid in zip(events, event_ids, strict=True):
        if type(ev) in (ActivityReported, ActivityVerified, ActivityRejected, ActivityVerificationOverdue):
            row = activities.get(ev.activity_id)
            if row is None:
                # activity_id, asn, regency, date, period, year, indicator, minutes, quantity, revision,
                # rejections, verified, verified_minutes, overdue
                row = [ev.activity_id, ev.asn_id, ev.regency_id, None, None, None, None, None, Decimal(0), 0, 0,
                       False, 0, False]  # fmt: skip
                activities[ev.activity_id] = row
            if type(ev) in (ActivityReported, ActivityVerified, ActivityVerificationOverdue) and row[3] is None:
                row[3] = ev.activity_date
                row[4] = period_for(ev.regency_id, ev.activity_date)
                row[5] = ev.activity_date.year
            if type(ev) is ActivityReported and ev.revision > row[9]:
                row[6], row[7], row[8], row[9] = ev.indicator_id or row[6], ev.minutes, ev.quantity, ev.revision
            elif type(ev) is ActivityVerified:
                row[11], row[12] = True, ev.minutes
                row[6] = row[6] or ev.indicator_id
            elif type(ev) is ActivityRejected:
                row[10] += 1
            elif type(ev) is ActivityVerificationOverdue:
                row[13] = True
                overdue.append(ev)
            if type(ev) is ActivityVerified:  # only a verification moves the month's verified minutes (Table T1)
                touched.activity_months.add((ev.asn_id, ev.activity_date.replace(day=1)))
        elif type(ev) is AttendanceRecorded:
            period = period_for(ev.regency_id, ev.work_date)
            prev = attendance.get((ev.asn_id, ev.work_date))
            if prev is None or (prev[8], str(prev[9])) < (ev.occurred_at, str(eid)):
                attendance[(ev.asn_id, ev.work_date)] = (
                    ev.asn_id, ev.work_date, ev.regency_id, period, ev.work_date.year, ev.status.value,
                    ev.late_minutes, ev.early_leave_minutes, ev.occurred_at, eid,
                )  # fmt: skip
            # the score moves only if the day's counts do: recompute_periods tells
            touched.add(ev.asn_id, period, ev.regency_id, scored=False)
        elif type(ev) is SkpApproved:
            best = skps.get((ev.asn_id, ev.year))
            if best is None or best[4] < ev.version:  # within a batch too, the highest version wins
                skps[(ev.asn_id, ev.year)] = (ev.asn_id, ev.year, ev.regency_id, ev.skp_id, ev.version)
            for pos, i in enumerate(ev.indicators):
                indicators.append(
                    (
                        i.indicator_id,
                        ev.asn_id,
                        ev.year,
                        ev.regency_id,
                        ev.skp_id,
                        ev.version,
                        i.rhk_id,
                        pos,
                        i.name,
                        i.target,
                        i.unit,
                        i.direction.value,
                        i.weight,
                    )  # fmt: skip
                )
            day = _day(ev.occurred_at)
            if day.year == ev.year:
                touched.add(ev.asn_id, period_for(ev.regency_id, day), ev.regency_id)
        elif type(ev) in (RealisasiReported, RealisasiConfirmed, RealisasiReturned):
            r = realisasi.setdefault(
                (ev.indicator_id, ev.period),
                [ev.indicator_id, ev.period, ev.asn_id, ev.regency_id, None, False, None, None],  # fmt: skip
            )
            if type(ev) is RealisasiReported:
                r[4] = ev.realisasi
            elif type(ev) is RealisasiConfirmed and not r[5]:  # a confirmation is final: the first stands
                r[5], r[6], r[7] = True, ev.realisasi, ev.capaian
            touched.add(ev.asn_id, ev.period, ev.regency_id)
        elif type(ev) is PeerFeedbackSummarized:
            scores = {v.value.value: v.score for v in ev.values}
            row_p = (
                ev.asn_id, ev.period, ev.regency_id, ev.version, ev.raters, peer_points(scores),
                {v.value.value: {"score": str(v.score), "di_atas": v.di_atas, "sesuai": v.sesuai,
                                 "di_bawah": v.di_bawah} for v in ev.values},
            )  # fmt: skip
            old = peers.get((ev.asn_id, ev.period))
            if old is None or old[3] < ev.version:
                peers[(ev.asn_id, ev.period)] = row_p
            touched.add(ev.asn_id, ev.period, ev.regency_id)
        elif type(ev) is PeriodicEvaluationSubmitted:
            ratings = {BerAkhlak(v.value): Rating(v.rating.value) for v in ev.values}
            row_a = (
                ev.asn_id, ev.period, ev.regency_id, ev.evaluation_id, ev.version, ev.assessor_id,
                ev.hasil_rating.value, ev.perilaku_rating.value, perilaku_points(ratings), ev.predikat.value,
                ev.integrity_finding, ev.occurred_at,
            )  # fmt: skip
            old_a = assessments.get((ev.asn_id, ev.period))
            if old_a is None or old_a[4] < ev.version:
                assessments[(ev.asn_id, ev.period)] = row_a
            touched.add(ev.asn_id, ev.period, ev.regency_id)
        elif type(ev) is InnovationVerified:
            innovations.append((ev.innovation_id, ev.asn_id, ev.period, ev.regency_id, ev.title))
            touched.add(ev.asn_id, ev.period, ev.regency_id)
        elif type(ev) is SurveySubmitted:
            s = surveys.setdefault((ev.unit_id, ev.period), [ev.unit_id, ev.period, ev.regency_id, 0] + [0] * 9)
            s[3] += 1
            for q, a in enumerate(ev.answers):
                s[4 + q] += a
        elif type(ev) in (ComplaintFiled, ComplaintAssigned, ComplaintResponded, ComplaintResolved, ComplaintReviewed):
            c = complaints.setdefault(
                ev.complaint_id,
                [
                    ev.complaint_id,
                    ev.unit_id,
                    ev.regency_id,
                    None,
                    None,
                    False,
                    False,
                    False,
                    False,
                    0,
                    False,
                ],  # fmt: skip
            )
            c[4] = ev.assigned_asn_id or c[4]
            if type(ev) is ComplaintFiled:
                c[3] = period_for(ev.regency_id, _day(ev.occurred_at))
            elif type(ev) is ComplaintResponded:
                c[5], c[6] = True, c[6] or ev.on_time
            elif type(ev) is ComplaintResolved:
                c[7], c[8] = True, c[8] or ev.on_time
            elif type(ev) is ComplaintReviewed:
                if ev.verdict is CitizenVerdict.REOPENED:
                    c[9] += 1
                else:
                    c[10] = True
        elif type(ev) is AsnUpserted:
            touched.asns_all.add(ev.asn_id)
        elif type(ev) is UnitUpserted:
            touched.unit_members.add(ev.unit_id)

    for asn, period, regency, activity_id, counts in await store.merge_activities(
        conn, [tuple(r) for r in activities.values()]
    ):
        row = activities[activity_id]
        # only a verified activity's reported quantity on an indicator counts for capaian (P3): S1 moves when this
        # batch verified or reported one that counts now, or revised one (which may have left its indicator);
        # minutes, pending and rejection facts move the period's counts only
        touched.add(asn, period, regency, scored=(counts and (row[11] or row[9] > 0)) or row[9] > 1)
    await store.merge_attendance(conn, list(attendance.values()))
    for asn, year in await store.merge_skps(conn, list(skps.values()), indicators):
        touched.asn_years.add((asn, year))
    await store.merge_realisasi(conn, [tuple(r) for r in realisasi.values()])
    await store.merge_peer(conn, list(peers.values()))
    # every version newer than what was known counts for R1 in order (a correction in the same batch too)
    fresh_versions = await _fresh_versions(conn, [e for e in events if isinstance(e, PeriodicEvaluationSubmitted)])
    await store.merge_assessments(conn, list(assessments.values()))
    await store.merge_innovations(conn, innovations)
    for u in await store.add_surveys(conn, [tuple(s) for s in surveys.values()]):
        # the members' scores move only if the IKM as S1 uses it (Table Q1, two places) moved; the row before this
        # batch is the row minus this batch's sums (other workers may have added theirs in between)
        mine = surveys[(u["unit_id"], u["period"])]
        before_n, before_sums = u["responses"] - mine[3], [a - b for a, b in zip(u["sums"], mine[4:], strict=True)]
        if ikm(u["responses"], u["sums"]) != ikm(before_n, before_sums):
            touched.units.add((u["unit_id"], u["period"]))
    await store.merge_complaints(conn, [tuple(c) for c in complaints.values()])

    # the period keys are created first, so the expansions below also find the ones this batch opened
    first = [(a, p, r) for (a, p), r in touched.keys.items()]
    await store.lock_periods(conn, first)
    touched.scored |= await store.recompute_periods(conn, first)
    extra: list[tuple[UUID, str, UUID]] = []
    extra += await store.keys_of_units(conn, touched.units)
    if touched.asns_all:
        extra += await store.keys_of_asns(conn, touched.asns_all)
    if touched.asn_years:
        extra += await store.keys_of_asn_years(conn, touched.asn_years)
    if touched.unit_members:
        extra += await store.keys_of_unit_members(conn, touched.unit_members)
    # keys reached through a unit, an org placement or an SKP are rescored too: lock them before reading
    await store.lock_periods(conn, [k for k in extra if (k[0], k[1]) not in touched.keys])
    for key_asn, key_period, key_regency in extra:
        touched.keys.setdefault((key_asn, key_period), key_regency)
        touched.scored.add((key_asn, key_period))
    await store.recompute_month_minutes(conn, sorted(touched.activity_months))

    # keys whose score inputs cannot have moved keep their score; their detail's counts are patched in SQL, and
    # the ones that have no score row yet are scored after all
    counts_only = [k for k in touched.keys if k not in touched.scored]
    keys = [k for k in touched.keys if k in touched.scored] + await store.patch_counts(conn, counts_only)
    published = await rescore(conn, keys)
    requests = _verification_pending(overdue, activities, period_for)
    requests += await _period_triggers(conn, fresh_versions)
    staged = await _request(conn, requests)
    return BatchOutcome(keys=len(keys), scores_published=published, notifications=staged)


# ---------------------------------------------------------------- scores
@dataclass(frozen=True, slots=True)
class Computed:
    asn_id: UUID
    period: str
    regency_id: UUID
    status: str
    score: Decimal | None
    predikat: str | None
    hasil: Decimal | None
    inputs: dict[str, Decimal]
    detail: dict[str, Any]


def _weights(cfg: asyncpg.Record | None) -> ScoreWeights:
    if cfg is None:
        return ScoreWeights()
    return ScoreWeights(cfg["w_hasil"], cfg["w_perilaku"], cfg["w_kehadiran"], cfg["w_kepuasan"], cfg["w_inovasi"])


def _rules(cfg: asyncpg.Record | None) -> CapaianRules:
    if cfg is None:
        return DEFAULT_RULES
    return CapaianRules(cfg["capaian_cap"], cfg["rating_above_from"], cfg["rating_below_under"])


def compute(
    data: Mapping[str, Sequence[asyncpg.Record]], cfgs: Mapping[str, Sequence[asyncpg.Record]]
) -> list[Computed]:
    """Scores of the keys in `data` (pure given the rows): Table P3 capaian, S1 score, P1 predikat as assessed."""
    reg_cfg = {r["regency_id"]: r for r in cfgs["regency"]}
    sc_cfg = {r["regency_id"]: r for r in cfgs["scoring"]}
    inds: dict[tuple[UUID, int], list[asyncpg.Record]] = {}
    for r in data["indicator"]:
        inds.setdefault((r["asn_id"], r["year"]), []).append(r)
    real = {(r["indicator_id"], r["period"]): r for r in data["realisasi"]}
    prog = {(r["asn_id"], r["period"], r["indicator_id"]): r["quantity"] for r in data["progress"]}
    peer = {(r["asn_id"], r["period"]): r for r in data["peer"]}
    assessed = {(r["asn_id"], r["period"]): r for r in data["assessment"]}
    out: list[Computed] = []
    for p in data["period"]:
        key = (p["asn_id"], p["period"])
        regency = p["regency_id"]
        rules = _rules(reg_cfg.get(regency))
        rows = inds.get((p["asn_id"], period_year(p["period"])), [])
        base: dict[str, Any] = {
            "verified_minutes": p["verified_minutes"],
            "verified_activities": p["verified_activities"],
            "pending_activities": p["pending_activities"],
        }
        if not p["known"]:
            out.append(Computed(key[0], key[1], regency, "menunggu_pegawai", None, None, None, {}, base))
            continue
        if not rows:
            out.append(Computed(key[0], key[1], regency, "menunggu_skp", None, None, None, {}, base))
            continue
        states: list[IndicatorState] = []
        ind_detail: list[dict[str, Any]] = []
        for i in rows:
            conf = real.get((i["indicator_id"], p["period"]))
            progress = prog.get((key[0], key[1], i["indicator_id"]), Decimal(0))
            if conf is not None and conf["confirmed"]:
                value, realised, confirmed = conf["capaian"], conf["realisasi"], True
            else:
                realised, confirmed = progress, False
                value = capaian(i["target"], progress, Direction(i["direction"]), rules)
            states.append(IndicatorState(i["rhk_id"], i["weight"], value))
            ind_detail.append({
                "indicator_id": str(i["indicator_id"]), "rhk_id": str(i["rhk_id"]), "name": i["name"],
                "target": str(i["target"]), "unit": i["unit"], "direction": i["direction"],
                "weight": str(i["weight"]), "realisasi": str(realised), "progress": str(progress),
                "capaian": str(value), "confirmed": confirmed,
                "reported": _d(conf["reported"]) if conf is not None else None,
            })  # fmt: skip
        hasil = hasil_capaian(states)
        a = assessed.get(key)
        pr = peer.get(key)
        perilaku = a["perilaku_points"] if a is not None else pr["points"] if pr is not None else None
        survey_ikm = ikm(p["responses"], p["sums"]) if p["public_facing"] and p["survey"] else None
        inputs = ScoreInputs(
            hasil_capaian=hasil,
            perilaku_points=perilaku,
            days_on_time=p["days_on_time"] if p["working_days"] else None,
            working_days=p["working_days"] or None,
            unit_ikm=survey_ikm,
            innovations=p["innovations"],
        )
        result = score(inputs, _weights(sc_cfg.get(regency)))
        explained = result.explain()
        for name, v in (("hasil_capaian", hasil), ("perilaku_points", perilaku), ("unit_ikm", survey_ikm)):
            if v is not None:
                explained[name] = v
        explained["innovations"] = Decimal(p["innovations"])
        if p["working_days"]:
            explained["working_days"] = Decimal(p["working_days"])
            explained["days_on_time"] = Decimal(p["days_on_time"])
        rhk = {str(k): str(v) for k, v in rhk_capaians(states).items()}
        detail = base | {
            "indicators": ind_detail,
            "rhk": rhk,
            "proposed_hasil": proposed_rating(hasil, rules).value if hasil is not None else None,
            "components": [
                {
                    "component": c.component.value,
                    "points": str(c.points),
                    "configured": str(c.configured_weight),
                    "applied": str(c.applied_weight),
                    "contribution": str(c.contribution),
                }
                for c in result.components
            ],  # fmt: skip
            "perilaku_source": "penilaian" if a is not None else "360" if pr is not None else None,
            "peer_raters": pr["raters"] if pr is not None else None,
            "official": a is not None,
            "assessment_version": a["version"] if a is not None else None,
        }
        out.append(
            Computed(
                key[0],
                key[1],
                regency,
                "dihitung",
                result.total,
                a["predikat"] if a is not None else None,
                hasil,
                explained,
                detail,
            )  # fmt: skip
        )
    return out


def _json(value: Mapping[str, Any]) -> str:
    return orjson.dumps(value, default=str).decode()


RESCORE_CHUNK = 2000  # keys per read → compute → write round: bounds the explanations alive at once (RSS)


async def rescore(conn: asyncpg.Connection, keys: Sequence[tuple[UUID, str]]) -> int:
    """Recompute these keys; write what changed; ScoreUpdated only when the score or predikat changed."""
    published = 0
    for i in range(0, len(keys), RESCORE_CHUNK):
        published += await _rescore(conn, keys[i : i + RESCORE_CHUNK])
    return published


async def _rescore(conn: asyncpg.Connection, keys: Sequence[tuple[UUID, str]]) -> int:
    if not keys:
        return 0
    data = await store.score_inputs(conn, keys)
    cfgs = await store.configs(conn, {r["regency_id"] for r in data["period"]})
    old = {(r["asn_id"], r["period"]): r for r in data["score"]}
    writes: list[tuple[Any, ...]] = []
    events: list[ScoreUpdated] = []
    now = datetime.now(JAKARTA)
    for c in compute(data, cfgs):
        inputs_json = {k: str(v) for k, v in c.inputs.items()}
        prev = old.get((c.asn_id, c.period))
        changed = prev is None or prev["score"] != c.score or prev["predikat"] != c.predikat
        if (
            prev is not None
            and not changed
            and prev["status"] == c.status
            and prev["inputs"] == inputs_json
            and prev["detail"] == c.detail
        ):
            continue
        publish = changed and c.score is not None
        writes.append(
            (
                c.asn_id,
                c.period,
                c.regency_id,
                c.status,
                c.score,
                c.predikat,
                c.hasil,
                _json(inputs_json),
                _json(c.detail),
                1 if publish else 0,
            )  # fmt: skip
        )
        if publish:
            assert c.score is not None
            events.append(
                ScoreUpdated(
                    regency_id=c.regency_id,
                    occurred_at=now,
                    score_key=f"{c.asn_id}:{c.period}",
                    asn_id=c.asn_id,
                    period=c.period,
                    score=c.score,
                    predikat=c.predikat,
                    inputs=c.inputs,
                )
            )
    await store.write_scores(conn, writes)
    await outbox.add_many(conn, events)
    return len(events)


# ---------------------------------------------------------------- triggers (Table R1)
@dataclass(frozen=True, slots=True)
class Request:
    kind: str
    asn_id: UUID
    regency_id: UUID
    period: str
    subject: str
    params: dict[str, str]
    link: str


def _verification_pending(
    overdue: Iterable[ActivityVerificationOverdue],
    activities: Mapping[UUID, list[Any]],
    period_for: Any,
) -> list[Request]:
    """R1 verification_pending: the activity service says an activity waited too long; tell the superior (notify
    routes it), unless the activity was decided meanwhile (facts can arrive out of order)."""
    out = []
    for ev in overdue:
        row = activities.get(ev.activity_id)
        if row is not None and row[11]:
            continue
        period = period_for(ev.regency_id, ev.activity_date)
        out.append(
            Request(
                "verification_pending",
                ev.asn_id,
                ev.regency_id,
                period,
                str(ev.activity_id),
                {"jumlah": "1", "periode": period_label(period)},
                "/activity/",
            )  # fmt: skip
        )
    return out


async def _fresh_versions(
    conn: asyncpg.Connection, facts: Sequence[PeriodicEvaluationSubmitted]
) -> list[PeriodicEvaluationSubmitted]:
    """The evaluation facts that were, in partition order, newer than every version known before them."""
    if not facts:
        return []
    known = await conn.fetch(
        """SELECT x.asn_id, x.period, x.version FROM unnest($1::uuid[], $2::text[]) AS k(asn_id, period)
           JOIN scoring_assessment x USING (asn_id, period)""",
        [f.asn_id for f in facts],
        [f.period for f in facts],
    )
    latest = {(r["asn_id"], r["period"]): r["version"] for r in known}
    out = []
    for f in facts:
        if f.version > latest.get((f.asn_id, f.period), 0):
            latest[(f.asn_id, f.period)] = f.version
            out.append(f)
    return out


async def _period_triggers(conn: asyncpg.Connection, versions: Sequence[PeriodicEvaluationSubmitted]) -> list[Request]:
    """R1 triggers of each new evaluation version (in order), against the previous period's official result.

    Predikat-based triggers depend only on the facts; the award's score jump uses the score as this batch left it.
    """
    if not versions:
        return []
    current = await conn.fetch(
        """SELECT s.asn_id, s.period, s.regency_id, s.score, c.award_score_jump
           FROM unnest($1::uuid[], $2::text[]) AS k(asn_id, period)
           JOIN scoring_score s USING (asn_id, period)
           LEFT JOIN scoring_config c ON c.regency_id = s.regency_id""",
        [v.asn_id for v in versions],
        [v.period for v in versions],
    )
    scores = {(r["asn_id"], r["period"]): r for r in current}
    previous = await store.previous_results(conn, [(v.asn_id, previous_period(v.period)) for v in versions])
    out: list[Request] = []
    for v in versions:
        r = scores.get((v.asn_id, v.period))
        if r is None:
            continue
        prev_row = previous.get((v.asn_id, previous_period(v.period)))
        now_score = r["score"] if r["score"] is not None else Decimal(0)
        prev = None
        if prev_row is not None:
            prev_score = prev_row["score"] if prev_row["score"] is not None and r["score"] is not None else now_score
            prev = PeriodResult(Predikat(prev_row["predikat"]), prev_score)
        rules = TriggerRules(award_score_jump=r["award_score_jump"] or Decimal(10))
        result = PeriodResult(Predikat(v.predikat.value), now_score, v.integrity_finding)
        params = {"periode": period_label(v.period)}
        for t in period_triggers(result, prev, rules):
            subject = f"v{v.version}" if t.value == "evaluation_finalized" else ""
            out.append(Request(t.value, v.asn_id, v.regency_id, v.period, subject, params, EVALUATION_LINK))
    return out


async def _request(conn: asyncpg.Connection, requests: Sequence[Request]) -> int:
    """Stage the requests not made before; ids and outbox event ids are deterministic (re-runs are no-ops)."""
    if not requests:
        return 0
    ids = [notification_id(r.kind, r.asn_id, r.period, r.subject) for r in requests]
    fresh = await store.request_notifications(
        conn,
        [
            (nid, r.regency_id, r.asn_id, r.kind, r.period, r.subject, _json(r.params))
            for nid, r in zip(ids, requests, strict=True)
        ],
    )
    now = datetime.now(JAKARTA)
    events: list[NotificationRequested] = []
    event_ids: list[UUID | None] = []
    seen: set[UUID] = set()
    for nid, r in zip(ids, requests, strict=True):
        if nid in fresh and nid not in seen:
            seen.add(nid)
            events.append(
                NotificationRequested(
                    regency_id=r.regency_id,
                    occurred_at=now,
                    notification_id=nid,
                    asn_id=r.asn_id,
                    kind=r.kind,
                    params=r.params,
                    link=r.link,
                )  # fmt: skip
            )
            event_ids.append(outbox_event_id(nid))
    await outbox.add_many(conn, events, event_ids=event_ids)
    return len(events)
