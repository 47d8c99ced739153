"""Backward compatibility of event schemas: can a consumer built on the old schema read the new events?"""

from __future__ import annotations

import json
from typing import Any

_NOISE = {"description", "title", "examples", "default"}


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = root.get("$defs", {})[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _expand(root: dict[str, Any], node: Any) -> Any:
    """The node with every $ref replaced by its definition and descriptive keys dropped."""
    if isinstance(node, dict):
        node = _resolve(root, node)
        return {k: _expand(root, v) for k, v in node.items() if k not in _NOISE}
    if isinstance(node, list):
        return [_expand(root, v) for v in node]
    return node


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in `new` an old consumer (validating with `old`) would reject or misread; empty means compatible.

    Rules: a field the old schema requires must stay, and stay required; a field's type and constraints may
    not change; an enum may not gain values (old consumers reject them). Optional fields may be added.
    """
    return _compare(old, old, new, new, "")


def _compare(oroot: dict[str, Any], onode: Any, nroot: dict[str, Any], nnode: Any, path: str) -> list[str]:
    o, n = _resolve(oroot, onode), _resolve(nroot, nnode)
    where = path or "<root>"
    if "enum" in o and "enum" in n:
        added = {json.dumps(v) for v in n["enum"]} - {json.dumps(v) for v in o["enum"]}
        return [f"{where}: enum gained {sorted(added)}"] if added else []
    if o.get("type") == "object" and n.get("type") == "object" and "properties" in o:
        problems: list[str] = []
        o_req, n_req = set(o.get("required", [])), set(n.get("required", []))
        n_props = n.get("properties", {})
        for name, child in o["properties"].items():
            p = f"{path}.{name}" if path else name
            if name not in n_props:
                if name in o_req:
                    problems.append(f"{p}: required field removed")
                continue
            if name in o_req and name not in n_req:
                problems.append(f"{p}: was required, now optional (old consumers need it)")
            problems += _compare(oroot, child, nroot, n_props[name], p)
        return problems
    if o.get("type") == "array" and n.get("type") == "array" and "items" in o and "items" in n:
        rest = {k: v for k, v in o.items() if k != "items"}, {k: v for k, v in n.items() if k != "items"}
        head = [] if _expand(oroot, rest[0]) == _expand(nroot, rest[1]) else [f"{where}: type or constraints changed"]
        return head + _compare(oroot, o["items"], nroot, n["items"], f"{path}[]")
    for combo in ("anyOf", "oneOf"):
        if combo in o and combo in n and len(o[combo]) == len(n[combo]):
            return [p for a, b in zip(o[combo], n[combo], strict=True) for p in _compare(oroot, a, nroot, b, path)]
    if _expand(oroot, o) != _expand(nroot, n):
        return [f"{where}: type or constraints changed"]
    return []
