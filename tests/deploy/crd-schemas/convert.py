"""Turn a CRD's openAPIV3Schema into a strict JSON Schema (descriptions dropped, unknown fields refused)."""

import json
import pathlib
import sys

import yaml


def strict(node):
    if isinstance(node, dict):
        node.pop("description", None)
        for k in list(node):
            if k == "x-kubernetes-validations":
                node.pop(k)
        if (
            "properties" in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
            and "additionalProperties" not in node
        ):
            node["additionalProperties"] = False
        for k, v in node.items():
            if k == "properties":
                for p in v.values():
                    strict(p)
            else:
                strict(v)
    elif isinstance(node, list):
        for x in node:
            strict(x)


out = pathlib.Path(sys.argv[1])
for f in sys.argv[2:]:
    crd = yaml.safe_load(open(f))
    g, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    for v in crd["spec"]["versions"]:
        if not v.get("served"):
            continue
        s = v["schema"]["openAPIV3Schema"]
        strict(s)
        # apiVersion/kind/metadata are checked by the test itself
        s.setdefault("properties", {})
        for k in ("apiVersion", "kind", "metadata"):
            s["properties"].setdefault(k, {"type": "object"} if k == "metadata" else {"type": "string"})
        name = f"{kind.lower()}-{g.split('.')[0]}-{v['name']}.json"
        (out / name).write_text(json.dumps(s, separators=(",", ":"), sort_keys=True))
        print(name, g, v["name"])  # noqa: T201 - a script
