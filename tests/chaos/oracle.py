"""The generator and the independent oracle of the chaos suite, and how a run's effects are scored against it.

The generator (`generate`) and the plain-Python oracle (`oracle`) are the evaluation engineer's, in
services/evaluation/tests/integration/test_scoring_kafka.py; they are loaded from that file (minus its one relative
import) rather than copied, so there is one oracle. The oracle recomputes capaian (Table P3), the S1 score with
redistribution and the R1 notification triggers from the generator's own record of what it sent, without SQL.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "services/evaluation/tests/integration/test_scoring_kafka.py"
_RELATIVE = "from ..service.test_scoring_engine import scoring_database\n"


def _load() -> ModuleType:
    name = "kinerja_chaos_workload"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SOURCE, submodule_search_locations=[])
    assert spec is not None and spec.loader is not None
    source = SOURCE.read_text()
    assert _RELATIVE in source, f"{SOURCE} changed its imports; update tests/chaos/oracle.py"
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(source.replace(_RELATIVE, ""), str(SOURCE), "exec"), module.__dict__)  # noqa: S102 - our own test
    return module


_W = _load()
generate = _W.generate
oracle = _W.oracle
Workload = _W.Workload

COUNTERS = ("verified_minutes", "verified_activities", "pending_activities", "working_days", "days_on_time",
            "innovations")  # fmt: skip


@dataclass
class Effects:
    """Expected vs found effects of one run. An effect is one (ASN, period) read-model row with its counters and
    score, or one notification. Counters above the oracle's are doubled effects, below it lost ones."""

    expected: int = 0
    found: int = 0
    lost: int = 0
    doubled: int = 0
    examples: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(what)


def compare(
    state: dict[tuple[uuid.UUID, str], dict[str, Any]],
    notes: set[tuple[str, ...]],
    periods: list[dict[str, Any]],
    scores: list[dict[str, Any]],
    db_notes: list[dict[str, Any]],
    topic_notification_ids: list[str],
) -> Effects:
    """Score the stored state, the stored notifications and the notifications on Kafka against the oracle."""
    eff = Effects(expected=len(state) + len(notes))
    got = {(r["asn_id"], r["period"]): r for r in periods}
    by_score = {(r["asn_id"], r["period"]): r for r in scores}
    for key, want in state.items():
        row, sc = got.get(key), by_score.get(key)
        if row is None or sc is None:
            eff.lost += 1
            eff.note(f"missing {key}")
            continue
        mine = {f: row[f] for f in COUNTERS} | {"status": sc["status"], "score": sc["score"],
                                                  "predikat": sc["predikat"]}  # fmt: skip
        if mine == want:
            eff.found += 1
            continue
        # pending_activities rises when a verification is lost, so only the additive counters show a doubling
        higher = [f for f in COUNTERS if f != "pending_activities" and mine[f] > want[f]]
        if higher:
            eff.doubled += 1
            eff.note(f"{key} counted twice: {[(f, mine[f], want[f]) for f in higher]}")
        else:
            eff.lost += 1
            eff.note(f"{key} differs: {mine} != {want}")
    for key in set(got) - set(state):
        eff.doubled += 1  # a row the oracle never asked for
        eff.note(f"unexpected row {key}")
    stored = Counter((r["kind"], str(r["asn_id"]), r["period"], r["subject"]) for r in db_notes)
    published = Counter(topic_notification_ids)
    stored_ids = {str(r["notification_id"]) for r in db_notes}
    for n in notes:
        if stored[n] >= 1:
            eff.found += 1
        else:
            eff.lost += 1
            eff.note(f"notification missing {n}")
    for n, c in stored.items():
        if n not in notes or c > 1:
            eff.doubled += c - (1 if n in notes else 0)
            eff.note(f"notification stored {c}× {n}")
    # NotificationRequested on the broker: exactly once per stored id, nothing else
    for nid, c in published.items():
        if c > 1 or nid not in stored_ids:
            eff.doubled += c - (1 if nid in stored_ids else 0)
            eff.note(f"NotificationRequested {nid} published {c}×")
    unpublished = stored_ids - set(published)
    if unpublished:
        eff.lost += len(unpublished)
        eff.found -= min(eff.found, len(unpublished))
        eff.note(f"{len(unpublished)} notifications never published")
    return eff


def score_of(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))
