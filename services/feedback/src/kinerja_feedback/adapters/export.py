"""IKM exports: CSV (the regulation's worksheet as rows) and XLSX (summary sheet + anonymous responses)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from kinerja_feedback.domain.ikm import IkmResult, Unsur


def _summary_rows(unit_name: str, r: IkmResult) -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["Unit", unit_name],
        ["Periode", r.period],
        ["Jumlah responden", r.respondents],
        ["Sampel minimal (Krejcie-Morgan)", r.minimum_sample],
        ["Keterangan sampel", r.sample_note or "memadai"],
        [],
        ["Unsur", "Nama unsur", "NRR", "NRR tertimbang (x 1/9)"],
    ]
    for u in Unsur:
        rows.append([u.code, u.label, str(r.nrr[u]) if r.nrr else "", str(r.nrr_weighted[u]) if r.nrr_weighted else ""])
    rows += [
        [],
        ["IKM (konversi x 25)", "" if r.ikm is None else str(r.ikm)],
        ["Mutu pelayanan", "" if r.mutu is None else r.mutu.value],
        ["Kinerja unit", "" if r.mutu is None else r.mutu.kinerja],
        ["Unsur terlemah", ", ".join(f"{u.code} {u.label}" for u in r.weakest)],
    ]
    return rows


_RESPONSE_HEAD = ["No", *[u.code for u in Unsur], "Usia", "Jenis kelamin", "Pendidikan", "Layanan", "Saran"]


def _safe(value: Any) -> Any:
    # spreadsheet formula injection: a saran starting with = + - @ would run as a formula when opened
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _response_rows(responses: Sequence[Any]) -> list[list[Any]]:
    return [
        [
            i,
            *list(r["answers"]),
            r["age_band"] or "",
            r["gender"] or "",
            r["education"] or "",
            _safe(r["service_used"] or ""),
            _safe(r["suggestion"] or ""),
        ]
        for i, r in enumerate(responses, start=1)
    ]


def to_csv(unit_name: str, r: IkmResult, responses: Sequence[Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerows(_summary_rows(_safe(unit_name), r))
    w.writerow([])
    w.writerow(_RESPONSE_HEAD)
    w.writerows(_response_rows(responses))
    return buf.getvalue()


def to_xlsx(unit_name: str, r: IkmResult, responses: Sequence[Any]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "IKM"
    for row in _summary_rows(_safe(unit_name), r):
        ws.append(row)
    for cell in ws[7]:
        cell.font = Font(bold=True)
    data = wb.create_sheet("Responden")
    data.append(_RESPONSE_HEAD)
    for cell in data[1]:
        cell.font = Font(bold=True)
    for row in _response_rows(responses):
        data.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
