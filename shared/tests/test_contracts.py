"""Event contracts: JSON Schema export, AsyncAPI 3.0 documents, and compatibility with published schemas."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from kinerja_shared.contracts import all_types
from kinerja_shared.contracts.activity import ActivityReported
from kinerja_shared.contracts.compat import breaking_changes
from kinerja_shared.contracts.evaluation import Aspect, Direction, IndicatorTarget, SkpApproved
from kinerja_shared.contracts.schema import SERVICES, asyncapi_document, event_json_schema
from kinerja_shared.topics import BY_NAME

PUBLISHED = Path(__file__).parents[1] / "schemas"
ASYNCAPI_SCHEMA = Path(str(resources.files("kinerja_shared") / "static" / "vendor" / "asyncapi-3.0.0.json"))


def test_every_type_is_versioned_on_a_known_topic_and_keyed_by_a_uuid() -> None:
    assert len(all_types()) >= 15
    for type_, model in all_types().items():
        assert type_.startswith("id.kinerja.") and type_.rsplit(".", 1)[-1].startswith("v")
        assert model.topic in BY_NAME
        key_schema = model.model_json_schema()["properties"][model.key_field]
        # NIP/NIK never key a message: keys are internal UUIDs (or asn:period / pseudonym for derived topics)
        assert key_schema.get("format") == "uuid" or model.key_field in {"score_key", "pseudonym"}
        assert "nip" not in model.model_fields and "nik" not in model.model_fields


def test_exported_schema_validates_a_real_event_and_rejects_a_bad_one() -> None:
    ev = SkpApproved(
        regency_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        skp_id=uuid.uuid4(),
        asn_id=uuid.uuid4(),
        approver_id=uuid.uuid4(),
        year=2026,
        version=1,
        indicators=(
            IndicatorTarget(
                indicator_id=uuid.uuid4(),
                rhk_id=uuid.uuid4(),
                name="Jumlah pasien terlayani",
                target=Decimal("1200"),
                unit="pasien",
                aspect=Aspect.KUANTITAS,
                direction=Direction.HIGHER_IS_BETTER,
                weight=Decimal("50"),
            ),
        ),
    )
    schema = event_json_schema(SkpApproved)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    validator.validate(json.loads(ev.model_dump_json()))
    bad = json.loads(ev.model_dump_json())
    bad["indicators"][0]["direction"] = "sideways"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(bad)


def test_every_type_has_a_published_schema_and_no_change_breaks_old_consumers() -> None:
    missing = [t for t in all_types() if not (PUBLISHED / f"{t}.json").exists()]
    assert not missing, f"publish new types: uv run python -m kinerja_shared.contracts.schema ({missing})"
    problems = {}
    for type_, model in all_types().items():
        old = json.loads((PUBLISHED / f"{type_}.json").read_text())
        found = breaking_changes(old, event_json_schema(model))
        if found:
            problems[type_] = found
    assert not problems, f"breaking changes; publish a new version (.v2) instead: {problems}"


def test_the_compatibility_check_catches_breaking_changes() -> None:
    old = event_json_schema(ActivityReported)
    removed = copy.deepcopy(old)
    del removed["properties"]["minutes"]
    removed["required"].remove("minutes")
    assert breaking_changes(old, removed) == ["minutes: required field removed"]
    retyped = copy.deepcopy(old)
    retyped["properties"]["minutes"] = {"type": "string"}
    assert breaking_changes(old, retyped) == ["minutes: type or constraints changed"]
    added_optional = copy.deepcopy(old)
    added_optional["properties"]["location"] = {"type": "string"}
    assert breaking_changes(old, added_optional) == []
    old_skp = event_json_schema(SkpApproved)
    wider = copy.deepcopy(old_skp)
    wider["$defs"]["Aspect"]["enum"].append("dampak")
    assert breaking_changes(old_skp, wider) == ["indicators[].aspect: enum gained ['\"dampak\"']"]


@pytest.mark.parametrize("service", SERVICES)
def test_asyncapi_document_is_valid_asyncapi_3(service: str) -> None:
    assert ASYNCAPI_SCHEMA.exists(), "run `npm ci && npm run vendor` (./kinerja install does)"
    schema = json.loads(ASYNCAPI_SCHEMA.read_text())
    doc = asyncapi_document(service)
    jsonschema.Draft7Validator(schema).validate(doc)
    assert doc["asyncapi"] == "3.0.0"
    assert doc["operations"], "every service sends or receives something"


def test_asyncapi_schema_check_can_fail() -> None:
    schema = json.loads(ASYNCAPI_SCHEMA.read_text())
    doc = asyncapi_document("activity")
    doc["operations"]["sendActivityReported"]["action"] = "publish"  # AsyncAPI 2 wording, invalid in 3
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(doc)


def test_dates_in_events_are_iso() -> None:
    ev = ActivityReported(
        regency_id=uuid.uuid4(),
        occurred_at=datetime(2026, 11, 29, 1, 0, tzinfo=UTC),
        activity_id=uuid.uuid4(),
        asn_id=uuid.uuid4(),
        activity_date=date(2026, 11, 29),
        minutes=10,
    )
    body = json.loads(ev.model_dump_json())
    assert body["activity_date"] == "2026-11-29" and body["occurred_at"].startswith("2026-11-29T01:00:00")
