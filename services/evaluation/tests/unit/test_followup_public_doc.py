"""The AsyncAPI document for outside agencies is derived from the registry and valid AsyncAPI 3.0; it names only
public topics and no identifying field.

Regenerate after changing kinerja_shared/contracts/public.py:
    uv run python -c "import json, pathlib, kinerja_shared.contracts; from kinerja_shared.contracts.schema import \\
public_asyncapi_document as d; pathlib.Path('docs/asyncapi/public-performance.json').write_text(json.dumps(d(), \\
indent=2, sort_keys=True, ensure_ascii=False) + '\\n')"
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema

import kinerja_shared.contracts  # noqa: F401 - registers every type
from kinerja_shared.contracts.schema import public_asyncapi_document

DOC = Path(__file__).resolve().parents[4] / "docs" / "asyncapi" / "public-performance.json"
ASYNCAPI = Path(str(resources.files("kinerja_shared") / "static" / "vendor" / "asyncapi-3.0.0.json"))


def test_public_document_is_current_and_valid_asyncapi() -> None:
    doc = public_asyncapi_document()
    assert json.loads(DOC.read_text()) == json.loads(json.dumps(doc)), (
        "regenerate docs/asyncapi/public-performance.json"
    )
    jsonschema.Draft7Validator(json.loads(ASYNCAPI.read_text())).validate(doc)
    assert [c["address"] for c in doc["channels"].values()] == ["kinerja.public.performance.v1"]
    assert set(doc["operations"]) == {"receivePerformancePublished"}
    fields = set(doc["components"]["schemas"]["PerformancePublished"]["properties"])
    assert not fields & {"asn_id", "nip", "nik", "name", "nama", "email", "unit_id"}
    assert {"pseudonym", "period", "predikat", "score", "unit_pseudonym", "key_id", "revision"} <= fields
