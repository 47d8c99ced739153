"""Working days for complaint deadlines (Table C1): Monday–Friday minus the regency's holidays."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta


def is_working_day(day: date, holidays: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, days: int, holidays: Collection[date]) -> date:
    """The day `days` working days after `start` (filing day itself not counted), per Table C1.

    A complaint filed on Friday with 5 working days is due the next Friday; a holiday in between pushes it a day.
    """
    if days < 0:
        raise ValueError("days must be ≥ 0")
    d = start
    left = days
    while left > 0:
        d += timedelta(days=1)
        if is_working_day(d, holidays):
            left -= 1
    return d


def working_days_between(start: date, end: date, holidays: Collection[date]) -> int:
    """Working days after `start` up to and including `end` (0 when handled on the filing day)."""
    if end <= start:
        return 0
    n = 0
    d = start
    while d < end:
        d += timedelta(days=1)
        if is_working_day(d, holidays):
            n += 1
    return n
