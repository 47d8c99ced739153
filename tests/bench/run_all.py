"""`./kinerja bench`: every benchmark in tests/bench, one table — metric, Kinerja, peer baseline measured in the same
run, ratio, goal, met — printed and written to bench-results/ as JSON and a PNG chart.

    ./kinerja bench                     # modest sizes (about 10-15 minutes on a quiet 2-core machine)
    ./kinerja bench --full              # every script's --full size, and cost scaling up to 1,000,000 events
    ./kinerja bench --only evaluation,scaling --out bench-results
    uv run python tests/bench/run_all.py --quick   # smallest sizes: checks the command end to end

Each script runs as its own process (`uv run python tests/bench/<file>.py ...`) and its printed figures are parsed
here (the scripts stay plain figure-printers). The cost-scaling part runs the real evaluation worker process on
10k, 100k (and with --full 1M) generated facts, and at the middle size with 1 and 3 worker processes in one
consumer group: events/s from start to lag 0, and peak RSS per process.
Figures on a shared machine are pessimistic: the load average at start and end is recorded with them.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NUM = r"([\d,]+(?:\.\d+)?)"


def num(s: str) -> float:
    return float(s.replace(",", ""))


@dataclass
class Figure:
    bench: str
    metric: str
    ours: float | None
    unit: str
    peer: float | None = None
    peer_name: str = ""
    goal: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.ours is None or not self.peer:
            return None
        return self.ours / self.peer


# ---------------------------------------------------------------- parsers of the scripts' printed figures
def find(pattern: str, text: str) -> re.Match[str] | None:
    return re.search(pattern, text, re.MULTILINE)


def parse_messaging(text: str) -> list[Figure]:
    out = []
    rp = find(rf"raw aiokafka producer.*?{NUM} events/s", text)
    op = find(rf"outbox relay.*?{NUM} events/s", text)
    if rp and op:
        f = Figure("messaging", "outbox relay publish", num(op[1]), "events/s", num(rp[1]), "raw aiokafka producer",
                   "≥ 0.5× raw")  # fmt: skip
        f.met = (f.ratio or 0) >= 0.5
        out.append(f)
    rc = find(rf"raw aiokafka consumer.*?{NUM} events/s", text)
    oc = find(rf"batched inbox consumer.*?{NUM} events/s", text)
    if rc and oc:
        f = Figure("messaging", "inbox consumer, exactly once", num(oc[1]), "events/s", num(rc[1]),
                   "raw aiokafka consumer", "≥ 0.3× raw")  # fmt: skip
        f.met = (f.ratio or 0) >= 0.3
        out.append(f)
    return out


def parse_evaluation(text: str) -> list[Figure]:
    out = []
    raw = find(rf"raw aiokafka consume-only\s+{NUM} events/s", text)
    ours = find(rf"ours \(worker, exactly-once\)\s+{NUM} events/s.*?peak RSS {NUM} MB", text)
    naive = find(rf"naive per-message, 1 tx/event\s+{NUM} events/s", text)
    lat = find(rf"p50 {NUM} ms\s+p99 {NUM} ms", text)
    if ours:
        rate, rss = num(ours[1]), num(ours[2])
        out.append(Figure("evaluation", "scoring worker drain", rate, "events/s", None, "", "≥ 25,000/s",
                          rate >= 25_000))  # fmt: skip
        if raw:
            f = Figure("evaluation", "scoring worker vs raw consume", rate, "events/s", num(raw[1]),
                       "raw aiokafka consume-only", "≥ 0.25× raw")  # fmt: skip
            f.met = (f.ratio or 0) >= 0.25
            out.append(f)
        if naive:
            f = Figure("evaluation", "scoring worker vs naive", rate, "events/s", num(naive[1]),
                       "naive per-message subscriber (1 tx/event)", "≥ 10× naive")  # fmt: skip
            f.met = (f.ratio or 0) >= 10
            out.append(f)
        out.append(Figure("evaluation", "scoring worker peak RSS", rss, "MB", None, "", "≤ 250 MB", rss <= 250))
    if lat:
        p99 = num(lat[2])
        out.append(Figure("evaluation", "ActivityVerified → ScoreUpdated p99", p99, "ms", None, "", "≤ 250 ms",
                          p99 <= 250, note=f"p50 {lat[1]} ms"))  # fmt: skip
    return out


def parse_activity(text: str) -> list[Figure]:
    out = []
    single = find(rf"kinerja \(outbox\)\s+achieved {NUM} req/s\s+p50 {NUM} ms\s+p99 {NUM} ms", text)
    naive1 = find(rf"naive \(INSERT \+ send\)\s+achieved {NUM} req/s\s+p50 {NUM} ms\s+p99 {NUM} ms", text)
    if single:
        p99 = num(single[3])
        f = Figure("activity", "single POST p99 (500 req/s open loop)", p99, "ms",
                   num(naive1[3]) if naive1 else None, "naive per-request INSERT + awaited send", "≤ 30 ms",
                   p99 <= 30, note=f"p50 {single[2]} ms")  # fmt: skip
        out.append(f)
    batch = find(rf"kinerja \(COPY \+ outbox\)\s+{NUM} activities/s", text)
    naive = find(rf"naive \(per-item\)\s+{NUM} activities/s", text)
    if batch:
        rate = num(batch[1])
        out.append(Figure("activity", "batch sync (500/request)", rate, "activities/s",
                          num(naive[1]) if naive else None, "naive per-request insert", "≥ 10,000/s",
                          rate >= 10_000))  # fmt: skip
    return out


def _section(text: str, title: str) -> str:
    """The lines of one `--- <title> (…) ---` phase of a bench script's output."""
    m = re.search(rf"^--- {re.escape(title)}.*?---$(.*?)(?=^--- |^database: |\Z)", text, re.MULTILINE | re.DOTALL)
    return m.group(1) if m else ""


def parse_feedback(text: str) -> list[Figure]:
    """bench_feedback.py phases: the HTTP ceiling, the one-transaction-per-answer baseline, group commit."""
    out = []
    ours, base = _section(text, "group commit"), _section(text, "baseline")
    acc = find(rf"accepted \(201\):\s+{NUM} = {NUM}/s", ours)
    peer = find(rf"accepted \(201\):\s+{NUM} = {NUM}/s", base)
    lat = find(rf"citizens' latency:\s+p50 {NUM} ms .*?p99 {NUM} ms", ours)
    abuse = find(rf"abuser \(one address, {NUM} requests\):\s+{NUM} answered 429", ours)
    if acc:
        rate = num(acc[2])
        out.append(Figure("feedback", "public survey accepted (group commit)", rate, "answers/s",
                          num(peer[2]) if peer else None, "one transaction per answer, same run", "≥ 2,000/s",
                          rate >= 2000))  # fmt: skip
    if lat:
        p99 = num(lat[2])
        out.append(Figure("feedback", "citizens' survey p99 under a flood", p99, "ms", None, "", "≤ 100 ms",
                          p99 <= 100, note=f"p50 {lat[1]} ms"))  # fmt: skip
    if abuse:
        n429 = num(abuse[2])
        out.append(Figure("feedback", "abuser answered 429", n429, "requests", num(abuse[1]), "abuser's requests",
                          "> 0 (limited)", n429 > 0))  # fmt: skip
    return out


def parse_notify(text: str) -> list[Figure]:
    out = []
    for kind, label in (("webhooks", "webhook deliveries"), ("e-mails", "e-mails sent")):
        m = find(rf"{kind}\s+dispatcher:\s+{NUM}/s.*?naive sequential:\s+{NUM}/s", text)
        if m:
            out.append(Figure("notify", label, num(m[1]), "per s", num(m[2]), "naive sequential sender", "", None))
    return out


def parse_import(text: str) -> list[Figure]:
    m = find(rf"total: {NUM} s for {NUM} rows, {NUM} rows/s", text)
    asn = find(r"province: \d+ regencies, ([\d,]+) ASN", text)
    if not m:
        return []
    secs, n_asn = num(m[1]), num(asn[1]) if asn else 0
    # the goal is 70,000 ASN in ≤ 60 s; at a smaller size scale linearly (COPY-based: linear in rows)
    projected = secs * 70_000 / n_asn if n_asn else secs
    return [
        Figure(
            "import",
            f"province import ({n_asn:,.0f} ASN + SKPs)",
            num(m[3]),
            "rows/s",
            None,
            "",
            "70,000 ASN ≤ 60 s",
            projected <= 60,
            note=f"{secs:.1f} s; projected to 70k: {projected:.0f} s",
        )
    ]


# ---------------------------------------------------------------- the scripts and their sizes
@dataclass
class Bench:
    name: str
    argv: list[str]
    full: list[str]
    quick: list[str]
    parse: Callable[[str], list[Figure]]


BENCHES = [
    Bench("messaging", ["all", "--events", "30000", "--rounds", "2"], ["all", "--events", "200000"],
          ["all", "--events", "5000", "--rounds", "1"], parse_messaging),
    Bench("evaluation", ["--events", "50000", "--asn", "2500", "--naive-sample", "1500", "--probes", "50"],
          ["--full"], ["--events", "10000", "--asn", "500", "--naive-sample", "300", "--probes", "20"],
          parse_evaluation),
    Bench("activity", ["--duration", "8"], ["--full"], ["--duration", "3"], parse_activity),
    Bench("feedback", ["--seconds", "8"], ["--full"], ["--seconds", "3"], parse_feedback),
    Bench("notify", [], ["--full"], [], parse_notify),
    Bench("import", [], ["--full"], ["--asn", "2000"], parse_import),
    Bench("finalise", [], ["--full"], [], lambda _t: []),  # bench_finalise.py, if someone adds it
]  # fmt: skip


def run_script(b: Bench, mode: str, logs: Path, timeout: float) -> tuple[list[Figure], str]:
    script = HERE / f"bench_{b.name}.py"
    if not script.exists():
        return [], "absent"
    argv = {"full": b.full, "quick": b.quick}.get(mode, b.argv)
    t = time.monotonic()
    # own process group: on a timeout the script's worker/server children go with it
    proc = subprocess.Popen([sys.executable, str(script), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, start_new_session=True)  # fmt: skip
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            stdout, stderr = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
        stderr += f"\n[run_all] stopped after {timeout:.0f} s (--timeout)"
    text = stdout + ("\n" + stderr if proc.returncode else "")
    (logs / f"bench_{b.name}.log").write_text(f"$ python {script.relative_to(ROOT)} {' '.join(argv)}\n{text}")
    figs = b.parse(stdout)
    status = f"exit {proc.returncode}, {time.monotonic() - t:.0f} s"
    if proc.returncode != 0 or not figs:
        status += " — see " + str(logs / f"bench_{b.name}.log")
    return figs, status


# ---------------------------------------------------------------- cost scaling (the evaluation worker)
def _bench_evaluation() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_evaluation_mod", HERE / "bench_evaluation.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_evaluation_mod"] = mod
    spec.loader.exec_module(mod)
    return mod


async def drain_with(be: ModuleType, kafka: Any, app: str, owner: str, total: int, procs: int) -> tuple[float, float]:
    """`procs` worker processes in one group drain the namespace from 0: events/s to lag 0, max peak RSS (MB)."""
    logs = [Path(f"/tmp/bench-scaling-{os.getpid()}-{i}.log") for i in range(procs)]
    workers = [be._worker(app, owner, kafka, log, 5000) for log in logs]  # noqa: SLF001
    try:
        t0 = time.perf_counter()
        while True:
            await asyncio.sleep(0.5)
            if any(w.poll() is not None for w in workers):
                raise SystemExit(f"a worker exited; see {logs}")
            try:
                if await be._lag(kafka, "evaluation") == 0:  # noqa: SLF001
                    break
            except Exception:  # noqa: BLE001 - the group does not exist for the first moments
                continue
        elapsed = time.perf_counter() - t0
        return total / elapsed, max(be._rss_peak_mb(w.pid) for w in workers)  # noqa: SLF001
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            await asyncio.to_thread(w.wait, 60)


async def scaling(sizes: list[int], three_at: int) -> list[Figure]:
    be = _bench_evaluation()
    gen = be._generator()  # noqa: SLF001
    bootstrap, admin = be._infra()  # noqa: SLF001
    out: list[Figure] = []
    runs = [(n, 1) for n in sizes] + [(three_at, 3)]
    for n, procs in runs:
        w = gen.generate(n, asn_count=max(100, n // 20))
        envs = [be.Envelope.wrap(e) for e in [*w.org, *w.activity, *w.feedback, *w.evaluation, *w.assessments]]
        del w
        kafka = await be._namespace(bootstrap)  # noqa: SLF001
        await be._produce(kafka, envs)  # noqa: SLF001
        total = len(envs)
        del envs
        app, owner = await be._database(admin)  # noqa: SLF001
        try:
            rate, rss = await drain_with(be, kafka, app, owner, total, procs)
        finally:
            await be.drop_database(admin, app)  # bench_evaluation's import of _infra's
        label = f"{total:,} facts, {procs} worker process{'es' if procs > 1 else ''}"
        out.append(Figure("scaling", f"drain {label}", rate, "events/s", None, "", "", None,
                          note=f"peak RSS {rss:.0f} MB per process"))  # fmt: skip
        out.append(Figure("scaling", f"peak RSS {label}", rss, "MB", None, "", "≤ 250 MB", rss <= 250))
        print(f"  scaling: {label}: {rate:,.0f} events/s, peak RSS {rss:.0f} MB", flush=True)  # noqa: T201
    return out


# ---------------------------------------------------------------- output
def fmt(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}"


def table(figs: list[Figure]) -> str:
    head = f"{'bench':<11} {'metric':<44} {'Kinerja':>12} {'peer':>10} {'ratio':>7}  {'goal':<18} {'met':<7} note"
    lines = [head, "-" * len(head)]
    for f in figs:
        met = "—" if f.met is None else ("met" if f.met else "NOT met")
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}×"
        lines.append(
            f"{f.bench:<11} {f.metric[:44]:<44} {fmt(f.ours) + ' ' + f.unit[:9]:>12} {fmt(f.peer):>10} "
            f"{ratio:>7}  {f.goal[:18]:<18} {met:<7} {(f.peer_name + '; ' if f.peer_name else '') + f.note}"
        )
    return "\n".join(lines)


def chart(figs: list[Figure], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paired = [f for f in figs if f.ours is not None and f.peer]
    scal = [f for f in figs if f.bench == "scaling" and f.unit == "events/s" and f.ours]
    fig, axes = plt.subplots(1, 2, figsize=(14, max(4, 0.45 * len(paired) + 2)))
    ax = axes[0]
    labels = [f"{f.bench}: {f.metric}"[:48] for f in paired]
    ys = range(len(paired))
    ax.barh([y + 0.2 for y in ys], [f.ours or 0 for f in paired], 0.4, label="Kinerja", color="#1f6f8b")
    ax.barh([y - 0.2 for y in ys], [f.peer or 0 for f in paired], 0.4, label="peer baseline", color="#c8a25c")
    ax.set_yticks(list(ys), labels, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("figure (log scale; units per row: see JSON)")
    ax.legend(fontsize=8)
    ax.set_title("Kinerja vs the peer baseline, same run")
    ax2 = axes[1]
    ax2.bar([f.metric.replace("drain ", "").replace(" worker process", " proc") for f in scal],
            [f.ours or 0 for f in scal], color="#1f6f8b")  # fmt: skip
    ax2.set_ylabel("events/s to lag 0")
    ax2.set_title("cost scaling: evaluation worker")
    ax2.tick_params(axis="x", labelsize=7, rotation=20)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="every script's full size; scaling up to 1M events")
    ap.add_argument("--quick", action="store_true", help="smallest sizes (checks the command end to end)")
    ap.add_argument("--only", default="", help="comma-separated: messaging,evaluation,activity,feedback,notify,"
                    "import,finalise,scaling")  # fmt: skip
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per script before it is stopped")
    ap.add_argument("--out", default=str(ROOT / "bench-results"), help="directory for the JSON, PNG and logs")
    args = ap.parse_args()
    mode = "full" if args.full else "quick" if args.quick else "default"
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    out_dir = Path(args.out)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    logs = out_dir / f"logs-{stamp}"
    logs.mkdir(parents=True, exist_ok=True)
    load0 = os.getloadavg()
    t0 = time.monotonic()
    figs: list[Figure] = []
    statuses: dict[str, str] = {}
    say = print  # noqa: T201 - a benchmark prints its figures
    say(f"Kinerja benchmarks ({mode}) — {os.cpu_count()} CPUs, load average {load0[0]:.1f} {load0[1]:.1f} "
        f"{load0[2]:.1f}; logs in {logs}", flush=True)  # fmt: skip
    for b in BENCHES:
        if only and b.name not in only:
            continue
        say(f"- bench_{b.name} …", flush=True)
        got, status = run_script(b, mode, logs, args.timeout)
        statuses[b.name] = status
        figs += got
        say(f"  {status}; {len(got)} figures", flush=True)
    if not only or "scaling" in only:
        sizes = {"full": [10_000, 100_000, 1_000_000], "quick": [5_000, 20_000]}.get(mode, [10_000, 100_000])
        three_at = {"full": 1_000_000, "quick": 20_000}.get(mode, 100_000)
        say(f"- cost scaling {sizes} × 1 process, {three_at:,} × 3 processes …", flush=True)
        try:
            figs += asyncio.run(scaling(sizes, three_at))
            statuses["scaling"] = "ok"
        except (Exception, SystemExit) as e:  # noqa: BLE001 - one part failing must not lose the others' figures
            statuses["scaling"] = f"failed: {e!r}"
    load1 = os.getloadavg()
    text = table(figs)
    say("")
    say(text)
    say("")
    say(f"load average start {load0[0]:.1f} → end {load1[0]:.1f} on {os.cpu_count()} CPUs; "
        f"{time.monotonic() - t0:.0f} s in all; statuses: {statuses}")  # fmt: skip
    doc = {"when": stamp, "mode": mode, "cpus": os.cpu_count(), "load_average_start": load0,
           "load_average_end": load1, "statuses": statuses,
           "figures": [asdict(f) | {"ratio": f.ratio} for f in figs]}  # fmt: skip
    (out_dir / f"bench-{stamp}.json").write_text(json.dumps(doc, indent=2) + "\n")
    (out_dir / "bench-latest.json").write_text(json.dumps(doc, indent=2) + "\n")
    (out_dir / "bench-latest.txt").write_text(text + "\n")
    try:
        title = f"{stamp} · {mode} · {os.cpu_count()} CPUs · load {load0[0]:.1f}→{load1[0]:.1f} (shared machine)"
        chart(figs, out_dir / f"bench-{stamp}.png", title)
        chart(figs, out_dir / "bench-latest.png", title)
        say(f"written: {out_dir / f'bench-{stamp}.json'}, {out_dir / f'bench-{stamp}.png'} (and bench-latest.*)")
    except ImportError:
        say("matplotlib missing (uv sync): no PNG; JSON written")


if __name__ == "__main__":
    main()
