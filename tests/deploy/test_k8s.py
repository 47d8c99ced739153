"""deploy/k8s: generated from the topic registry, valid against Kubernetes and the operators' CRD schemas, and
holding the invariants ops rely on (replicas ≤ partitions, probes, limits, PDBs, least-privilege ACLs)."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import jsonschema
import kubernetes_validate
import pytest
import yaml

from kinerja_shared.settings import service_settings_class
from kinerja_shared.topics import BY_NAME, TOPICS, all_topic_specs, dlq_topic, retry_topic

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
OBSERVABILITY = REPO / "deploy" / "observability"
SERVICES = ("activity", "evaluation", "feedback", "notify")

K8S_VERSION = "1.33.0"  # oldest Kubernetes minor we support; sleep preStop hooks need ≥ 1.30
CRD_DIR = Path(__file__).parent / "crd-schemas"
CUSTOM_GROUPS = ("kafka.strimzi.io", "postgresql.cnpg.io", "keda.sh", "monitoring.coreos.com")

Doc = dict[str, Any]


def load_docs(path: Path) -> list[Doc]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _kind(docs: list[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def _named(docs: list[Doc], kind: str, name: str) -> Doc:
    [doc] = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def _crd_schema(doc: Doc) -> dict[str, Any]:
    group, version = doc["apiVersion"].split("/")
    path = CRD_DIR / f"{doc['kind'].lower()}-{group.split('.')[0]}-{version}.json"
    assert path.exists(), f"no vendored CRD schema for {doc['apiVersion']} {doc['kind']} (see crd-schemas/README.md)"
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


def _all_deploy_docs(manifests: list[Doc]) -> list[Doc]:
    return manifests + load_docs(OBSERVABILITY / "prometheus-rule.yaml") + load_docs(OBSERVABILITY / "pod-monitor.yaml")


def test_committed_manifests_are_what_the_generator_makes(generator: ModuleType) -> None:
    """One source of truth: editing the registry without regenerating (or hand-editing base/) fails here."""
    for name, text in generator.outputs().items():
        committed = K8S / "base" / name
        assert committed.exists(), f"deploy/k8s/base/{name} missing: run uv run python deploy/k8s/generate.py"
        assert committed.read_text() == text, (
            f"deploy/k8s/base/{name} is stale: run uv run python deploy/k8s/generate.py"
        )
    assert {p.name for p in (K8S / "base").glob("*.yaml")} == set(generator.outputs())


def test_core_resources_are_valid_kubernetes(manifests: list[Doc]) -> None:
    core = [d for d in manifests if d["apiVersion"].split("/")[0] not in CUSTOM_GROUPS]
    assert {d["kind"] for d in core} >= {
        "Namespace",
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "NetworkPolicy",
        "Ingress",
        "PersistentVolumeClaim",
    }
    errors = []
    for doc in core:
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {str(e).splitlines()[0]}")
    assert not errors, "\n".join(errors)


def test_core_validation_can_fail() -> None:
    bad = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"prots": []}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)


def test_custom_resources_match_the_operators_crd_schemas(manifests: list[Doc]) -> None:
    custom = [d for d in _all_deploy_docs(manifests) if d["apiVersion"].split("/")[0] in CUSTOM_GROUPS]
    kinds = Counter(d["kind"] for d in custom)
    assert set(kinds) >= {
        "Kafka",
        "KafkaNodePool",
        "KafkaTopic",
        "KafkaUser",
        "Cluster",
        "Database",
        "ScheduledBackup",
        "ScaledObject",
        "TriggerAuthentication",
        "PrometheusRule",
        "PodMonitor",
    }
    errors = []
    for doc in custom:
        validator = jsonschema.Draft7Validator(_crd_schema(doc))
        for err in validator.iter_errors(doc):
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {'.'.join(map(str, err.path))}: {err.message}")
        assert doc["metadata"].get("name") and doc["metadata"].get("namespace"), doc["metadata"]
    assert not errors, "\n".join(errors[:20])


def test_crd_validation_refuses_a_misspelt_field(manifests: list[Doc]) -> None:
    topic = dict(_kind(manifests, "KafkaTopic")[0])
    topic["spec"] = topic["spec"] | {"partition": 3}
    assert list(jsonschema.Draft7Validator(_crd_schema(topic)).iter_errors(topic))


def test_every_registry_topic_has_a_kafkatopic_with_its_settings(manifests: list[Doc]) -> None:
    topics = {d["spec"]["topicName"]: d for d in _kind(manifests, "KafkaTopic")}
    specs = all_topic_specs()
    assert set(topics) == {t.name for t in specs}
    for t in specs:
        spec = topics[t.name]["spec"]
        assert spec["partitions"] == t.partitions
        assert spec["replicas"] == 3
        assert spec["config"]["min.insync.replicas"] == "2"
        for key, value in t.config().items():
            assert spec["config"][key] == value, (t.name, key)
        assert topics[t.name]["metadata"]["labels"]["strimzi.io/cluster"] == "kinerja"
    assert topics["kinerja.score.v1"]["spec"]["config"]["cleanup.policy"] == "compact"


def test_kafka_is_kraft_with_three_brokers_rf3_min_isr2(manifests: list[Doc]) -> None:
    [kafka] = _kind(manifests, "Kafka")
    pools = _kind(manifests, "KafkaNodePool")
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    controllers = sum(p["spec"]["replicas"] for p in pools if "controller" in p["spec"]["roles"])
    assert brokers == 3 and controllers == 3
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"] for p in pools)
    cfg = kafka["spec"]["kafka"]["config"]
    assert cfg["default.replication.factor"] == 3 and cfg["min.insync.replicas"] == 2
    assert cfg["transaction.state.log.replication.factor"] == 3 and cfg["transaction.state.log.min.isr"] == 2
    assert cfg["auto.create.topics.enable"] is False
    assert "zookeeper" not in kafka["spec"]
    assert all(lst["authentication"]["type"] == "scram-sha-512" for lst in kafka["spec"]["kafka"]["listeners"])
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"


def _acls(user: Doc) -> list[tuple[str, str, str, str]]:
    out = []
    for acl in user["spec"]["authorization"]["acls"]:
        r = acl["resource"]
        for op in acl["operations"]:
            out.append((r["type"], r.get("name", ""), r.get("patternType", "literal"), op))
    return out


@pytest.mark.parametrize("svc", SERVICES)
def test_service_user_writes_only_what_it_owns_and_reads_what_it_consumes(manifests: list[Doc], svc: str) -> None:
    user = _named(manifests, "KafkaUser", f"kinerja-{svc}")
    assert user["spec"]["authentication"]["type"] == "scram-sha-512"
    acls = _acls(user)
    assert all(a[2] == "literal" for a in acls), "service users get no wildcard or prefix ACLs"
    written = {name for kind, name, _, op in acls if kind == "topic" and op == "Write"}
    assert written == {t.name for t in all_topic_specs() if t.owner == svc}
    read = {name for kind, name, _, op in acls if kind == "topic" and op == "Read"}
    consumed = [t for t in TOPICS if svc in t.consumers]
    expected_reads = {t.name for t in consumed} | {retry_topic(t.name, svc) for t in consumed}
    assert read - written == expected_reads - written
    assert expected_reads <= read
    groups = {name for kind, name, _, op in acls if kind == "group" and op == "Read"}
    assert groups == ({svc} if consumed else set())
    assert ("transactionalId", f"kinerja-{svc}-outbox", "literal", "Write") in acls
    assert ("cluster", "", "literal", "IdempotentWrite") in acls
    if svc == "evaluation":
        assert {"kinerja.score.v1", "kinerja.notification.v1", "kinerja.public.performance.v1"} <= written
    else:
        assert not written & {"kinerja.score.v1", "kinerja.notification.v1", "kinerja.public.performance.v1"}
    for t in consumed:  # its own DLQ is written by its consumer; nobody else's
        assert dlq_topic(t.name, svc) in written


def test_agency_user_reads_only_the_public_topic_with_its_own_group_prefix(manifests: list[Doc]) -> None:
    agencies = [u for u in _kind(manifests, "KafkaUser") if u["metadata"]["name"].startswith("agency-")]
    assert agencies
    for user in agencies:
        name = user["metadata"]["name"]
        acls = _acls(user)
        assert {(k, n, p, op) for k, n, p, op in acls if k == "topic"} == {
            ("topic", "kinerja.public.performance.v1", "literal", "Read"),
            ("topic", "kinerja.public.performance.v1", "literal", "Describe"),
        }
        assert {(k, n, p) for k, n, p, _ in acls if k == "group"} == {("group", f"{name}.", "prefix")}
        assert not [a for a in acls if a[3] in ("Write", "All", "Alter", "Delete")]


def test_workers_scale_on_lag_up_to_the_partitions_they_consume(manifests: list[Doc]) -> None:
    scaled = {d["spec"]["scaleTargetRef"]["name"]: d for d in _kind(manifests, "ScaledObject")}
    for svc in SERVICES:
        consumed = [t for t in TOPICS if svc in t.consumers]
        name = f"kinerja-{svc}-worker"
        deployment = _named(manifests, "Deployment", name)
        if not consumed:
            assert name not in scaled
            continue
        so = scaled[name]["spec"]
        assert so["minReplicaCount"] >= 1
        assert so["maxReplicaCount"] <= min(t.partitions for t in consumed)
        assert deployment["spec"]["replicas"] <= so["maxReplicaCount"]
        triggers = so["triggers"]
        assert {t["metadata"]["topic"] for t in triggers} == {t.name for t in consumed}
        for trig in triggers:
            assert trig["type"] == "kafka"
            assert trig["metadata"]["consumerGroup"] == svc
            assert trig["metadata"]["allowIdleConsumers"] == "false"
            auth = _named(manifests, "TriggerAuthentication", trig["authenticationRef"]["name"])
            assert auth["spec"]["secretTargetRef"][0]["name"] == f"kinerja-{svc}"
            assert BY_NAME[trig["metadata"]["topic"]].partitions >= so["maxReplicaCount"]


@pytest.mark.parametrize("svc", SERVICES)
@pytest.mark.parametrize("role", ["api", "worker"])
def test_each_deployment_has_probes_limits_pdb_and_network_policy(manifests: list[Doc], svc: str, role: str) -> None:
    dep = _named(manifests, "Deployment", f"kinerja-{svc}-{role}")
    pod = dep["spec"]["template"]["spec"]
    [c] = pod["containers"]
    assert c["args"] == [role]
    assert c["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert c["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert c["startupProbe"]["httpGet"]["path"] == "/health/live"
    for kind in ("requests", "limits"):
        assert c["resources"][kind]["memory"], kind
    assert c["resources"]["requests"]["cpu"]
    sc = c["securityContext"]
    assert sc["runAsNonRoot"] and sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"]
    assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]
    assert dep["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    labels = dep["spec"]["selector"]["matchLabels"]
    pdbs = [p for p in _kind(manifests, "PodDisruptionBudget") if p["spec"]["selector"]["matchLabels"] == labels]
    assert len(pdbs) == 1
    policies = [
        n
        for n in _kind(manifests, "NetworkPolicy")
        if all(labels.get(k) == v for k, v in n["spec"]["podSelector"]["matchLabels"].items())
    ]
    assert policies and set(policies[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    services = [s for s in _kind(manifests, "Service") if s["spec"]["selector"] == labels]
    assert len(services) == 1


@pytest.mark.parametrize("svc", SERVICES)
def test_env_is_what_the_settings_read_and_secrets_come_by_reference(manifests: list[Doc], svc: str) -> None:
    dep = _named(manifests, "Deployment", f"kinerja-{svc}-api")
    env = {e["name"]: e for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
    for name in (
        "DATABASE_URL",
        "MIGRATION_DATABASE_URL",
        "KAFKA_BOOTSTRAP_SERVERS",
        "KAFKA_SECURITY_PROTOCOL",
        "KAFKA_SASL_MECHANISM",
        "KAFKA_SASL_USERNAME",
        "KAFKA_SASL_PASSWORD",
        "HTTP_PORT",
        "WORKER_HTTP_PORT",
        "ROOT_PATH",
        "JWT_JWKS_URL",
        "JWT_ISSUER",
        "JWT_AUDIENCE",
        "KINERJA_ENV",
    ):
        assert name in env, name
    assert env["KINERJA_ENV"]["value"] == "production"
    for secret in ("KAFKA_SASL_PASSWORD", "DB_PASSWORD", "DB_OWNER_PASSWORD"):
        assert "secretKeyRef" in env[secret]["valueFrom"], secret
    assert env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == env["KAFKA_SASL_USERNAME"]["value"]
    # the settings class accepts exactly this environment in production (placeholders for the references)
    resolved: dict[str, str] = {}
    for name, e in env.items():
        value = e.get("value", f"ref-{name.lower()}")
        resolved[name] = re.sub(r"\$\((\w+)\)", lambda m: resolved[m.group(1)], value)
    with mock.patch.dict(os.environ, resolved, clear=True):
        settings = service_settings_class(svc)()
    assert settings.environment == "production"
    assert settings.kafka.sasl_username == f"kinerja-{svc}" and settings.kafka.sasl_password
    assert settings.kafka.client_kwargs()["sasl_mechanism"] == "SCRAM-SHA-512"
    assert settings.database_url.startswith(f"postgresql://kinerja_{svc}:")
    assert settings.migration_database_url.startswith(f"postgresql://kinerja_{svc}_owner:")
    assert settings.root_path == f"/{svc}" and settings.http_host == "0.0.0.0"
    assert settings.jwt_jwks_url


def test_no_secret_values_are_committed(manifests: list[Doc]) -> None:
    assert not _kind(manifests, "Secret")
    text = "\n".join(
        (K8S / "base" / p).read_text()
        for p in yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())["resources"]
    )
    assert not re.search(r"(?i)password:\s*\S", text.replace("password: {}", ""))


def test_postgres_has_a_database_owner_and_app_role_per_service_and_backups(manifests: list[Doc]) -> None:
    [cluster] = _kind(manifests, "Cluster")
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    dbs = {d["spec"]["name"]: d for d in _kind(manifests, "Database")}
    for svc in SERVICES:
        db = dbs[f"kinerja_{svc}"]
        assert (
            db["spec"]["owner"] == f"kinerja_{svc}_owner"
            and db["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
        )
        assert f"kinerja_{svc}_owner" in roles
        app = roles[f"kinerja_{svc}"]
        assert app["login"] and not app.get("superuser") and not app.get("bypassrls")
        assert app["passwordSecret"]["name"] == f"kinerja-{svc}-db"
    assert cluster["spec"]["instances"] >= 3
    assert cluster["spec"]["backup"]["barmanObjectStore"]["destinationPath"].startswith("s3://")
    [backup] = _kind(manifests, "ScheduledBackup")
    assert backup["spec"]["cluster"]["name"] == cluster["metadata"]["name"]


def test_ingress_routes_each_service_under_its_root_path(manifests: list[Doc]) -> None:
    paths = {}
    for ing in _kind(manifests, "Ingress"):
        for rule in ing["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                paths[p["path"]] = p["backend"]["service"]["name"]
    assert paths == {f"/{s}": f"kinerja-{s}-api" for s in SERVICES}
