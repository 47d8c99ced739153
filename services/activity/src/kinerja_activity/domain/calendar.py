"""Working days (Monday–Friday minus the regency's holidays), for pending-age and leave counting."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import date, timedelta
from typing import TypeVar

T = TypeVar("T")


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


def days_to_close(
    today: date, *, start: date | None, lookback_days: int, holidays: Collection[date] = ()
) -> list[date]:
    """Working days that have ended and may still get a day-end `alpa` mark (Table T1 "absent without reason").

    A day has ended once the Asia/Jakarta date moved past it (today is never closed: a late check-out or an
    evening fingerprint import still counts). `start` is the regency's first day of attendance in Kinerja
    (None: not in use, nothing is closed); `lookback_days` bounds how far back a worker that was down catches up.
    """
    if start is None or lookback_days < 1:
        return []
    first = max(start, today - timedelta(days=lookback_days))
    return list(working_days(first, today - timedelta(days=1), holidays))


def absent_without_record(active: Collection[T], recorded: Collection[T]) -> set[T]:
    """Of the active ASN, those with no attendance record on a working day: no check-in, no fingerprint scan,
    no leave / dinas luar / sakit mark (each of those leaves a record). They are `alpa` (Table T1: 3%)."""
    return set(active) - set(recorded)
