"""TPP (Tambahan Penghasilan Pegawai) per ASN per month: DOMAIN.md Table T1; every number regency **config**.

TPP = base(class of position) × (kinerja share × kinerja factor + disiplin share × (1 − deductions)),
in Rupiah as Decimal, rounded down to whole Rupiah.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Final

from kinerja_evaluation.domain.predikat import Predikat

ONE: Final = Decimal(1)


class DayMark(StrEnum):
    """What one working day's attendance record says, for the disiplin deductions."""

    ON_TIME = "tepat_waktu"
    LATE_OR_EARLY = "terlambat_atau_pulang_cepat"  # with the minutes
    NO_RECORD = "tanpa_rekaman"
    ABSENT_WITHOUT_REASON = "alpa"
    EXCUSED = "izin_sah"  # cuti, sakit, dinas luar: no deduction


def _default_kinerja_factor() -> dict[Predikat, Decimal]:
    return {
        Predikat.SANGAT_BAIK: Decimal("1.00"),
        Predikat.BAIK: Decimal("1.00"),
        Predikat.BUTUH_PERBAIKAN: Decimal("0.80"),
        Predikat.KURANG: Decimal("0.60"),
        Predikat.SANGAT_KURANG: Decimal("0.40"),
    }


def _default_lateness_ladder() -> tuple[tuple[int, Decimal], ...]:
    # (up to minutes inclusive, deduction); beyond the last rung: `no_record`
    return ((30, Decimal("0.005")), (60, Decimal("0.01")), (90, Decimal("0.0125")))


@dataclass(frozen=True, slots=True)
class TppRules:
    """Table T1 defaults: shares 60/40, factors per predikat, the lateness ladder, apel 2%, alpa 3%, cap 100%."""

    kinerja_share: Decimal = Decimal("0.60")
    disiplin_share: Decimal = Decimal("0.40")
    kinerja_factor: Mapping[Predikat, Decimal] = field(default_factory=_default_kinerja_factor)
    lateness_ladder: tuple[tuple[int, Decimal], ...] = field(default_factory=_default_lateness_ladder)
    over_ladder_or_no_record: Decimal = Decimal("0.015")
    missed_apel: Decimal = Decimal("0.02")
    absent_without_reason: Decimal = Decimal("0.03")
    deduction_cap: Decimal = ONE
    minutes_quota: int = 6750
    apply_minutes_quota: bool = False  # "optionally × min(1, verified minutes / quota)"

    def __post_init__(self) -> None:
        if self.kinerja_share + self.disiplin_share != ONE:
            raise ValueError("kinerja and disiplin shares must sum to 100%")
        if set(self.kinerja_factor) != set(Predikat):
            raise ValueError("a kinerja factor is needed for every predikat")
        if self.minutes_quota <= 0:
            raise ValueError("the minutes quota must be positive")


DEFAULT_TPP_RULES: Final = TppRules()


@dataclass(frozen=True, slots=True)
class WorkDay:
    mark: DayMark
    late_or_early_minutes: int = 0  # late arrival + early leave, minutes
    missed_apel: bool = False


@dataclass(frozen=True, slots=True)
class TppLine:
    """One line of the per-ASN explanation."""

    label: str
    value: Decimal


@dataclass(frozen=True, slots=True)
class TppResult:
    amount: Decimal  # whole Rupiah
    kinerja_factor: Decimal
    deductions: Decimal  # fraction 0..1 after the cap
    lines: tuple[TppLine, ...]


def day_deduction(day: WorkDay, rules: TppRules = DEFAULT_TPP_RULES) -> Decimal:
    """One day's disiplin deduction (fraction) per Table T1."""
    d = Decimal(0)
    if day.mark is DayMark.ABSENT_WITHOUT_REASON:
        return rules.absent_without_reason
    if day.mark is DayMark.EXCUSED:
        return d
    if day.mark is DayMark.NO_RECORD:
        d += rules.over_ladder_or_no_record
    elif day.mark is DayMark.LATE_OR_EARLY and day.late_or_early_minutes > 0:
        for up_to, deduction in rules.lateness_ladder:
            if day.late_or_early_minutes <= up_to:
                d += deduction
                break
        else:
            d += rules.over_ladder_or_no_record
    if day.missed_apel:
        d += rules.missed_apel
    return d


def tpp(
    base: Decimal,
    predikat: Predikat,
    days: Sequence[WorkDay],
    *,
    verified_minutes: int | None = None,
    rules: TppRules = DEFAULT_TPP_RULES,
) -> TppResult:
    """The month's TPP for one ASN with a line-by-line explanation (Table T1)."""
    if base < 0:
        raise ValueError("the TPP base must not be negative")
    factor = rules.kinerja_factor[predikat]
    lines = [TppLine("Besaran TPP (kelas jabatan)", base), TppLine(f"Faktor kinerja ({predikat.label})", factor)]
    if rules.apply_minutes_quota:
        minutes = verified_minutes or 0
        ratio = min(ONE, Decimal(minutes) / Decimal(rules.minutes_quota))
        factor = factor * ratio
        lines.append(TppLine(f"Menit kegiatan terverifikasi {minutes}/{rules.minutes_quota}", ratio))
    raw_deductions = sum((day_deduction(d, rules) for d in days), Decimal(0))
    deductions = min(raw_deductions, rules.deduction_cap)
    lines.append(TppLine("Potongan disiplin (maks. 100%)", deductions))
    kinerja_part = base * rules.kinerja_share * factor
    disiplin_part = base * rules.disiplin_share * (ONE - deductions)
    lines.append(TppLine("Bagian kinerja", kinerja_part.quantize(ONE, rounding=ROUND_DOWN)))
    lines.append(TppLine("Bagian disiplin", disiplin_part.quantize(ONE, rounding=ROUND_DOWN)))
    amount = (kinerja_part + disiplin_part).quantize(ONE, rounding=ROUND_DOWN)
    lines.append(TppLine("TPP diterima", amount))
    return TppResult(amount=amount, kinerja_factor=factor, deductions=deductions, lines=tuple(lines))
