"""What the use cases share: the clock, the unit directory (cached), who may act for a unit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast
from uuid import UUID

import asyncpg

from kinerja_feedback.adapters import postgres as db
from kinerja_feedback.domain.config import RegencyConfig
from kinerja_feedback.domain.errors import Forbidden, InvalidInput
from kinerja_shared.auth import Principal, Role
from kinerja_shared.db import ALL_REGENCIES, tenant_transaction
from kinerja_shared.web import JAKARTA

Clock = Callable[[], datetime]


def jakarta_now() -> datetime:
    return datetime.now(JAKARTA)


@dataclass(frozen=True, slots=True)
class UnitInfo:
    unit_id: UUID
    regency_id: UUID
    name: str
    kind: str
    public_facing: bool
    regency_name: str


class Directory:
    """Units and regency settings, cached briefly: the public survey must not query them on every answer.

    Public pages know only a unit id; the unit's own row (public anyway) is read across tenants to learn its
    regency, and everything after that runs scoped to that regency.
    """

    def __init__(self, pool: asyncpg.Pool, *, ttl_s: float = 30.0, miss_ttl_s: float = 5.0) -> None:
        self._pool = pool
        self._ttl = ttl_s
        self._miss_ttl = miss_ttl_s
        self._units: dict[UUID, tuple[float, UnitInfo | None]] = {}
        self._configs: dict[UUID, tuple[float, RegencyConfig]] = {}
        self._loading: dict[object, asyncio.Future[object]] = {}

    async def _once(self, key: object, load: Callable[[], Awaitable[object]]) -> object:
        """Concurrent misses for one key share one query (a QR code's first burst must not stampede the pool)."""
        pending = self._loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._loading[key] = fut
        try:
            value = await load()
        except BaseException as e:
            fut.set_exception(e)
            fut.exception()  # retrieved: waiters re-raise it, nobody logs "never retrieved"
            raise
        else:
            fut.set_result(value)
            return value
        finally:
            del self._loading[key]

    async def unit(self, unit_id: UUID) -> UnitInfo | None:
        now = time.monotonic()
        hit = self._units.get(unit_id)
        if hit is not None and hit[0] > now:
            return hit[1]

        async def load() -> UnitInfo | None:
            async with tenant_transaction(self._pool, ALL_REGENCIES) as conn:
                row = await db.unit_row(conn, unit_id)
            return None if row is None else UnitInfo(**dict(row))

        info = cast(UnitInfo | None, await self._once(("unit", unit_id), load))
        if len(self._units) > 50_000:
            self._units.clear()
        self._units[unit_id] = (now + (self._ttl if info else self._miss_ttl), info)
        return info

    async def require_unit(self, unit_id: UUID, *, public_facing: bool = False) -> UnitInfo:
        """The unit, or InvalidInput (422) naming `unit_id` when unknown (or not serving citizens when asked)."""
        info = await self.unit(unit_id)
        if info is None:
            raise InvalidInput("Unit layanan tidak dikenal.", field="unit_id", reason="unknown unit")
        if public_facing and not info.public_facing:
            raise InvalidInput(
                "Unit ini tidak melayani masyarakat secara langsung.", field="unit_id", reason="unit not public-facing"
            )
        return info

    async def config(self, regency_id: UUID) -> RegencyConfig:
        now = time.monotonic()
        hit = self._configs.get(regency_id)
        if hit is not None and hit[0] > now:
            return hit[1]

        async def load() -> RegencyConfig:
            async with tenant_transaction(self._pool, [regency_id]) as conn:
                return await db.regency_config(conn, regency_id)

        cfg = cast(RegencyConfig, await self._once(("config", regency_id), load))
        self._configs[regency_id] = (now + self._ttl, cfg)
        return cfg

    def forget_config(self, regency_id: UUID) -> None:
        self._configs.pop(regency_id, None)


def scope_of(principal: Principal) -> list[UUID]:
    if principal.regency_id is None:
        raise Forbidden("Akun ini tidak terkait kabupaten/kota mana pun.")
    return [principal.regency_id]


async def ensure_unit_staff(conn: asyncpg.Connection, principal: Principal, unit: UnitInfo) -> UUID | None:
    """Admin BKPSDM of the regency, or an ASN of (or heading) the unit; returns the acting ASN id."""
    if principal.regency_id != unit.regency_id:
        raise Forbidden("Unit ini berada di luar kabupaten/kota Anda.")
    acting: UUID | None = principal.asn_id
    if acting is not None and await db.is_unit_asn(conn, acting, unit.unit_id):
        return acting
    if principal.has_role(Role.ADMIN_BKPSDM):
        return acting
    raise Forbidden("Hanya pegawai unit ini atau admin BKPSDM yang dapat melakukannya.")


async def find_units(pool: asyncpg.Pool, q: str, *, limit: int = 50) -> list[UnitInfo]:
    """Public-facing units whose name (or regency) matches `q`, for the public home page."""
    pattern = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    async with tenant_transaction(pool, ALL_REGENCIES) as conn:
        rows = await conn.fetch(
            """SELECT u.unit_id, u.regency_id, u.name, u.kind, u.public_facing, coalesce(r.name, '') AS regency_name
               FROM org_unit u LEFT JOIN org_regency r USING (regency_id)
               WHERE u.public_facing AND (u.name ILIKE $1 OR r.name ILIKE $1)
               ORDER BY r.name, u.name LIMIT $2""",
            pattern,
            limit,
        )
    return [UnitInfo(**dict(r)) for r in rows]


async def unit_staff(pool: asyncpg.Pool, unit: UnitInfo) -> list[tuple[UUID, str]]:
    """ASN of a unit (to assign a complaint to)."""
    async with tenant_transaction(pool, [unit.regency_id]) as conn:
        rows = await conn.fetch(
            "SELECT asn_id, name FROM org_asn WHERE unit_id = $1 AND active ORDER BY name", unit.unit_id
        )
    return [(r["asn_id"], r["name"]) for r in rows]


async def subordinates(pool: asyncpg.Pool, principal: Principal) -> list[tuple[UUID, str, str]]:
    """Whom the caller may open a 360 round for: direct subordinates (all ASN of the regency for HR)."""
    if principal.regency_id is None:
        return []
    async with tenant_transaction(pool, [principal.regency_id]) as conn:
        if principal.has_role(Role.ADMIN_BKPSDM):
            rows = await conn.fetch(
                "SELECT asn_id, name, position_title FROM org_asn WHERE active ORDER BY name LIMIT 500"
            )
        else:
            rows = await conn.fetch(
                """SELECT asn_id, name, position_title FROM org_asn WHERE active AND superior_id = $1
                   ORDER BY name""",
                principal.asn_id,
            )
    return [(r[0], r[1], r[2]) for r in rows]


async def colleagues(pool: asyncpg.Pool, principal: Principal, ratee: UUID) -> list[tuple[UUID, str, str]]:
    """Possible raters for `ratee`: ASN of the same unit and the ratee's subordinates, never the ratee."""
    if principal.regency_id is None:
        return []
    async with tenant_transaction(pool, [principal.regency_id]) as conn:
        rows = await conn.fetch(
            """SELECT a.asn_id, a.name, CASE WHEN a.superior_id = $1 THEN 'bawahan' ELSE 'rekan' END
               FROM org_asn a, org_asn r
               WHERE r.asn_id = $1 AND a.active AND a.asn_id <> $1
                 AND (a.unit_id = r.unit_id OR a.superior_id = $1)
                 AND a.asn_id IS DISTINCT FROM r.superior_id
               ORDER BY a.name LIMIT 300""",
            ratee,
        )
    return [(r[0], r[1], r[2]) for r in rows]
