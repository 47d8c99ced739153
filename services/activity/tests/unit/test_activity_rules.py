"""Daily activity rules: ranges, open period, RHK link, edit window, quota (DOMAIN.md Table T1 quota default)."""

from __future__ import annotations

import uuid
from datetime import date, time
from decimal import Decimal

import pytest

from kinerja_activity.domain.activity import (
    DEFAULT_MONTHLY_QUOTA_MINUTES,
    ActivityDraft,
    ActivityRules,
    ActivityStatus,
    TimeRange,
    check_draft,
    ensure_editable,
    ensure_verifiable,
    minutes_between,
    open_period_start,
    quota_factor,
    quota_percent,
)
from kinerja_activity.domain.calendar import working_days, working_days_waited
from kinerja_activity.domain.errors import StateConflict
from kinerja_activity.domain.evidence import EvidenceKind, check_evidence, sniff

IND = uuid.uuid4()
TODAY = date(2026, 11, 27)  # a Friday
RULES = ActivityRules()


def draft(**kw: object) -> ActivityDraft:
    base: dict[str, object] = {
        "activity_date": TODAY,
        "start": time(8, 0),
        "end": time(9, 30),
        "description": "Melayani pasien rawat jalan",
        "quantity": Decimal(12),
        "output": "pasien",
        "indicator_id": IND,
    }
    base.update(kw)
    return ActivityDraft(**base)  # type: ignore[arg-type]


def codes(d: ActivityDraft, **kw: object) -> set[str]:
    return {v.code for v in check_draft(d, today=TODAY, rules=RULES, approved_indicators={IND}, **kw)}  # type: ignore[arg-type]


def test_a_good_draft_passes_and_counts_its_minutes() -> None:
    assert codes(draft()) == set()
    assert minutes_between(time(8, 0), time(9, 30)) == 90


def test_end_before_or_at_start_is_refused() -> None:
    assert codes(draft(end=time(7, 0))) == {"end_before_start"}
    assert codes(draft(end=time(8, 0))) == {"end_before_start"}


def test_future_and_closed_period_dates_are_refused() -> None:
    assert codes(draft(activity_date=date(2026, 11, 28))) == {"future_date"}
    assert codes(draft(activity_date=date(2026, 10, 31))) == {"closed_period"}
    assert codes(draft(activity_date=date(2026, 11, 1))) == set()


def test_last_month_stays_open_until_the_grace_day() -> None:
    assert open_period_start(date(2026, 12, 5), 5) == date(2026, 11, 1)
    assert open_period_start(date(2026, 12, 6), 5) == date(2026, 12, 1)
    assert open_period_start(date(2027, 1, 3), 5) == date(2026, 12, 1)
    assert open_period_start(date(2026, 12, 1), 0) == date(2026, 12, 1)


def test_indicator_must_be_in_the_approved_skp() -> None:
    assert codes(draft(indicator_id=uuid.uuid4())) == {"indicator_not_approved"}


def test_overlapping_ranges_are_refused_touching_ones_are_not() -> None:
    assert codes(draft(), same_day=[TimeRange(time(9, 0), time(10, 0))]) == {"overlap"}
    assert codes(draft(), same_day=[TimeRange(time(7, 0), time(8, 0)), TimeRange(time(9, 30), time(11, 0))]) == set()
    assert codes(draft(), same_day=[TimeRange(time(8, 15), time(8, 45))]) == {"overlap"}


def test_verified_activity_cannot_be_edited() -> None:
    ensure_editable(ActivityStatus.PENDING)
    ensure_editable(ActivityStatus.REJECTED)
    with pytest.raises(StateConflict):
        ensure_editable(ActivityStatus.VERIFIED)


def test_verification_decisions() -> None:
    assert ensure_verifiable(ActivityStatus.PENDING, approve=True) is True
    assert ensure_verifiable(ActivityStatus.PENDING, approve=False) is True
    assert ensure_verifiable(ActivityStatus.VERIFIED, approve=True) is False  # bulk approve retried
    with pytest.raises(StateConflict):
        ensure_verifiable(ActivityStatus.VERIFIED, approve=False)
    with pytest.raises(StateConflict):
        ensure_verifiable(ActivityStatus.REJECTED, approve=True)


def test_table_t1_quota_default_and_factor() -> None:
    assert DEFAULT_MONTHLY_QUOTA_MINUTES == 6_750
    assert quota_percent(3_375, 6_750) == Decimal("50.0")
    assert quota_percent(7_000, 6_750) == Decimal("103.7")
    assert quota_factor(3_375, 6_750) == Decimal("0.5")
    assert quota_factor(9_000, 6_750) == Decimal(1)


def test_working_days_skip_weekends_and_holidays() -> None:
    fri = date(2026, 11, 27)
    assert working_days_waited(fri, fri) == 0
    assert working_days_waited(fri, date(2026, 11, 30)) == 1  # Monday
    assert working_days_waited(fri, date(2026, 12, 2)) == 3  # Wednesday
    assert working_days_waited(fri, date(2026, 12, 2), {date(2026, 12, 1)}) == 2
    assert list(working_days(date(2026, 11, 28), date(2026, 11, 30))) == [date(2026, 11, 30)]


def test_evidence_is_recognised_by_content_and_size() -> None:
    assert sniff(b"\xff\xd8\xff\xe0rest") is EvidenceKind.JPEG
    assert sniff(b"\x89PNG\r\n\x1a\n....") is EvidenceKind.PNG
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") is EvidenceKind.WEBP
    assert sniff(b"%PDF-1.7\n") is EvidenceKind.PDF
    assert sniff(b"MZ\x90\x00 an exe named foto.jpg") is None
    ok = check_evidence(b"%PDF-1.7\n" + b"x" * 100, max_bytes=1000)
    assert ok.kind is EvidenceKind.PDF and ok.size == 109 and len(ok.sha256) == 64
    from kinerja_activity.domain.errors import InvalidInput

    for content, code in (
        (b"%PDF-" + b"x" * 2000, "evidence_too_large"),
        (b"GIF89a", "evidence_type"),
        (b"", "evidence_empty"),
    ):
        with pytest.raises(InvalidInput) as e:
            check_evidence(content, max_bytes=1000)
        assert e.value.violations[0].code == code
