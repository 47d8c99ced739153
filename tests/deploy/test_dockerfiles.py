"""services/*/Dockerfile, checked without a Docker engine: parsed for the rules every image follows, and the
build stage's `uv sync` replayed on this machine to prove the lockfile installs a working, self-contained venv."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("activity", "evaluation", "feedback", "notify")
PINNED = re.compile(r"^[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$|^[\w./-]+@sha256:[0-9a-f]{64}$")


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Dockerfile:
    args: dict[str, str]
    stages: list[Stage]

    def final(self) -> Stage:
        return self.stages[-1]


def parse(path: Path) -> Dockerfile:
    """Instructions with continuation lines joined and comments dropped (enough for our own files)."""
    logical: list[str] = []
    buf = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        logical.append(buf + line)
        buf = ""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        op, _, rest = line.partition(" ")
        op = op.upper()
        if op == "ARG" and not stages:
            name, _, default = rest.partition("=")
            args[name] = default
        elif op == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name))
        elif stages:
            stages[-1].instructions.append((op, rest))
    return Dockerfile(args, stages)


def _resolve(image: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)


def _dockerignored(rel: str, patterns: list[str]) -> bool:
    ignored = False
    for p in patterns:
        neg = p.startswith("!")
        pat = p[1:] if neg else p
        if fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel, pat.removeprefix("**/")) or rel.startswith(pat + "/"):
            ignored = not neg
    return ignored


@pytest.mark.parametrize("svc", SERVICES)
def test_dockerfile_follows_the_image_rules(svc: str) -> None:
    df = parse(REPO / "services" / svc / "Dockerfile")
    stage_names = {s.name for s in df.stages}
    for stage in df.stages:
        image = _resolve(stage.image, df.args)
        assert image in stage_names or PINNED.match(image), f"FROM {image} is not pinned to an exact version"
    assert len(df.stages) >= 3, "multi-stage: assets, build, runtime"
    final = df.final()
    ops = [op for op, _ in final.instructions]
    [user] = [rest for op, rest in final.instructions if op == "USER"]
    assert user.split(":")[0] not in ("0", "root"), "runs as root"
    assert ops.index("USER") > max(i for i, op in enumerate(ops) if op in ("RUN", "COPY"))
    [health] = [rest for op, rest in final.instructions if op == "HEALTHCHECK"]
    assert "/health/live" in health and "--interval" in health
    [entry] = [json.loads(rest) for op, rest in final.instructions if op == "ENTRYPOINT"]
    assert entry == [f"kinerja-{svc}"]
    assert [json.loads(rest) for op, rest in final.instructions if op == "CMD"] == [["api"]]
    volumes = [json.loads(rest) for op, rest in final.instructions if op == "VOLUME"]
    assert "/tmp" in volumes[0], "read-only root filesystem needs a writable /tmp"
    # nothing in the runtime stage is built or fetched: it only copies from earlier stages
    assert all("--from=" in rest for op, rest in final.instructions if op == "COPY")
    assert not any("uv " in rest or "pip " in rest for op, rest in final.instructions if op == "RUN")
    syncs = [rest for s in df.stages for op, rest in s.instructions if op == "RUN" and "uv sync" in rest]
    assert syncs
    for sync in syncs:
        words = shlex.split(sync.split("uv sync", 1)[1])
        assert "--frozen" in words and "--no-dev" in words, sync
        assert words[words.index("--package") + 1] == f"kinerja-{svc}"
    assets = [rest for s in df.stages for op, rest in s.instructions if op == "RUN" and "npm" in rest]
    assert any("npm ci" in a and "npm run vendor" in a for a in assets)


@pytest.mark.parametrize("svc", SERVICES)
def test_copied_paths_exist_and_are_in_the_build_context(svc: str) -> None:
    df = parse(REPO / "services" / svc / "Dockerfile")
    patterns = [
        ln.strip() for ln in (REPO / ".dockerignore").read_text().splitlines() if ln.strip() and not ln.startswith("#")
    ]
    for stage in df.stages:
        for op, rest in stage.instructions:
            if op != "COPY" or "--from=" in rest:
                continue
            for src in rest.split()[:-1]:
                rel = src.rstrip("/")
                assert (REPO / rel).exists(), f"COPY {src}: not in the repository"
                assert not _dockerignored(rel, patterns), f"COPY {src}: excluded by .dockerignore"


def test_all_dockerfiles_are_the_same_template() -> None:
    def template(svc: str) -> str:
        text = (REPO / "services" / svc / "Dockerfile").read_text()
        own_names = (
            f"kinerja-{svc}",
            f"COPY services/{svc}/ services/{svc}/",
            f"the {svc} service",
            f"{svc}/Dockerfile",
        )
        for own in own_names:
            text = text.replace(own, own.replace(svc, "@SVC@"))
        return text

    texts = {s: template(s) for s in SERVICES}
    assert len(set(texts.values())) == 1, "services' Dockerfiles drifted apart"


def test_the_lock_resolves_each_image_without_dev_tools() -> None:
    """What `uv sync --frozen --no-dev --package kinerja-<svc>` installs: the service, shared, no test tooling."""
    for svc in SERVICES:
        out = subprocess.run(
            ["uv", "export", "--frozen", "--no-dev", "--no-hashes", "--package", f"kinerja-{svc}"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        names = {ln.split("==")[0].strip().lower() for ln in out.splitlines() if "==" in ln}
        assert {"fastapi", "asyncpg", "aiokafka"} <= names, svc
        assert not names & {"pytest", "mypy", "ruff", "playwright", "testcontainers"}, svc


def _build_stage_venv(svc: str, target: Path) -> Path:
    env = os.environ | {
        "UV_PROJECT_ENVIRONMENT": str(target),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_PYTHON": sys.executable,
        "UV_LINK_MODE": "copy",
    }
    subprocess.run(
        ["uv", "sync", "--frozen", "--no-dev", "--no-editable", "--package", f"kinerja-{svc}", "--quiet"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=240,
        capture_output=True,
    )
    return target


def _check_venv(svc: str, venv: Path) -> None:
    site = venv / "lib" / "python3.11" / "site-packages"
    # the runtime stage copies the vendored assets here
    assert (site / "kinerja_shared" / "static").is_dir()
    assert not (site / f"_kinerja_{svc}.pth").exists(), "editable install: the image would need the sources"
    out = subprocess.run(
        [str(venv / "bin" / f"kinerja-{svc}"), "asyncapi"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
        env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout)["asyncapi"].startswith("3.")
    assert (venv / "bin" / "kinerja-ops").exists()


@pytest.mark.slow
def test_build_stage_installs_a_self_contained_service(tmp_path: Path) -> None:
    """The build stage's commands on this machine: the venv runs from `/` without the repository."""
    _check_venv("notify", _build_stage_venv("notify", tmp_path / "venv"))


@pytest.mark.slow
@pytest.mark.parametrize("svc", ["activity", "evaluation", "feedback"])
def test_build_stage_installs_each_service(svc: str, tmp_path: Path) -> None:
    _check_venv(svc, _build_stage_venv(svc, tmp_path / "venv"))
