"""deploy/compose.yaml: valid against the Compose specification (check-jsonschema's vendored compose-spec schema,
no Docker engine needed), complete, configured as the services' settings read it, and a front door nginx accepts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from kinerja_shared.settings import service_settings_class

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "deploy" / "compose.yaml"
SERVICES = ("activity", "evaluation", "feedback", "notify")
CHECK_JSONSCHEMA = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]


def _compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return doc


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    proc = subprocess.run([*CHECK_JSONSCHEMA, str(COMPOSE)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_schema_check_refuses_a_broken_file(tmp_path: Path) -> None:
    broken = _compose()
    broken["services"]["kafka"]["restart"] = ["always"]  # must be a string
    broken["services"]["nginx"]["portz"] = ["80:80"]
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken))
    proc = subprocess.run([*CHECK_JSONSCHEMA, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0


def test_compose_runs_kafka_kraft_postgres_nginx_and_both_processes_of_every_service() -> None:
    services = _compose()["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "zookeeper" not in services
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["nginx"]["image"].startswith("nginx:")
    for svc in SERVICES:
        for role in ("api", "worker"):
            s = services[f"{svc}-{role}"]
            assert s["command"] == [role]
            assert s["build"]["dockerfile"] == f"services/{svc}/Dockerfile"
            assert (REPO / "deploy" / s["build"]["context"] / s["build"]["dockerfile"]).exists()
            assert s["read_only"] is True and "/tmp:size=256m" in s["tmpfs"]
            assert s["depends_on"]["init"]["condition"] == "service_completed_successfully"
    for image in (s.get("image", "") for s in services.values()):
        assert ":" in image and not image.endswith(":latest"), image


def _resolve(value: str) -> str:
    """${VAR:?msg} / ${VAR:-default} as Compose interpolates them, with a placeholder for required secrets."""
    return re.sub(
        r"\$\{(\w+)(?::([?-])([^}]*))?\}",
        lambda m: m.group(3) if m.group(2) == "-" else f"placeholder-{m.group(1).lower()}",
        value,
    )


@pytest.mark.parametrize("svc", SERVICES)
def test_service_environment_is_what_the_settings_read(svc: str) -> None:
    env = {k: _resolve(str(v)) for k, v in _compose()["services"][f"{svc}-api"]["environment"].items()}
    with mock.patch.dict(os.environ, env, clear=True):
        settings = service_settings_class(svc)()
    assert settings.environment == "production"
    assert settings.database_url.startswith(f"postgresql://kinerja_{svc}:")
    assert settings.database_url.endswith(f"@postgres:5432/kinerja_{svc}")
    assert settings.migration_database_url.startswith(f"postgresql://kinerja_{svc}_owner:")
    assert settings.kafka.bootstrap_servers == "kafka:9092"
    assert settings.root_path == f"/{svc}" and settings.http_host == "0.0.0.0"
    assert settings.jwt_jwks_url


def test_init_provisions_topics_and_every_service_database() -> None:
    command = " ".join(_compose()["services"]["init"]["command"])
    assert "kinerja-ops topics" in command
    for svc in SERVICES:
        assert f"provision-db --service {svc}" in command


def test_nginx_routes_each_service_path_and_its_config_parses(tmp_path: Path) -> None:
    conf = _compose()["configs"]["nginx-conf"]["content"]
    for svc in SERVICES:
        assert re.search(rf"location /{svc}/ {{ proxy_pass http://kinerja_{svc};", conf), svc
        assert f"server {svc}-api:8000" in conf
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed (./kinerja install adds it)")
    # container names do not resolve here: point the upstreams at loopback, keep everything else
    local = re.sub(r"server [a-z]+-api:8000", "server 127.0.0.1:8000", conf)
    (tmp_path / "kinerja.conf").write_text(local)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path};\n include {tmp_path}/kinerja.conf;\n}}\n"
    )
    proc = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
