"""Reads a roster file (CSV or XLSX) into a header and numbered rows of text; nothing else."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kinerja_evaluation.domain.errors import InvalidInput
from kinerja_evaluation.domain.org import LOSSY_NUMBER_MARK

MAX_BYTES = 50 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"


def _cell(value: Any) -> str:
    # spreadsheets turn NIPs into numbers and dates into datetimes; give every cell back as the text it showed
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 1e15:
        # a spreadsheet keeps 15 significant digits: an 18-digit NIP typed as a number has lost its last ones
        return LOSSY_NUMBER_MARK + str(int(value))
    if isinstance(value, float):
        return str(Decimal(repr(value)).normalize()) if not value.is_integer() else str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def read_rows(filename: str, content: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header cells and (line number, cells) of each non-empty row; line 1 is the header."""
    if len(content) > MAX_BYTES:
        raise InvalidInput("Berkas terlalu besar (maksimal 50 MB).", field="file")
    if content.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        rows = _xlsx(content)
    else:
        rows = _csv(content)
    numbered = [(i, r) for i, r in enumerate(rows, start=1)]
    if not numbered:
        raise InvalidInput("Berkas kosong.", field="file")
    header = numbered[0][1]
    body = [(line, cells) for line, cells in numbered[1:] if any(c.strip() for c in cells)]
    return header, body


def _csv(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252")  # older Excel "CSV" exports
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text, newline=""), dialect)


def _xlsx(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a broken file
        raise InvalidInput("Berkas XLSX tidak dapat dibaca.", field="file", reason=str(e)[:200]) from e
    ws = wb.worksheets[0]
    for values in ws.iter_rows(values_only=True):
        yield [_cell(v) for v in values]
    wb.close()
