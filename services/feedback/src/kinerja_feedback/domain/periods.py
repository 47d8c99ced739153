"""Survey periods: which period a moment falls in, per the regency's setting (month, quarter or year)."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Final

from kinerja_feedback.domain.errors import InvalidInput

PERIOD_RE: Final = re.compile(r"^(\d{4})-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$")


class PeriodKind(StrEnum):
    MONTH = "M"
    QUARTER = "Q"
    YEAR = "Y"


def period_of(day: date | datetime, kind: PeriodKind) -> str:
    """The period label ("2026-Q4", "2026-M11", "2026-Y") a Jakarta-local day belongs to."""
    d = day.date() if isinstance(day, datetime) else day
    if kind is PeriodKind.MONTH:
        return f"{d.year}-M{d.month:02d}"
    if kind is PeriodKind.QUARTER:
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    return f"{d.year}-Y"


def parse_period(text: str) -> str:
    """A valid period label or InvalidInput."""
    if not PERIOD_RE.match(text):
        raise InvalidInput(
            "Periode harus seperti 2026-Q4, 2026-M11 atau 2026-Y.", field="period", reason="bad period label"
        )
    return text


def period_label(period: str) -> str:
    """Indonesian label: "Triwulan IV 2026", "November 2026", "Tahun 2026"."""
    m = PERIOD_RE.match(period)
    if not m:
        return period
    year, part = m.group(1), m.group(2)
    if part == "Y":
        return f"Tahun {year}"
    if part.startswith("Q"):
        return f"Triwulan {('I', 'II', 'III', 'IV')[int(part[1]) - 1]} {year}"
    bulan = ("Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember").split()
    return f"{bulan[int(part[1:]) - 1]} {year}"


def previous_periods(period: str, count: int) -> list[str]:
    """`count` periods of the same kind ending with `period`, oldest first (for the trend)."""
    m = PERIOD_RE.match(period)
    if not m:
        raise InvalidInput("Periode tidak sah.", field="period", reason="bad period label")
    year, part = int(m.group(1)), m.group(2)
    out: list[str] = []
    if part == "Y":
        out = [f"{year - i}-Y" for i in range(count)]
    elif part.startswith("Q"):
        idx = year * 4 + int(part[1]) - 1
        out = [f"{(idx - i) // 4}-Q{(idx - i) % 4 + 1}" for i in range(count)]
    else:
        idx = year * 12 + int(part[1:]) - 1
        out = [f"{(idx - i) // 12}-M{(idx - i) % 12 + 1:02d}" for i in range(count)]
    return list(reversed(out))
