"""The superior's team chart: one status per subordinate today, and minutes vs quota (Table T1 quota)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kinerja_activity.entrypoints.pages import TEAM_STATES, team_charts, team_state
from kinerja_shared.web import JAKARTA

IN = datetime(2026, 11, 26, 7, 40, tzinfo=JAKARTA)


def member(name: str, attendance: str | None, check_in: datetime | None = None, late: int = 0, vm: int = 0) -> Any:
    return {"name": name, "attendance": attendance, "check_in": check_in, "late_minutes": late,
            "verified_minutes_month": vm}  # fmt: skip


def test_each_subordinate_falls_in_exactly_one_state() -> None:
    assert TEAM_STATES[team_state(member("a", "hadir", IN))] == "Hadir tepat waktu"
    assert TEAM_STATES[team_state(member("b", "hadir", IN, late=10))] == "Terlambat"
    for excused in ("cuti", "dinas_luar", "sakit"):
        assert TEAM_STATES[team_state(member("c", excused))] == "Izin/cuti/dinas/sakit"
    assert TEAM_STATES[team_state(member("d", "alpa"))] == "Alpa"
    assert TEAM_STATES[team_state(member("e", None))] == "Belum absen"
    assert TEAM_STATES[team_state(member("f", "hadir"))] == "Belum absen"  # only apel recorded, no check-in


def test_chart_configs_count_states_and_compare_verified_minutes_with_the_quota() -> None:
    rows = [member("a", "hadir", IN, vm=600), member("b", "alpa"), member("c", None), member("d", "hadir", IN, 5)]
    charts = team_charts(rows, 6750)
    assert charts["status"]["data"]["datasets"][0]["data"] == [1, 1, 0, 1, 1]
    assert charts["minutes"]["data"]["labels"] == ["a", "b", "c", "d"]
    assert charts["minutes"]["data"]["datasets"][0]["data"] == [600, 0, 0, 0]
    assert charts["minutes"]["data"]["datasets"][1]["data"] == [6750] * 4
