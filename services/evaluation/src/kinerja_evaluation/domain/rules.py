"""A regency's rule set: every DOMAIN.md **config** value the follow-up uses, validated and versioned.

Weights (S1), trigger thresholds (R1), period length, activity quota and TPP shares, factors, ladder and base
amounts (T1), curve quotas (P2), keberatan deadlines and the JP right (D1). A saved rule set is immutable; each
save is a new version, and a finalised result keeps the version it was finalised under.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from kinerja_evaluation.domain.curve import DEFAULT_CURVE, Bound, OrgRating
from kinerja_evaluation.domain.errors import InvalidInput
from kinerja_evaluation.domain.predikat import Predikat
from kinerja_evaluation.domain.tpp import TppRules

HUNDRED: Final = Decimal(100)
WEIGHT_KEYS: Final = ("hasil", "perilaku", "kehadiran", "kepuasan", "inovasi")
PERIODICITIES: Final = ("monthly", "quarterly")


def _default_base() -> dict[int, Decimal]:
    # a common regional shape: base grows with the class of position (kelas jabatan 1–17), Rupiah per month
    amounts = (
        1_500_000,
        1_750_000,
        2_000_000,
        2_250_000,
        2_500_000,
        2_850_000,
        3_200_000,
        3_600_000,
        4_100_000,
        4_700_000,
        5_400_000,
        6_300_000,
        7_500_000,
        9_000_000,
        11_000_000,
        14_000_000,
        18_000_000,
    )
    return {i + 1: Decimal(a) for i, a in enumerate(amounts)}


def _default_curve_percents() -> dict[OrgRating, tuple[Decimal, ...]]:
    return {r: tuple(b.percent for b in bounds) for r, bounds in DEFAULT_CURVE.items()}


@dataclass(frozen=True, slots=True)
class RuleError:
    field: str
    reason: str


class RulesInvalid(InvalidInput):
    """Every problem of a rule set at once (a form should show them all), each with its field."""

    def __init__(self, errors: list[RuleError]) -> None:
        first = errors[0]
        super().__init__(first.reason, field=first.field, reason=first.reason)
        self.errors = errors


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Percentages are percent (60 = 60%), money whole Rupiah, days calendar days."""

    weights: Mapping[str, Decimal] = field(
        default_factory=lambda: {
            "hasil": Decimal(50),
            "perilaku": Decimal(25),
            "kehadiran": Decimal(10),
            "kepuasan": Decimal(10),
            "inovasi": Decimal(5),
        }
    )
    periodicity: str = "quarterly"
    rating_above_from: Decimal = Decimal(110)  # capaian ≥ this: Di Atas (P3 thresholds)
    rating_below_under: Decimal = Decimal(90)  # capaian < this: Di Bawah
    at_risk_below: Decimal = Decimal(90)
    award_score_jump: Decimal = Decimal(10)
    minutes_quota: int = 6750
    apply_minutes_quota: bool = False
    kinerja_share: Decimal = Decimal(60)
    disiplin_share: Decimal = Decimal(40)
    kinerja_factor: Mapping[Predikat, Decimal] = field(
        default_factory=lambda: {
            Predikat.SANGAT_BAIK: Decimal(100),
            Predikat.BAIK: Decimal(100),
            Predikat.BUTUH_PERBAIKAN: Decimal(80),
            Predikat.KURANG: Decimal(60),
            Predikat.SANGAT_KURANG: Decimal(40),
        }
    )
    lateness_ladder: tuple[tuple[int, Decimal], ...] = (
        (30, Decimal("0.5")),
        (60, Decimal(1)),
        (90, Decimal("1.25")),
    )
    over_ladder_or_no_record: Decimal = Decimal("1.5")
    missed_apel: Decimal = Decimal(2)
    absent_without_reason: Decimal = Decimal(3)
    deduction_cap: Decimal = HUNDRED
    tpp_base: Mapping[int, Decimal] = field(default_factory=_default_base)
    curve: Mapping[OrgRating, tuple[Decimal, ...]] = field(default_factory=_default_curve_percents)
    objection_days: int = 14
    decision_days: int = 7
    jp_right: int = 20

    # ------------------------------------------------------------ validation
    def problems(self) -> list[RuleError]:
        out: list[RuleError] = []

        def bad(f: str, reason: str) -> None:
            out.append(RuleError(f, reason))

        if set(self.weights) != set(WEIGHT_KEYS):
            bad("weights", "bobot harus terdiri dari: " + ", ".join(WEIGHT_KEYS))
        elif any(w < 0 for w in self.weights.values()):
            bad("weights", "bobot tidak boleh negatif")
        elif sum(self.weights.values(), Decimal(0)) != HUNDRED:
            bad("weights", f"jumlah bobot harus 100, sekarang {sum(self.weights.values(), Decimal(0))}")
        if self.periodicity not in PERIODICITIES:
            bad("periodicity", "periode penilaian harus bulanan atau triwulanan")
        if not Decimal(0) < self.rating_below_under <= self.rating_above_from:
            bad("rating_below_under", "ambang 'di bawah' harus positif dan tidak melebihi ambang 'di atas'")
        if not Decimal(0) < self.at_risk_below <= HUNDRED * 2:
            bad("at_risk_below", "ambang target berisiko harus antara 0 dan 200")
        if self.award_score_jump <= 0:
            bad("award_score_jump", "kenaikan skor untuk penghargaan harus positif")
        if self.minutes_quota <= 0:
            bad("minutes_quota", "kuota menit kegiatan harus positif")
        if min(self.kinerja_share, self.disiplin_share) < 0 or self.kinerja_share + self.disiplin_share != HUNDRED:
            bad("kinerja_share", "porsi kinerja dan disiplin harus berjumlah 100")
        if set(self.kinerja_factor) != set(Predikat):
            bad("kinerja_factor", "faktor kinerja diperlukan untuk setiap predikat")
        else:
            factors = [self.kinerja_factor[p] for p in Predikat]
            if any(not Decimal(0) <= f <= HUNDRED for f in factors):
                bad("kinerja_factor", "faktor kinerja harus antara 0 dan 100")
            elif any(a < b for a, b in zip(factors, factors[1:], strict=False)):
                bad("kinerja_factor", "predikat yang lebih rendah tidak boleh mendapat faktor lebih tinggi")
        out.extend(self._ladder_problems())
        for name in ("missed_apel", "absent_without_reason"):
            if not Decimal(0) <= getattr(self, name) <= HUNDRED:
                bad(name, "potongan harus antara 0 dan 100")
        if not Decimal(0) < self.deduction_cap <= HUNDRED:
            bad("deduction_cap", "batas potongan harus di atas 0 dan paling banyak 100")
        if set(self.tpp_base) != set(range(1, 18)):
            bad("tpp_base", "besaran TPP diperlukan untuk kelas jabatan 1 sampai 17")
        elif any(v < 0 or v != v.to_integral_value() for v in self.tpp_base.values()):
            bad("tpp_base", "besaran TPP harus Rupiah utuh, tidak negatif")
        elif any(self.tpp_base[k] > self.tpp_base[k + 1] for k in range(1, 17)):
            bad("tpp_base", "besaran TPP kelas lebih tinggi tidak boleh lebih kecil")
        for rating in OrgRating:
            percents = self.curve.get(rating)
            if percents is None or len(percents) != len(DEFAULT_CURVE[rating]):
                bad(f"curve.{rating.value}", "jumlah batas kurva tidak sesuai Tabel P2")
            elif any(not Decimal(0) <= p <= HUNDRED for p in percents):
                bad(f"curve.{rating.value}", "persentase kurva harus antara 0 dan 100")
            else:
                floors = sum(
                    (p for p, b in zip(percents, DEFAULT_CURVE[rating], strict=True) if b.op == ">="), Decimal(0)
                )
                if floors > HUNDRED:
                    bad(f"curve.{rating.value}", "batas minimum kurva berjumlah lebih dari 100%")
        if not 1 <= self.objection_days <= 90:
            bad("objection_days", "batas waktu keberatan harus 1 sampai 90 hari")
        if not 1 <= self.decision_days <= 90:
            bad("decision_days", "batas waktu keputusan harus 1 sampai 90 hari")
        if not 0 <= self.jp_right <= 500:
            bad("jp_right", "hak pengembangan kompetensi harus 0 sampai 500 JP")
        return out

    def _ladder_problems(self) -> list[RuleError]:
        """A ladder is consistent when its minutes rise strictly from 1, its deductions never fall, and the
        'over the ladder / no record' deduction is at least its last rung."""
        ladder = self.lateness_ladder
        if not ladder:
            return [RuleError("lateness_ladder", "tangga keterlambatan tidak boleh kosong")]
        minutes = [m for m, _ in ladder]
        cuts = [d for _, d in ladder]
        if minutes[0] < 1 or any(a >= b for a, b in zip(minutes, minutes[1:], strict=False)):
            return [RuleError("lateness_ladder", "batas menit harus naik (mis. 30, 60, 90) dan dimulai dari 1")]
        if any(not Decimal(0) <= d <= HUNDRED for d in cuts):
            return [RuleError("lateness_ladder", "potongan per hari harus antara 0 dan 100")]
        if any(a > b for a, b in zip(cuts, cuts[1:], strict=False)):
            return [RuleError("lateness_ladder", "potongan tidak boleh turun ketika keterlambatan naik")]
        if self.over_ladder_or_no_record < cuts[-1]:
            return [
                RuleError(
                    "over_ladder_or_no_record",
                    "potongan di atas tangga / tanpa rekaman tidak boleh lebih kecil dari anak tangga terakhir",
                )
            ]
        return []

    def validated(self) -> RuleSet:
        problems = self.problems()
        if problems:
            raise RulesInvalid(problems)
        return self

    # ------------------------------------------------------------ views for the pure rules
    def tpp_rules(self) -> TppRules:
        """Table T1 in fractions, as domain/tpp.py computes it."""
        return TppRules(
            kinerja_share=self.kinerja_share / HUNDRED,
            disiplin_share=self.disiplin_share / HUNDRED,
            kinerja_factor={p: f / HUNDRED for p, f in self.kinerja_factor.items()},
            lateness_ladder=tuple((m, d / HUNDRED) for m, d in self.lateness_ladder),
            over_ladder_or_no_record=self.over_ladder_or_no_record / HUNDRED,
            missed_apel=self.missed_apel / HUNDRED,
            absent_without_reason=self.absent_without_reason / HUNDRED,
            deduction_cap=self.deduction_cap / HUNDRED,
            minutes_quota=self.minutes_quota,
            apply_minutes_quota=self.apply_minutes_quota,
        )

    def curve_bounds(self) -> dict[OrgRating, tuple[Bound, ...]]:
        """Table P2 with this regency's percentages on the default bounds."""
        return {
            r: tuple(replace(b, percent=p) for b, p in zip(DEFAULT_CURVE[r], self.curve[r], strict=True))
            for r in OrgRating
        }

    # ------------------------------------------------------------ storage (JSON, decimals as strings)
    def to_json(self) -> dict[str, Any]:
        return {
            "weights": {k: str(v) for k, v in self.weights.items()},
            "periodicity": self.periodicity,
            "rating_above_from": str(self.rating_above_from),
            "rating_below_under": str(self.rating_below_under),
            "at_risk_below": str(self.at_risk_below),
            "award_score_jump": str(self.award_score_jump),
            "minutes_quota": self.minutes_quota,
            "apply_minutes_quota": self.apply_minutes_quota,
            "kinerja_share": str(self.kinerja_share),
            "disiplin_share": str(self.disiplin_share),
            "kinerja_factor": {p.value: str(v) for p, v in self.kinerja_factor.items()},
            "lateness_ladder": [[m, str(d)] for m, d in self.lateness_ladder],
            "over_ladder_or_no_record": str(self.over_ladder_or_no_record),
            "missed_apel": str(self.missed_apel),
            "absent_without_reason": str(self.absent_without_reason),
            "deduction_cap": str(self.deduction_cap),
            "tpp_base": {str(k): str(v) for k, v in sorted(self.tpp_base.items())},
            "curve": {r.value: [str(p) for p in ps] for r, ps in self.curve.items()},
            "objection_days": self.objection_days,
            "decision_days": self.decision_days,
            "jp_right": self.jp_right,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RuleSet:
        """A rule set from its stored or submitted form; missing keys take the defaults (older versions)."""
        d = DEFAULT_RULES
        errors: list[RuleError] = []

        def dec(name: str, value: Any) -> Decimal:
            try:
                out = Decimal(str(value))
            except (InvalidOperation, ValueError):
                errors.append(RuleError(name, "harus berupa angka"))
                return Decimal(0)
            if not out.is_finite():
                errors.append(RuleError(name, "harus berupa angka"))
                return Decimal(0)
            return out

        def num(name: str, value: Any) -> int:
            try:
                return int(value)
            except (TypeError, ValueError):
                errors.append(RuleError(name, "harus berupa bilangan bulat"))
                return 0

        def get(name: str) -> Any:
            return data.get(name, d.to_json()[name])

        try:
            factor = {Predikat(k): dec(f"kinerja_factor.{k}", v) for k, v in dict(get("kinerja_factor")).items()}
            curve = {OrgRating(k): tuple(dec(f"curve.{k}", p) for p in v) for k, v in dict(get("curve")).items()}
            base = {num("tpp_base", k): dec(f"tpp_base.{k}", v) for k, v in dict(get("tpp_base")).items()}
            ladder = tuple((num("lateness_ladder", m), dec("lateness_ladder", c)) for m, c in get("lateness_ladder"))
        except (ValueError, TypeError):
            raise RulesInvalid([RuleError("rules", "struktur aturan tidak dikenali")]) from None
        rules = cls(
            weights={k: dec(f"weights.{k}", v) for k, v in dict(get("weights")).items()},
            periodicity=str(get("periodicity")),
            rating_above_from=dec("rating_above_from", get("rating_above_from")),
            rating_below_under=dec("rating_below_under", get("rating_below_under")),
            at_risk_below=dec("at_risk_below", get("at_risk_below")),
            award_score_jump=dec("award_score_jump", get("award_score_jump")),
            minutes_quota=num("minutes_quota", get("minutes_quota")),
            apply_minutes_quota=bool(get("apply_minutes_quota")),
            kinerja_share=dec("kinerja_share", get("kinerja_share")),
            disiplin_share=dec("disiplin_share", get("disiplin_share")),
            kinerja_factor=factor,
            lateness_ladder=ladder,
            over_ladder_or_no_record=dec("over_ladder_or_no_record", get("over_ladder_or_no_record")),
            missed_apel=dec("missed_apel", get("missed_apel")),
            absent_without_reason=dec("absent_without_reason", get("absent_without_reason")),
            deduction_cap=dec("deduction_cap", get("deduction_cap")),
            tpp_base=base,
            curve=curve,
            objection_days=num("objection_days", get("objection_days")),
            decision_days=num("decision_days", get("decision_days")),
            jp_right=num("jp_right", get("jp_right")),
        )
        if errors:
            raise RulesInvalid(errors)
        return rules


DEFAULT_RULES: Final = RuleSet()
