"""Render deploy/k8s/base/ from the code's own registries: `uv run python deploy/k8s/generate.py [--check]`.

Why a Python renderer (plain manifests + a kustomization) rather than a Helm chart: the KafkaTopics, KafkaUser
ACLs and KEDA triggers must come from `kinerja_shared.topics` (one source of truth), which a template language
cannot import; the output is plain YAML that `kubectl apply -k` (kustomize is built into kubectl) deploys and that
overlays patch per environment, with no chart engine in CI. `--check` fails when the committed files differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from kinerja_shared import acls
from kinerja_shared.topics import Topic, all_topic_specs

BASE = Path(__file__).resolve().parent / "base"
NAMESPACE = "kinerja"
KAFKA_CLUSTER = "kinerja"
KAFKA_VERSION = "4.3.1"  # newest that Strimzi 1.2 runs; the client protocol is the one the local 4.4 broker speaks
KAFKA_METADATA_VERSION = "4.3-IV0"
KAFKA_BOOTSTRAP = f"{KAFKA_CLUSTER}-kafka-bootstrap:9092"
PG_CLUSTER = "kinerja-pg"
PG_HOST = f"{PG_CLUSTER}-rw"
IMAGE = "registry.example.go.id/kinerja/kinerja-{svc}"
IMAGE_TAG = "0.1.0"
HOST = "kinerja.example.go.id"
REPLICATION = 3
MIN_INSYNC = 2
SERVICES = ("activity", "evaluation", "feedback", "notify")
API_PORT = 8000
WORKER_PORT = 8001
WORKER_MAX_REPLICAS = 6  # ≤ partitions of every consumed topic (checked below and in tests/deploy)
LAG_THRESHOLD = 500  # records behind per replica before KEDA adds one: about one batch
# an outside agency reading the public topic; add one entry per agency (docs/operations.md)
AGENCIES = acls.AGENCIES

LABELS = {"app.kubernetes.io/part-of": "kinerja"}


def _meta(name: str, component: str | None = None, **labels: str) -> dict[str, Any]:
    lab = dict(LABELS)
    if component:
        lab["app.kubernetes.io/name"] = component
    lab.update(labels)
    return {"name": name, "namespace": NAMESPACE, "labels": lab}


# ---------------------------------------------------------------------------------------------------- Kafka
def k8s_topic_name(topic: str) -> str:
    """KafkaTopic metadata.name: DNS-1123, so dots stay (allowed) and nothing else needs changing."""
    return topic.replace("_", "-").lower()


def kafka_topics() -> list[dict[str, Any]]:
    docs = []
    for t in all_topic_specs():
        docs.append(
            {
                "apiVersion": "kafka.strimzi.io/v1",
                "kind": "KafkaTopic",
                "metadata": _meta(k8s_topic_name(t.name), None, **{"strimzi.io/cluster": KAFKA_CLUSTER})
                | {"annotations": {"kinerja.id/owner": t.owner, "kinerja.id/description": t.description}},
                "spec": {
                    "topicName": t.name,
                    "partitions": t.partitions,
                    "replicas": REPLICATION,
                    "config": t.config() | {"min.insync.replicas": str(MIN_INSYNC)},
                },
            }
        )
    return docs


def consumed(svc: str) -> list[Topic]:
    return acls.consumed(svc)


def kafka_users() -> list[dict[str, Any]]:
    def user(name: str, acls: list[dict[str, Any]], component: str) -> dict[str, Any]:
        return {
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaUser",
            "metadata": _meta(name, component, **{"strimzi.io/cluster": KAFKA_CLUSTER}),
            "spec": {
                # the User Operator writes the password to a Secret of the same name (key "password")
                "authentication": {"type": "scram-sha-512"},
                "authorization": {"type": "simple", "acls": acls},
            },
        }

    # one ACL model for Strimzi, the local SASL broker and its tests: kinerja_shared.acls
    return [user(u.name, u.strimzi_acls(), u.component) for u in acls.users(AGENCIES)]


def kafka_cluster() -> list[dict[str, Any]]:
    pool_labels = {"strimzi.io/cluster": KAFKA_CLUSTER}

    def pool(name: str, roles: list[str], size: str, cpu: str, mem: str) -> dict[str, Any]:
        return {
            "apiVersion": "kafka.strimzi.io/v1",
            "kind": "KafkaNodePool",
            "metadata": _meta(name, "kafka", **pool_labels),
            "spec": {
                "replicas": 3,
                "roles": roles,
                "storage": {
                    "type": "jbod",
                    "volumes": [
                        {
                            "id": 0,
                            "type": "persistent-claim",
                            "size": size,
                            "deleteClaim": False,
                            "kraftMetadata": "shared",
                        }
                    ],
                },
                "resources": {"requests": {"cpu": cpu, "memory": mem}, "limits": {"memory": mem}},
            },
        }

    kafka = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "Kafka",
        "metadata": _meta(KAFKA_CLUSTER, "kafka"),
        "spec": {
            "kafka": {
                "version": KAFKA_VERSION,
                "metadataVersion": KAFKA_METADATA_VERSION,
                "listeners": [
                    # in-cluster clients: SCRAM over plain TCP, reachable only as the NetworkPolicies allow
                    {
                        "name": "scram",
                        "port": 9092,
                        "type": "internal",
                        "tls": False,
                        "authentication": {"type": "scram-sha-512"},
                    },
                    # other agencies from outside: SCRAM over TLS
                    {
                        "name": "external",
                        "port": 9094,
                        "type": "loadbalancer",
                        "tls": True,
                        "authentication": {"type": "scram-sha-512"},
                    },
                ],
                "authorization": {"type": "simple"},
                "config": {
                    "default.replication.factor": REPLICATION,
                    "min.insync.replicas": MIN_INSYNC,
                    "offsets.topic.replication.factor": REPLICATION,
                    "transaction.state.log.replication.factor": REPLICATION,
                    "transaction.state.log.min.isr": MIN_INSYNC,
                    "auto.create.topics.enable": False,  # topics come only from the registry (KafkaTopic)
                    "group.initial.rebalance.delay.ms": 3000,
                },
            },
            "entityOperator": {
                "topicOperator": {
                    "resources": {"requests": {"cpu": "50m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}}
                },
                "userOperator": {
                    "resources": {"requests": {"cpu": "50m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}}
                },
            },
            "kafkaExporter": {"topicRegex": "kinerja\\..*", "groupRegex": ".*"},
        },
    }
    return [
        pool("controller", ["controller"], "20Gi", "250m", "1Gi"),
        pool("broker", ["broker"], "100Gi", "500m", "4Gi"),
        kafka,
    ]


# ---------------------------------------------------------------------------------------------------- PostgreSQL
def postgres() -> list[dict[str, Any]]:
    roles = []
    for s in SERVICES:
        roles.append(
            {
                "name": f"kinerja_{s}_owner",
                "login": True,
                "comment": f"owns kinerja_{s}; runs its migrations",
                "passwordSecret": {"name": f"kinerja-{s}-db-owner"},
            }
        )
        roles.append(
            {
                "name": f"kinerja_{s}",
                "login": True,
                "comment": f"{s} service at run time: DML only, row-level security applies",
                "passwordSecret": {"name": f"kinerja-{s}-db"},
                "bypassrls": False,
                "superuser": False,
                "createdb": False,
            }
        )
    cluster = {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": _meta(PG_CLUSTER, "postgresql"),
        "spec": {
            "instances": 3,
            "imageName": "ghcr.io/cloudnative-pg/postgresql:15",
            "primaryUpdateStrategy": "unsupervised",
            "enablePDB": True,
            "storage": {"size": "50Gi"},
            "walStorage": {"size": "10Gi"},
            "postgresql": {"parameters": {"max_connections": "300", "shared_buffers": "512MB"}},
            "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "2Gi"}},
            "managed": {"roles": roles},
            "monitoring": {"enablePodMonitor": True},
            "backup": {
                "retentionPolicy": "30d",
                "barmanObjectStore": {
                    "destinationPath": "s3://kinerja-backup/postgres",
                    "s3Credentials": {
                        "accessKeyId": {"name": "kinerja-pg-backup", "key": "ACCESS_KEY_ID"},
                        "secretAccessKey": {"name": "kinerja-pg-backup", "key": "SECRET_ACCESS_KEY"},
                    },
                    "wal": {"compression": "gzip"},
                    "data": {"compression": "gzip"},
                },
            },
        },
    }
    databases = [
        {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "Database",
            "metadata": _meta(f"kinerja-{s}", s),
            "spec": {
                "cluster": {"name": PG_CLUSTER},
                "name": f"kinerja_{s}",
                "owner": f"kinerja_{s}_owner",
                "ensure": "present",
                "databaseReclaimPolicy": "retain",
                "encoding": "UTF8",
            },
        }
        for s in SERVICES
    ]
    backup = {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "ScheduledBackup",
        "metadata": _meta(f"{PG_CLUSTER}-daily", "postgresql"),
        "spec": {
            "schedule": "0 0 18 * * *",  # 01:00 WIB: six-field cron (seconds first), in UTC
            "backupOwnerReference": "self",
            "cluster": {"name": PG_CLUSTER},
            "method": "barmanObjectStore",
            "immediate": True,
        },
    }
    return [cluster, *databases, backup]


# ---------------------------------------------------------------------------------------------------- services
def _env(svc: str, role: str) -> list[dict[str, Any]]:
    db = f"{PG_HOST}:5432/kinerja_{svc}"
    env: list[dict[str, Any]] = [
        {"name": "KINERJA_ENV", "value": "production"},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": f"kinerja-{svc}-db", "key": "password"}}},
        {
            "name": "DB_OWNER_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": f"kinerja-{svc}-db-owner", "key": "password"}},
        },
        # $(VAR) expands the secrets above; passwords must be URL-safe (docs/operations.md)
        {"name": "DATABASE_URL", "value": f"postgresql://kinerja_{svc}:$(DB_PASSWORD)@{db}"},
        {"name": "MIGRATION_DATABASE_URL", "value": f"postgresql://kinerja_{svc}_owner:$(DB_OWNER_PASSWORD)@{db}"},
        {"name": "KAFKA_BOOTSTRAP_SERVERS", "value": KAFKA_BOOTSTRAP},
        {"name": "KAFKA_SECURITY_PROTOCOL", "value": "SASL_PLAINTEXT"},
        {"name": "KAFKA_SASL_MECHANISM", "value": "SCRAM-SHA-512"},
        {"name": "KAFKA_SASL_USERNAME", "value": f"kinerja-{svc}"},
        {"name": "KAFKA_SASL_PASSWORD", "valueFrom": {"secretKeyRef": {"name": f"kinerja-{svc}", "key": "password"}}},
        {"name": "HTTP_HOST", "value": "0.0.0.0"},  # noqa: S104 - inside the pod; NetworkPolicy decides who reaches it
        {"name": "HTTP_PORT", "value": str(API_PORT)},
        {"name": "WORKER_HTTP_PORT", "value": str(WORKER_PORT)},
        {"name": "ROOT_PATH", "value": f"/{svc}"},
        {"name": "LOG_LEVEL", "value": "INFO"},
    ]
    for key in ("JWT_JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE"):
        env.append({"name": key, "valueFrom": {"configMapKeyRef": {"name": "kinerja-auth", "key": key}}})
    return env


def _container(svc: str, role: str) -> dict[str, Any]:
    port = API_PORT if role == "api" else WORKER_PORT
    probe = {"httpGet": {"path": "/health/live", "port": "http"}, "periodSeconds": 10, "timeoutSeconds": 2}
    return {
        "name": role,
        "image": f"{IMAGE.format(svc=svc)}:{IMAGE_TAG}",
        "imagePullPolicy": "IfNotPresent",
        "args": [role],
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "env": _env(svc, role),
        # live: the process answers (never restarted for a broker outage); ready: PostgreSQL + Kafka (+ workers)
        "startupProbe": probe | {"failureThreshold": 30, "periodSeconds": 2},  # migrations run at start
        "livenessProbe": probe | {"failureThreshold": 3},
        "readinessProbe": {
            "httpGet": {"path": "/health/ready", "port": "http"},
            "periodSeconds": 5,
            "timeoutSeconds": 3,  # the app answers within 2 s with what failed
            "failureThreshold": 2,
        },
        "resources": {
            "requests": {"cpu": "100m" if role == "api" else "200m", "memory": "256Mi"},
            "limits": {"cpu": "1", "memory": "512Mi"},
        },
        "lifecycle": {"preStop": {"sleep": {"seconds": 5}}},  # let endpoints drop the pod before SIGTERM
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 - an emptyDir, not the image's
    }


def _deployment(svc: str, role: str, replicas: int) -> dict[str, Any]:
    name = f"kinerja-{svc}-{role}"
    sel = {"app.kubernetes.io/name": svc, "app.kubernetes.io/component": role}
    container = _container(svc, role)
    volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}]
    if svc == "activity":
        # evidence uploads outlive pods and are shared by every API replica
        container["volumeMounts"].append({"name": "evidence", "mountPath": "/var/lib/kinerja"})
        volumes.append({"name": "evidence", "persistentVolumeClaim": {"claimName": "kinerja-activity-evidence"}})
    pod_spec: dict[str, Any] = {
        "automountServiceAccountToken": False,
        "terminationGracePeriodSeconds": 60,  # preStop 5 s + uvicorn 20 s + workers finish their batch (30 s)
        "securityContext": {"runAsNonRoot": True, "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": volumes,
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": sel},
            }
        ],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(name, svc, **{"app.kubernetes.io/component": role}),
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": sel},
            # zero downtime: a new pod must be ready before an old one goes
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {
                    "labels": LABELS | sel,
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(API_PORT if role == "api" else WORKER_PORT),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": pod_spec,
            },
        },
    }


def _service(svc: str, role: str) -> dict[str, Any]:
    port = API_PORT if role == "api" else WORKER_PORT
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(f"kinerja-{svc}-{role}", svc, **{"app.kubernetes.io/component": role}),
        "spec": {
            "selector": {"app.kubernetes.io/name": svc, "app.kubernetes.io/component": role},
            "ports": [{"name": "http", "port": 80 if role == "api" else port, "targetPort": "http"}],
        },
    }


def _pdb(svc: str, role: str) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta(f"kinerja-{svc}-{role}", svc, **{"app.kubernetes.io/component": role}),
        "spec": {
            "maxUnavailable": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": svc, "app.kubernetes.io/component": role}},
        },
    }


def _hpa(svc: str) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _meta(f"kinerja-{svc}-api", svc, **{"app.kubernetes.io/component": "api"}),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"kinerja-{svc}-api"},
            "minReplicas": 2,
            "maxReplicas": 6,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
        },
    }


def _keda(svc: str) -> list[dict[str, Any]]:
    topics = consumed(svc)
    if not topics:
        return []
    max_replicas = min(WORKER_MAX_REPLICAS, *(t.partitions for t in topics))
    auth = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": _meta(f"kinerja-{svc}-kafka", svc),
        "spec": {
            "secretTargetRef": [
                {"parameter": "password", "name": f"kinerja-{svc}", "key": "password"},
            ],
        },
    }
    triggers = [
        {
            "type": "kafka",
            "name": f"lag-{k8s_topic_name(t.name)}",
            "metadata": {
                "bootstrapServers": KAFKA_BOOTSTRAP,
                "consumerGroup": svc,
                "topic": t.name,
                "lagThreshold": str(LAG_THRESHOLD),
                "activationLagThreshold": "0",
                "offsetResetPolicy": "earliest",
                "allowIdleConsumers": "false",  # never more consumers than partitions
                "sasl": "scram_sha512",
                "username": f"kinerja-{svc}",
                "tls": "disable",
            },
            "authenticationRef": {"name": f"kinerja-{svc}-kafka"},
        }
        for t in topics
    ]
    scaled = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": _meta(f"kinerja-{svc}-worker", svc, **{"app.kubernetes.io/component": "worker"}),
        "spec": {
            "scaleTargetRef": {"name": f"kinerja-{svc}-worker"},
            "minReplicaCount": 1,  # the outbox relay and retries must always run
            "maxReplicaCount": max_replicas,
            "pollingInterval": 15,
            "cooldownPeriod": 300,
            "advanced": {
                "horizontalPodAutoscalerConfig": {
                    # scale in slowly: every rebalance pauses the group for a moment
                    "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}}
                }
            },
            "triggers": triggers,
        },
    }
    return [auth, scaled]


def _network_policy(svc: str) -> dict[str, Any]:
    monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ingress_ctl = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    egress: list[dict[str, Any]] = [
        {
            "to": [{"podSelector": {"matchLabels": {"cnpg.io/cluster": PG_CLUSTER}}}],
            "ports": [{"port": 5432, "protocol": "TCP"}],
        },
        {
            "to": [{"podSelector": {"matchLabels": {"strimzi.io/cluster": KAFKA_CLUSTER}}}],
            "ports": [{"port": 9092, "protocol": "TCP"}],
        },
        {
            "to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        },
        # the IdP's JWKS (and, for notify, webhook receivers) over HTTPS
        {"ports": [{"port": 443, "protocol": "TCP"}]},
    ]
    if svc == "notify":
        egress.append({"ports": [{"port": 587, "protocol": "TCP"}, {"port": 465, "protocol": "TCP"}]})  # SMTP
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(f"kinerja-{svc}", svc),
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": svc}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {"from": [ingress_ctl, monitoring], "ports": [{"port": API_PORT, "protocol": "TCP"}]},
                {"from": [monitoring], "ports": [{"port": WORKER_PORT, "protocol": "TCP"}]},
            ],
            "egress": egress,
        },
    }


def _ingress(svc: str) -> dict[str, Any]:
    annotations = {"nginx.ingress.kubernetes.io/proxy-body-size": "20m"}
    if svc in ("notify", "activity"):
        annotations |= {  # live streams (SSE): no buffering, long reads
            "nginx.ingress.kubernetes.io/proxy-buffering": "off",
            "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
        }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": _meta(f"kinerja-{svc}", svc) | {"annotations": annotations},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": [HOST], "secretName": "kinerja-tls"}],
            "rules": [
                {
                    "host": HOST,
                    "http": {
                        "paths": [
                            {
                                "path": f"/{svc}",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": f"kinerja-{svc}-api", "port": {"name": "http"}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def service_docs(svc: str) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    if svc == "activity":
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": _meta("kinerja-activity-evidence", svc),
                "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "50Gi"}}},
            }
        )
    # a worker without consumers (feedback) only relays its outbox: two pods, one active, one on standby
    worker_replicas = 1 if consumed(svc) else 2
    docs += [
        _deployment(svc, "api", 2),
        _deployment(svc, "worker", worker_replicas),
        _service(svc, "api"),
        _service(svc, "worker"),
        _pdb(svc, "api"),
        _pdb(svc, "worker"),
        _hpa(svc),
        *_keda(svc),
        _network_policy(svc),
        _ingress(svc),
    ]
    return docs


def namespace() -> list[dict[str, Any]]:
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": dict(LABELS)}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta("kinerja-auth"),
            "data": {
                "JWT_JWKS_URL": "https://sso.example.go.id/realms/kinerja/protocol/openid-connect/certs",
                "JWT_ISSUER": "https://sso.example.go.id/realms/kinerja",
                "JWT_AUDIENCE": "kinerja",
            },
        },
    ]


def render() -> dict[str, list[dict[str, Any]]]:
    """File name → documents."""
    for svc in SERVICES:
        for t in consumed(svc):
            if WORKER_MAX_REPLICAS > t.partitions:
                raise SystemExit(f"{svc}: WORKER_MAX_REPLICAS exceeds the partitions of {t.name}")
    files = {
        "namespace.yaml": namespace(),
        "kafka.yaml": kafka_cluster(),
        "kafka-topics.yaml": kafka_topics(),
        "kafka-users.yaml": kafka_users(),
        "postgres.yaml": postgres(),
    }
    for svc in SERVICES:
        files[f"{svc}.yaml"] = service_docs(svc)
    return files


HEADER = "# GENERATED by deploy/k8s/generate.py from kinerja_shared.topics; edit the generator, not this file.\n"


def dump(docs: list[dict[str, Any]]) -> str:
    return HEADER + "---\n".join(yaml.safe_dump(d, sort_keys=False, width=120) for d in docs)


def outputs() -> dict[str, str]:
    files = {name: dump(docs) for name, docs in render().items()}
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": NAMESPACE,
        "resources": list(files),
        "images": [{"name": IMAGE.format(svc=s), "newTag": IMAGE_TAG} for s in SERVICES],
    }
    files["kustomization.yaml"] = HEADER + yaml.safe_dump(kustomization, sort_keys=False)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if deploy/k8s/base differs from the generator")
    args = parser.parse_args()
    files = outputs()
    if args.check:
        stale = [n for n, text in files.items() if not (BASE / n).exists() or (BASE / n).read_text() != text]
        extra = sorted({p.name for p in BASE.glob("*.yaml")} - set(files))
        if stale or extra:
            sys.exit(f"deploy/k8s/base is stale: {', '.join(stale + extra)}; run uv run python deploy/k8s/generate.py")
        return
    BASE.mkdir(parents=True, exist_ok=True)
    for p in BASE.glob("*.yaml"):
        if p.name not in files:
            p.unlink()
    for name, text in files.items():
        (BASE / name).write_text(text)
    print(f"wrote {len(files)} files to {BASE}")  # noqa: T201 - a CLI


if __name__ == "__main__":
    main()
