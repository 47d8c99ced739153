"""JSON Schema export of every event type and AsyncAPI 3.0 documents per service, from the registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.registry import all_types
from kinerja_shared.topics import BY_NAME, TOPICS

SERVICES = ("activity", "evaluation", "feedback", "notify")

CE_HEADERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0 attributes, Kafka binary content mode",
    "required": ["ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time", "content-type"],
    "properties": {
        "ce_id": {"type": "string", "format": "uuid", "description": "event id; consumers dedupe on it"},
        "ce_source": {"type": "string", "description": "producing service, e.g. /kinerja/activity"},
        "ce_type": {"type": "string", "description": "versioned type, e.g. id.kinerja.activity.reported.v1"},
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string"},
        "ce_regency": {"type": "string", "format": "uuid", "description": "tenant (kabupaten/kota)"},
        "ce_traceparent": {"type": "string", "description": "W3C trace context"},
        "content-type": {"type": "string", "const": "application/json"},
    },
}


def event_json_schema(model: type[Event]) -> dict[str, Any]:
    """Standalone JSON Schema (draft 2020-12) of one event's data, with its CloudEvents type."""
    schema = model.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://kinerja.id/schemas/{model.type}.json"
    schema["x-cloudevents-type"] = model.type
    schema["x-kafka-topic"] = model.topic
    schema["x-kafka-key"] = model.key_field
    return schema


def export_json_schemas(out: Path) -> list[Path]:
    """Write one <type>.json per registered event; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for type_, model in sorted(all_types().items()):
        p = out / f"{type_}.json"
        p.write_text(json.dumps(event_json_schema(model), indent=2, sort_keys=True) + "\n")
        paths.append(p)
    return paths


def _channel_id(topic: str) -> str:
    return topic.replace("kinerja.", "").replace(".", "_")


def asyncapi_document(service: str, *, kafka_host: str = "kafka:9092") -> dict[str, Any]:
    """AsyncAPI 3.0 document of what `service` sends (its sources) and receives (its subscriptions)."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    types = all_types()
    sends = [m for m in types.values() if m.source == f"/kinerja/{service}"]
    consumed_topics = {t.name for t in TOPICS if service in t.consumers}
    receives = [m for m in types.values() if m.topic in consumed_topics]
    models = sorted({*sends, *receives}, key=lambda m: m.type)

    _, defs = models_json_schema([(m, "serialization") for m in models], ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))

    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for m in models:
        name = m.__name__
        messages[name] = {
            "name": m.type,
            "title": name,
            "summary": (m.__doc__ or name).strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/CloudEventHeaders"},
            "payload": {"$ref": f"#/components/schemas/{name}"},
            "bindings": {"kafka": {"key": {"type": "string", "description": f"{m.key_field} (internal UUID)"}}},
        }
        cid = _channel_id(m.topic)
        ch = channels.setdefault(
            cid,
            {
                "address": m.topic,
                "description": BY_NAME[m.topic].description,
                "messages": {},
                "bindings": {"kafka": {"partitions": BY_NAME[m.topic].partitions, "bindingVersion": "0.5.0"}},
            },
        )
        ch["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    for m in sends:
        cid = _channel_id(m.topic)
        operations[f"send{m.__name__}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{cid}"},
            "messages": [{"$ref": f"#/channels/{cid}/messages/{m.__name__}"}],
        }
    for m in receives:
        cid = _channel_id(m.topic)
        operations[f"receive{m.__name__}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{cid}"},
            "messages": [{"$ref": f"#/channels/{cid}/messages/{m.__name__}"}],
            "bindings": {"kafka": {"groupId": {"type": "string", "enum": [service]}, "bindingVersion": "0.5.0"}},
        }
    schemas["CloudEventHeaders"] = CE_HEADERS_SCHEMA
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"Kinerja {service}",
            "version": "1.0.0",
            "description": f"Events the {service} service sends and receives (CloudEvents 1.0, Kafka binary mode).",
        },
        "defaultContentType": "application/json",
        "servers": {"kafka": {"host": kafka_host, "protocol": "kafka", "description": "Apache Kafka (KRaft)"}},
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def public_asyncapi_document(*, kafka_host: str = "kafka.kinerja.example:9093") -> dict[str, Any]:
    """AsyncAPI 3.0 for outside agencies: only the registry's public topics, receive-only, with how to connect.

    Written for readers outside the province (BKN, Bappeda, researchers): no internal topics or services appear.
    """
    public = [t for t in TOPICS if t.public]
    models = sorted((m for m in all_types().values() if BY_NAME[m.topic].public), key=lambda m: m.type)
    _, defs = models_json_schema([(m, "serialization") for m in models], ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(defs.get("$defs", {})) | {"CloudEventHeaders": CE_HEADERS_SCHEMA}
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for t in public:
        cid = _channel_id(t.name)
        channels[cid] = {
            "address": t.name,
            "description": t.description,
            "messages": {},
            "bindings": {
                "kafka": {
                    "partitions": t.partitions,
                    "bindingVersion": "0.5.0",
                    "topicConfiguration": {"retention.ms": t.retention_ms},
                }
            },
        }
    for m in models:
        cid = _channel_id(m.topic)
        messages[m.__name__] = {
            "name": m.type,
            "title": m.__name__,
            "summary": (m.__doc__ or m.__name__).strip().splitlines()[0],
            "description": (m.__doc__ or "").strip(),
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/CloudEventHeaders"},
            "payload": {"$ref": f"#/components/schemas/{m.__name__}"},
            "bindings": {
                "kafka": {
                    "key": {
                        "type": "string",
                        "description": f"{m.key_field}: a keyed pseudonym, never an identifier of a person",
                    }
                }
            },
        }
        channels[cid]["messages"][m.__name__] = {"$ref": f"#/components/messages/{m.__name__}"}
        operations[f"receive{m.__name__}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{cid}"},
            "messages": [{"$ref": f"#/channels/{cid}/messages/{m.__name__}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Kinerja — data kinerja ASN terpseudonimisasi (public performance events)",
            "version": "1.0.0",
            "description": (
                "Final performance results of civil servants (ASN) of the province's regencies, for other "
                "agencies. Each event is one final result (predikat, score, period, kind of work unit) of one "
                "pseudonymous ASN. No NIP, NIK, name, e-mail or internal id is ever included.\n\n"
                "Pseudonyms: HMAC-SHA256 under a secret key, separated per regency (the same person in two "
                "regencies has unrelated pseudonyms). `pseudonym` is stable across periods while `key_id` stays "
                "the same. When a regency rotates its key, `key_id` changes and the regency hands you an old→new "
                "link table for the rotation window. `unit_pseudonym` follows the same rules for work units.\n\n"
                "Corrections: a later event for the same pseudonym and period with a higher `revision` replaces "
                "the earlier one (e.g. after an objection, keberatan, was granted). Deliveries are at least once: "
                "deduplicate on the CloudEvents id (`ce_id`). Events of one pseudonym are ordered (Kafka key).\n\n"
                "Access: read-only Kafka ACLs for your agency's principal (SASL/SCRAM over TLS), or signed webhooks "
                "relayed by the notify service (Standard Webhooks)."
            ),
            "contact": {"name": "BKPSDM / Diskominfo provinsi"},
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": kafka_host,
                "protocol": "kafka-secure",
                "description": "Kafka for agencies: SASL/SCRAM-SHA-512 over TLS, read-only ACLs",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def main(argv: list[str] | None = None) -> None:
    """`python -m kinerja_shared.contracts.schema [schemas_dir] [asyncapi_dir]`: write the published schemas."""
    import sys

    import kinerja_shared.contracts  # noqa: F401 - registers every type

    args = sys.argv[1:] if argv is None else argv
    schemas = Path(args[0] if args else "shared/schemas")
    docs = Path(args[1] if len(args) > 1 else "docs/asyncapi")
    export_json_schemas(schemas)
    docs.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        (docs / f"{service}.json").write_text(json.dumps(asyncapi_document(service), indent=2) + "\n")


if __name__ == "__main__":
    main()
