"""SKP rules (PermenPANRB 6/2022): RHK and indicators, BerAKHLAK expectations, the approval workflow, periods."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

from kinerja_evaluation.domain.errors import Conflict, InvalidInput, NotAllowed


class Aspect(StrEnum):
    KUANTITAS = "kuantitas"
    KUALITAS = "kualitas"
    WAKTU = "waktu"
    BIAYA = "biaya"


class RhkKind(StrEnum):
    UTAMA = "utama"
    TAMBAHAN = "tambahan"


class SkpStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVISION_REQUESTED = "revision_requested"
    APPROVED = "approved"
    SUPERSEDED = "superseded"  # an approved version replaced by a later approved one (mid-year change)


STATUS_LABEL: Final = {
    SkpStatus.DRAFT: "Draf",
    SkpStatus.SUBMITTED: "Diajukan",
    SkpStatus.REVISION_REQUESTED: "Perlu perbaikan",
    SkpStatus.APPROVED: "Disetujui",
    SkpStatus.SUPERSEDED: "Diganti versi baru",
}
EDITABLE: Final = frozenset({SkpStatus.DRAFT, SkpStatus.REVISION_REQUESTED})


class BerAkhlak(StrEnum):
    """The seven core values (SE MenPANRB 20/2021), DOMAIN.md Table B1."""

    BERORIENTASI_PELAYANAN = "berorientasi_pelayanan"
    AKUNTABEL = "akuntabel"
    KOMPETEN = "kompeten"
    HARMONIS = "harmonis"
    LOYAL = "loyal"
    ADAPTIF = "adaptif"
    KOLABORATIF = "kolaboratif"


BERAKHLAK_LABEL: Final = {
    BerAkhlak.BERORIENTASI_PELAYANAN: "Berorientasi Pelayanan",
    BerAkhlak.AKUNTABEL: "Akuntabel",
    BerAkhlak.KOMPETEN: "Kompeten",
    BerAkhlak.HARMONIS: "Harmonis",
    BerAkhlak.LOYAL: "Loyal",
    BerAkhlak.ADAPTIF: "Adaptif",
    BerAkhlak.KOLABORATIF: "Kolaboratif",
}

# units of measure an indicator may use; a closed list keeps capaian comparable across a regency
UNITS: Final = frozenset(
    {
        "pasien", "orang", "siswa", "sekolah", "persen", "nilai", "indeks", "poin", "hari", "jam", "menit",
        "kejadian", "kasus", "dokumen", "laporan", "berkas", "izin", "kegiatan", "kali", "paket", "unit",
        "rupiah", "bulan", "desa", "kilometer", "aduan", "inovasi", "rekomendasi",
    }
)  # fmt: skip
MAX_TARGET: Final = Decimal("1000000000000")
ANNUAL: Final = "Y"
PERIOD_PATTERN: Final = re.compile(r"^(\d{4})-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")


class Periodicity(StrEnum):
    """How often realisasi is reported and assessed (**config** per regency, default quarterly)."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    name: str
    target: Decimal
    unit: str
    aspect: Aspect
    direction: str
    weight: Decimal


def check_indicator(spec: IndicatorSpec, field: str) -> None:
    """Bad targets, units and weights are refused with the field at fault (422)."""
    if not spec.name.strip() or len(spec.name) > 300:
        raise InvalidInput("Nama indikator wajib diisi (maksimal 300 karakter).", field=f"{field}.name")
    if not spec.target.is_finite() or spec.target < 0:
        raise InvalidInput("Target harus angka 0 atau lebih.", field=f"{field}.target", reason="target must be >= 0")
    if spec.target > MAX_TARGET:
        raise InvalidInput("Target terlalu besar.", field=f"{field}.target", reason="target too large")
    if spec.unit not in UNITS:
        raise InvalidInput(
            f"Satuan '{spec.unit}' tidak dikenal; pilih dari daftar satuan.",
            field=f"{field}.unit",
            reason="unknown unit of measure",
        )
    if spec.direction not in ("higher", "lower"):
        raise InvalidInput("Arah harus 'higher' atau 'lower'.", field=f"{field}.direction")
    if not spec.weight.is_finite() or not Decimal(0) < spec.weight <= 100:
        raise InvalidInput("Bobot harus lebih dari 0 dan paling besar 100.", field=f"{field}.weight")


def check_year_dates(year: int, start: date, end: date, field: str) -> None:
    """An SKP's assessment period lies inside its year, start before end."""
    if start.year != year:
        raise InvalidInput(f"Tanggal mulai harus di tahun {year}.", field=f"{field}_start", reason="outside the year")
    if end.year != year:
        raise InvalidInput(f"Tanggal selesai harus di tahun {year}.", field=f"{field}_end", reason="outside the year")
    if end < start:
        raise InvalidInput("Tanggal selesai sebelum tanggal mulai.", field=f"{field}_end", reason="end before start")


def approval_deadline(year: int, month: int, day: int) -> date:
    """The regency's SKP approval deadline in `year` (config, default 31 January)."""
    return date(year, month, day)


def check_can_edit(status: SkpStatus) -> None:
    if status not in EDITABLE:
        raise Conflict(f"SKP berstatus '{STATUS_LABEL[status]}' tidak dapat diubah.", field="status")


def check_can_submit(status: SkpStatus, rhk_count: int, indicator_counts: list[int], has_superior: bool) -> None:
    """Only a draft (or one sent back) with at least one RHK utama, each RHK measured, and an assessor."""
    check_can_edit(status)
    if rhk_count == 0:
        raise InvalidInput("SKP belum memiliki RHK.", field="rhk")
    if any(n == 0 for n in indicator_counts):
        raise InvalidInput("Setiap RHK harus memiliki minimal satu indikator.", field="rhk.indicators")
    if not has_superior:
        raise Conflict("Pegawai belum memiliki atasan langsung (pejabat penilai); hubungi BKPSDM.", field="superior")


def check_can_decide(status: SkpStatus, asn_id: str, actor_id: str | None, assessors: frozenset[str]) -> None:
    """Only a submitted SKP, only by its direct (or acting) superior, never by the ASN themselves."""
    if actor_id is not None and actor_id == asn_id:
        raise NotAllowed("Anda tidak dapat menyetujui atau menilai SKP Anda sendiri.")
    if actor_id is None or actor_id not in assessors:
        raise NotAllowed("Hanya atasan langsung (pejabat penilai) yang dapat memutuskan SKP ini.")
    if status is not SkpStatus.SUBMITTED:
        raise Conflict(f"SKP berstatus '{STATUS_LABEL[status]}', belum diajukan untuk disetujui.", field="status")


def check_comment(comment: str) -> str:
    text = comment.strip()
    if not text:
        raise InvalidInput("Catatan perbaikan wajib diisi.", field="comment")
    if len(text) > 2000:
        raise InvalidInput("Catatan terlalu panjang (maksimal 2000 karakter).", field="comment")
    return text


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of "2026-Q3", "2026-M07" or "2026-Y"."""
    m = PERIOD_PATTERN.match(period)
    if m is None:
        raise InvalidInput("Periode harus seperti 2026-Q3, 2026-M07 atau 2026-Y.", field="period")
    year, part = int(m.group(1)), m.group(2)
    if part == ANNUAL:
        return date(year, 1, 1), date(year, 12, 31)
    if part.startswith("Q"):
        q = int(part[1])
        first_month, last_month = 3 * q - 2, 3 * q
    else:
        first_month = last_month = int(part[1:])
    end = date(year + 1, 1, 1) if last_month == 12 else date(year, last_month + 1, 1)
    return date(year, first_month, 1), date.fromordinal(end.toordinal() - 1)


def periods_of(year: int, periodicity: Periodicity) -> list[str]:
    """The reporting periods of a year under the regency's periodicity, then the annual one."""
    if periodicity is Periodicity.MONTHLY:
        parts = [f"M{m:02d}" for m in range(1, 13)]
    else:
        parts = [f"Q{q}" for q in range(1, 5)]
    return [f"{year}-{p}" for p in parts] + [f"{year}-{ANNUAL}"]


def check_period(period: str, year: int, periodicity: Periodicity, today: date) -> None:
    """Realisasi is reported for a period of the SKP's year, of the regency's periodicity, already begun."""
    start, _ = period_bounds(period)
    if start.year != year:
        raise InvalidInput(f"Periode di luar tahun SKP ({year}).", field="period", reason="period outside the year")
    if period not in periods_of(year, periodicity):
        label = "bulanan (M01–M12)" if periodicity is Periodicity.MONTHLY else "triwulanan (Q1–Q4)"
        raise InvalidInput(f"Kabupaten/kota ini memakai periode {label} atau tahunan (Y).", field="period")
    if start > today:
        raise InvalidInput("Periode ini belum dimulai.", field="period", reason="period has not started")


def current_period(today: date, periodicity: Periodicity) -> str:
    if periodicity is Periodicity.MONTHLY:
        return f"{today.year}-M{today.month:02d}"
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"
