"""The scoring engine's pure rules: Table Q1 IKM, periods, hasil capaian (P3 → S1), kehadiran, impossible facts,
Table R1's deterministic ids and the target_at_risk projection on a stored score."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from kinerja_evaluation.domain.scoring_rules import (
    ImpossibleFact,
    IndicatorState,
    check_attendance,
    check_survey,
    elapsed,
    hasil_capaian,
    ikm,
    ikm_mutu,
    notification_id,
    on_time,
    outbox_event_id,
    peer_points,
    period_label,
    period_of,
    previous_period,
    working_day,
)
from kinerja_evaluation.domain.skp import Periodicity
from kinerja_evaluation.service.scoring_sweep import projection


def test_table_q1_ikm_uses_exactly_one_ninth() -> None:
    # NRR 3.5 on every unsur: 3.5 × 9 × 1/9 × 25 = 87.50
    assert ikm(2, [7] * 9) == Decimal("87.50")
    # mixed answers: with 0.111 instead of 1/9 this would read 77.70, not 77.78
    assert ikm(3, [10, 9, 8, 10, 9, 8, 10, 9, 11]) == Decimal("77.78")
    assert ikm(0, [0] * 9) is None
    assert ikm(1, [1] * 9) == Decimal("25.00") and ikm(1, [4] * 9) == Decimal("100.00")


@pytest.mark.parametrize(
    ("value", "mutu"),
    [("88.31", "A"), ("100", "A"), ("88.30", "B"), ("76.61", "B"), ("76.60", "C"), ("65.00", "C"), ("64.99", "D"),
     ("25.00", "D")],
)  # fmt: skip
def test_table_q1_mutu_bands(value: str, mutu: str) -> None:
    assert ikm_mutu(Decimal(value))[0] == mutu


def test_table_q1_answers_are_one_to_four() -> None:
    check_survey([1, 2, 3, 4, 4, 3, 2, 1, 1])
    for bad in ([0] + [3] * 8, [5] + [3] * 8, [3] * 8):
        with pytest.raises(ImpossibleFact):
            check_survey(bad)


def test_periods_quarterly_default_and_monthly_config() -> None:
    assert period_of(date(2026, 5, 31), Periodicity.QUARTERLY) == "2026-Q2"
    assert period_of(date(2026, 5, 31), Periodicity.MONTHLY) == "2026-M05"
    assert previous_period("2026-Q1") == "2025-Q4" and previous_period("2026-M01") == "2025-M12"
    assert previous_period("2026-Q3") == "2026-Q2" and previous_period("2026-Y") == "2025-Y"
    assert period_label("2026-Q3") == "Triwulan III 2026" and period_label("2026-M07") == "Juli 2026"
    assert elapsed("2026-Q1", date(2025, 12, 31)) == 0 and elapsed("2026-Q1", date(2026, 3, 31)) == 1
    assert (
        elapsed("2026-Q1", date(2026, 2, 13)) < Decimal("0.5") <= elapsed("2026-Q1", date(2026, 2, 14))
    )  # day 45 of 90


def test_table_p3_s1_hasil_capaian_weighted_by_rhk() -> None:
    r1, r2 = uuid.uuid4(), uuid.uuid4()
    states = [IndicatorState(r1, Decimal(30), Decimal(100)), IndicatorState(r1, Decimal(10), Decimal(60)),
              IndicatorState(r2, Decimal(60), Decimal(120))]  # fmt: skip
    # RHK 1: (100×30 + 60×10) / 40 = 90; RHK 2: 120; period: (90×40 + 120×60) / 100 = 108
    assert hasil_capaian(states) == Decimal("108.00")
    assert hasil_capaian([]) is None


def test_table_s1_kehadiran_rules_and_360_points() -> None:
    assert not working_day("cuti") and not working_day("sakit") and not working_day("dinas_luar")
    assert working_day("hadir") and working_day("alpa")
    assert on_time("hadir", 0, 0) and not on_time("hadir", 1, 0) and not on_time("hadir", 0, 5)
    assert not on_time("alpa", 0, 0)
    with pytest.raises(ImpossibleFact):
        check_attendance("alpa", 10, 0)
    with pytest.raises(ImpossibleFact):
        check_attendance("hadir", 1000, 500)
    assert peer_points({"a": Decimal(100), "b": Decimal(80), "c": Decimal(50)}) == Decimal("76.67")


def test_table_r1_ids_are_deterministic_and_distinct() -> None:
    asn = uuid.UUID("00000000-0000-4000-8000-000000000001")
    a = notification_id("mentoring_needed", asn, "2026-Q1")
    assert a == notification_id("mentoring_needed", asn, "2026-Q1")
    assert a != notification_id("mentoring_needed", asn, "2026-Q2")
    assert a != notification_id("award_candidate", asn, "2026-Q1")
    assert notification_id("evaluation_finalized", asn, "2026-Q1", "v1") != notification_id(
        "evaluation_finalized", asn, "2026-Q1", "v2"
    )
    assert outbox_event_id(a) == outbox_event_id(a) != a


def test_table_r1_target_at_risk_projection_of_a_stored_score() -> None:
    rhk = str(uuid.uuid4())
    detail = {"indicators": [
        {"rhk_id": rhk, "weight": "50", "target": "10", "progress": "4", "direction": "higher", "confirmed": False,
         "capaian": "40"},
        {"rhk_id": rhk, "weight": "50", "target": "2", "progress": "1", "direction": "lower", "confirmed": False,
         "capaian": "150"},
    ]}  # fmt: skip
    # halfway: 4 → 8 of 10 = 80%; 1 accident → 2 of target 2 = 100%; mean 90.00 (not below 90)
    assert projection(detail, Decimal("0.5")) == Decimal("90.00")
    # at 40%: 4 → 10 of 10 = 100%; 1 → 2.5 accidents, (2×2 − 2.5) / 2 = 75%; mean 87.50 → at risk
    assert projection(detail, Decimal("0.4")) == Decimal("87.50")
    detail["indicators"][0]["confirmed"] = True
    assert projection(detail, Decimal("0.5")) == Decimal("70.00")  # confirmed 40% stays 40%
