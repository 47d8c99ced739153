"""Who may call each HTTP route: every route declares a policy, and tests enforce that none is missing.

A policy is carried by the route's auth dependency: `require_roles(...)` (those roles), `CurrentPrincipal`
(any signed-in user), `OptionalPrincipal` or `public(...)` (no account needed). Relations such as "direct
superior of" are declared here for the record and docs, and enforced in the use case where the data is.
Tenant scope is enforced twice: by the use case (regency of the caller) and by row-level security.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute


class Scope(StrEnum):
    """Which tenants a route's data may come from."""

    NONE = "none"  # not tenant data (public pages of a unit, health)
    OWN = "own"  # the caller's regency only
    PROVINCE = "province"  # province roles: every regency of their province (read-only)


@dataclass(frozen=True, slots=True)
class Policy:
    """Roles admitted (None = public), the relation checked in the use case, and the tenant scope."""

    roles: frozenset[str] | None
    relation: str | None = None
    scope: Scope = Scope.OWN
    note: str = ""

    @property
    def public(self) -> bool:
        return self.roles is None

    def admits(self, roles: frozenset[str]) -> bool:
        return self.roles is None or bool(self.roles & roles)


ATTR: Final = "__kinerja_policy__"


def declare(fn: Callable[..., Any], policy: Policy) -> Callable[..., Any]:
    setattr(fn, ATTR, policy)
    return fn


def public(note: str) -> Any:
    """A dependency declaring a route open to anyone (citizens have no account); `note` says why."""
    from fastapi import Depends

    async def _public() -> None:
        return None

    declare(_public, Policy(roles=None, scope=Scope.NONE, note=note))
    return Depends(_public)


def _policies(dep: Dependant) -> Iterator[Policy]:
    p = getattr(dep.call, ATTR, None)
    if isinstance(p, Policy):
        yield p
    for sub in dep.dependencies:
        yield from _policies(sub)


@dataclass(frozen=True, slots=True)
class RoutePolicy:
    method: str
    path: str
    name: str
    policy: Policy | None  # None: undeclared (a test fails)


def _api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) for every API route, also inside included routers (FastAPI ≥ 0.160 keeps them lazy)."""
    for route in app.routes:
        if isinstance(route, APIRoute):
            yield route.path, route
        elif hasattr(route, "effective_route_contexts"):
            for ctx in route.effective_route_contexts():
                r = ctx.starlette_route if isinstance(ctx.starlette_route, APIRoute) else ctx.original_route
                if isinstance(r, APIRoute):
                    yield ctx.path or r.path, r


def _combine(policies: list[Policy]) -> Policy:
    """Several restricting dependencies on one route all apply: the roles they all admit, the first relation."""
    roles = frozenset.intersection(*(p.roles for p in policies if p.roles is not None))
    relation = next((p.relation for p in policies if p.relation), None)
    return Policy(roles=roles, relation=relation, scope=policies[0].scope, note=policies[0].note)


def route_policies(app: FastAPI) -> list[RoutePolicy]:
    """Every API route of `app` with the policy it declares (all restricting dependencies combined)."""
    out = []
    for path, route in _api_routes(app):
        found = list(_policies(route.dependant))
        restricted = [p for p in found if not p.public]
        policy = _combine(restricted) if restricted else (found[0] if found else None)
        for method in sorted(route.methods or ()):
            out.append(RoutePolicy(method, path, route.name, policy))
    return out
