"""Chaos suite fixtures: a dedicated broker and PostgreSQL for restart scenarios, the size flag, the report table.

uv run pytest tests/chaos -q -p no:cacheprovider                 # CI-sized (a few thousand facts per scenario)
uv run pytest tests/chaos -q -p no:cacheprovider --chaos-full    # full-sized (or KINERJA_CHAOS_FULL=1)
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import RESULTS
from .infra import OwnKafka, OwnPostgres

ROOT = Path(__file__).resolve().parents[2]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--chaos-full", action="store_true", help="chaos suite at full size (KINERJA_CHAOS_FULL=1)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--chaos-full", default=False):
        os.environ["KINERJA_CHAOS_FULL"] = "1"


@pytest.fixture(scope="module")
def own_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnKafka]:
    """A broker of this suite's own (never the shared one: other engineers' tests run on it)."""
    k = OwnKafka(tmp_path_factory.mktemp("chaos-kafka"))
    k.start()
    try:
        yield k
    finally:
        k.stop_graceful()


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnPostgres]:
    """A PostgreSQL cluster of this suite's own, in a temp dir, removed afterwards."""
    pg = OwnPostgres(tmp_path_factory.mktemp("chaos-pg"))
    pg.start()
    try:
        yield pg
    finally:
        pg.remove()


COLUMNS = (("scenario", 26), ("events_sent", 11), ("effects_expected", 16), ("effects_found", 13), ("lost", 4),
           ("doubled", 7), ("poison_sent", 11), ("dlq_found", 9), ("lag_after", 9), ("recover_s", 9))  # fmt: skip


def table(rows: list[dict[str, object]]) -> str:
    head = " ".join(f"{c:>{w}}" if i else f"{c:<{w}}" for i, (c, w) in enumerate(COLUMNS))
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(" ".join(f"{r[c]!s:>{w}}" if i else f"{r[c]!s:<{w}}" for i, (c, w) in enumerate(COLUMNS)))
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if not RESULTS:
        return
    text = table(RESULTS)
    terminalreporter.section("chaos: per scenario (recover_s = last fault → lag 0 and outbox relayed)")
    terminalreporter.write_line(text)
    for r in RESULTS:
        terminalreporter.write_line(f"  {r['scenario']}: {r['faults']}")
    load = os.getloadavg()
    doc = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "full_size": os.environ.get("KINERJA_CHAOS_FULL") == "1",
           "cpus": os.cpu_count(), "load_average": load, "scenarios": RESULTS}  # fmt: skip
    targets = [ROOT / "bench-results"]
    with contextlib.suppress(Exception):
        targets.append(config._tmp_path_factory.getbasetemp())  # type: ignore[attr-defined]  # noqa: SLF001
    for d in targets:
        with contextlib.suppress(OSError):
            d.mkdir(parents=True, exist_ok=True)
            (d / "chaos.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
            (d / "chaos.txt").write_text(text + "\n")
            terminalreporter.write_line(f"written: {d / 'chaos.json'}, {d / 'chaos.txt'}")
