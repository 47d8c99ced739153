"""TPP per ASN per month (Table T1) from the month's predikat, verified activity minutes and attendance, read from
the scoring engine's period state; the regency's payroll export (CSV/XLSX) and the per-ASN explanation.

The month's predikat is the final result of its period when there is one (then its rule version applies), else
the latest periodic evaluation under the current rules. Attendance statuses map to Table T1's day marks; apel is
not in the scoring engine's state yet, so no apel deduction is made (the explanation says so).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from openpyxl import Workbook

from kinerja_evaluation.adapters import followup_store as store
from kinerja_evaluation.domain.errors import InvalidInput, NotAllowed
from kinerja_evaluation.domain.predikat import Predikat
from kinerja_evaluation.domain.rules import RuleSet
from kinerja_evaluation.domain.skp import Periodicity, current_period
from kinerja_evaluation.domain.tpp import DayMark, TppLine, WorkDay, day_deduction, tpp
from kinerja_evaluation.service import rules as rules_service
from kinerja_evaluation.service.access import regency_of, require_admin
from kinerja_evaluation.service.followup_common import check_can_view_asn, now_jakarta
from kinerja_shared import audit
from kinerja_shared.auth import Principal
from kinerja_shared.db import tenant_transaction

_MARK = {
    "alpa": DayMark.ABSENT_WITHOUT_REASON,
    "cuti": DayMark.EXCUSED,
    "sakit": DayMark.EXCUSED,
    "dinas_luar": DayMark.EXCUSED,
}
SOURCE_LABEL = {"final": "hasil final", "periodik": "penilaian periodik (belum final)"}


def parse_month(value: str) -> date:
    try:
        year, month = (int(x) for x in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise InvalidInput(
            "Bulan tidak dikenali (contoh: 2026-03).", field="month", reason="format bulan YYYY-MM"
        ) from None


def work_days(statuses: Sequence[str], minutes: Sequence[int]) -> list[WorkDay]:
    out = []
    for status, m in zip(statuses, minutes, strict=True):
        if status == "hadir":
            out.append(WorkDay(DayMark.LATE_OR_EARLY if m > 0 else DayMark.ON_TIME, m))
        else:
            out.append(WorkDay(_MARK.get(status, DayMark.NO_RECORD)))
    return out


@dataclass(frozen=True, slots=True)
class TppRow:
    asn_id: UUID
    nip: str
    name: str
    unit: str
    position_class: int
    predikat: Predikat | None
    source: str
    rule_version: int
    base: Decimal
    minutes: int
    days: int
    deductions: Decimal | None
    amount: Decimal | None
    incentive: Decimal
    lines: tuple[TppLine, ...]
    day_lines: tuple[tuple[str, Decimal], ...]


def _compute(r: asyncpg.Record, rules: RuleSet, version: int) -> TppRow:
    base = rules.tpp_base.get(r["position_class"], Decimal(0))
    days = work_days(r["statuses"], r["day_minutes"])
    t = rules.tpp_rules()
    day_lines = tuple(
        (d.mark.value + (f" {d.late_or_early_minutes} menit" if d.late_or_early_minutes else ""), day_deduction(d, t))
        for d in days
    )
    if r["predikat"] is None:
        return TppRow(
            r["asn_id"],
            r["nip"],
            r["name"],
            r["unit_path"],
            r["position_class"],
            None,
            "belum ada",
            version,
            base,
            r["minutes"],
            len(days),
            None,
            None,
            r["incentive"],
            (),
            day_lines,
        )
    p = Predikat(r["predikat"])
    result = tpp(base, p, days, verified_minutes=r["minutes"], rules=t)
    return TppRow(
        r["asn_id"],
        r["nip"],
        r["name"],
        r["unit_path"],
        r["position_class"],
        p,
        r["source"],
        version,
        base,
        r["minutes"],
        len(days),
        result.deductions,
        result.amount,
        r["incentive"],
        result.lines,
        day_lines,
    )


async def month_rows(conn: asyncpg.Connection, regency: UUID, month: date, asn: UUID | None = None) -> list[TppRow]:
    cur = await rules_service.current(conn, regency)
    period = current_period(month, Periodicity(cur.rules.periodicity))
    rows = await store.tpp_inputs(conn, regency, month, period, asn)
    wanted = {r["rule_version"] for r in rows if r["rule_version"] is not None}
    versions = await rules_service.versions(conn, regency, wanted) if wanted else {}
    out = []
    for r in rows:
        v = r["rule_version"]
        out.append(_compute(r, versions[v], v) if v is not None else _compute(r, cur.rules, cur.version))
    return out


async def explain(pool: asyncpg.Pool, who: Principal, asn_id: UUID, month: date) -> TppRow:
    """One ASN's TPP with every line (and each day's deduction); the ASN, their superiors and BKPSDM."""
    regency = regency_of(who)
    async with tenant_transaction(pool, [regency]) as conn:
        await check_can_view_asn(conn, who, asn_id, now_jakarta().date())
        rows = await month_rows(conn, regency, month, asn_id)
        if not rows:
            raise NotAllowed("Pegawai tidak ditemukan atau tidak aktif.")
        await audit.record(
            conn,
            actor=who,
            action="tpp.view",
            subject_type="asn",
            subject_id=asn_id,
            regency_id=regency,
            detail={"month": month.isoformat()},
        )
    return rows[0]


HEADER = (
    "NIP",
    "Nama",
    "Unit kerja",
    "Kelas jabatan",
    "Predikat",
    "Sumber predikat",
    "Versi aturan",
    "Besaran TPP",
    "Menit terverifikasi",
    "Hari tercatat",
    "Potongan disiplin (%)",
    "TPP diterima",
    "Usulan insentif",
    "Keterangan",
)


def _plain(d: Decimal) -> str:
    """A number as payroll software reads it: no exponent, no trailing zeros ('4', '1.25', '750000')."""
    text = f"{d.normalize():f}"
    return text


def _cells(r: TppRow) -> list[Any]:
    note = "" if r.predikat is not None else "belum ada predikat periode ini; TPP belum dapat dihitung"
    return [
        r.nip, r.name, r.unit, r.position_class, r.predikat.label if r.predikat else "",
        SOURCE_LABEL.get(r.source, r.source), r.rule_version, _plain(r.base), r.minutes, r.days,
        "" if r.deductions is None else _plain(r.deductions * 100),
        "" if r.amount is None else _plain(r.amount), _plain(r.incentive), note,
    ]  # fmt: skip


def _number(cell: Any) -> Any:
    """Spreadsheet cells: whole Rupiah as integers, fractions as Decimal text kept exact."""
    if isinstance(cell, str) and cell and cell.replace(".", "", 1).isdigit():
        return int(cell) if "." not in cell else Decimal(cell)
    return cell


async def export(pool: asyncpg.Pool, who: Principal, month: date, fmt: str) -> tuple[bytes, int]:
    """The regency's payroll file for the month (BKPSDM only; recorded in the audit log)."""
    regency = require_admin(who)
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput("Format ekspor csv atau xlsx.", field="format", reason="format harus csv atau xlsx")
    async with tenant_transaction(pool, [regency]) as conn:
        rows = await month_rows(conn, regency, month)
        await audit.record(
            conn,
            actor=who,
            action="tpp.export",
            subject_type="regency",
            subject_id=regency,
            regency_id=regency,
            detail={"month": month.isoformat(), "rows": len(rows), "format": fmt},
        )
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(HEADER)
        for r in rows:
            w.writerow(_cells(r))
        return buf.getvalue().encode("utf-8-sig"), len(rows)  # BOM: Excel opens it as UTF-8
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(f"TPP {month:%Y-%m}")
    ws.append(list(HEADER))
    for r in rows:
        cells = _cells(r)
        ws.append([cells[0], *(_number(c) for c in cells[1:])])  # NIP stays text (18 digits)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), len(rows)
