"""Print the roles-and-policies table of every service's HTTP routes (Markdown), for docs/security.md.

    uv run python tests/security/render_policy_table.py > /tmp/policies.md

Generated from the declared policies (kinerja_shared.policy.route_policies), the same source the route
matrix test enforces, so the document cannot drift from what is checked.
"""

from __future__ import annotations

import importlib
import logging
import sys

import structlog

from kinerja_shared.policy import route_policies
from kinerja_shared.runtime import build_app

SERVICES = ("activity", "evaluation", "feedback", "notify")


def rows(svc: str) -> list[tuple[str, str, str, str, str, str]]:
    definition = importlib.import_module(f"kinerja_{svc}.bootstrap").DEFINITION
    settings_cls = getattr(importlib.import_module(f"kinerja_{svc}.settings"), f"{svc.capitalize()}Settings")
    app = build_app(definition, settings_cls(database_url="postgresql://x@127.0.0.1/x"), worker=False)
    out = []
    for rp in route_policies(app):
        if rp.path.startswith(("/static", "/docs", "/redoc", "/openapi")):
            continue
        p = rp.policy
        if p is None:
            out.append((svc, rp.method, rp.path, "**UNDECLARED**", "", ""))
            continue
        roles = "publik" if p.public else ", ".join(sorted(p.roles or ()))
        out.append((svc, rp.method, rp.path, roles, p.relation or "", p.scope.value))
    return out


def main() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    w = sys.stdout.write
    w("| service | method | path | roles | relation | tenant scope |\n|---|---|---|---|---|---|\n")
    total = 0
    for svc in SERVICES:
        for r in rows(svc):
            total += 1
            w("| " + " | ".join(f"`{c}`" if i == 2 else c for i, c in enumerate(r)) + " |\n")
    w(f"\n{total} routes.\n")


if __name__ == "__main__":
    main()
