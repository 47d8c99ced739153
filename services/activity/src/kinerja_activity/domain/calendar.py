"""Working days (Monday–Friday minus the regency's holidays), for pending-age and leave counting."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import date, timedelta


def is_working_day(day: date, holidays: Collection[date] = ()) -> bool:
    """ASN work a five-day week (Perpres 21/2023); national and regional holidays are off."""
    return day.weekday() < 5 and day not in holidays


def working_days(start: date, end: date, holidays: Collection[date] = ()) -> Iterator[date]:
    """Each working day from start to end, both included."""
    day = start
    while day <= end:
        if is_working_day(day, holidays):
            yield day
        day += timedelta(days=1)


def working_days_waited(since: date, today: date, holidays: Collection[date] = ()) -> int:
    """Whole working days that passed after `since` up to and including `today` (0 on the same day).

    A report made on Friday has waited 1 working day on Monday and 3 on Wednesday.
    """
    if today <= since:
        return 0
    return sum(1 for _ in working_days(since + timedelta(days=1), today, holidays))
