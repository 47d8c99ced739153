"""Channel preferences (the user's and the regency's defaults) and who the regency's HR admins are."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from kinerja_notify.domain.routing import R1, EmailMode, email_mode, route_for
from kinerja_shared.db import tenant_transaction


@dataclass(frozen=True, slots=True)
class KindChoice:
    kind: str
    label: str
    email: EmailMode  # what applies now
    own: EmailMode | None  # the user's explicit choice, if any
    regency_default: EmailMode


async def user_preferences(pool: asyncpg.Pool, regency_id: uuid.UUID, asn_id: uuid.UUID) -> list[KindChoice]:
    async with tenant_transaction(pool, [regency_id]) as conn:
        own = {
            r["kind"]: EmailMode(r["email_mode"])
            for r in await conn.fetch("SELECT kind, email_mode FROM preference WHERE asn_id = $1", asn_id)
        }
        regency = await _regency(conn, regency_id)
    return [
        KindChoice(k, r.label, email_mode(k, own, regency), own.get(k), email_mode(k, None, regency))
        for k, r in R1.items()
    ]


async def _regency(conn: asyncpg.Connection, regency_id: uuid.UUID) -> dict[str, EmailMode]:
    return {
        r["kind"]: EmailMode(r["email_mode"])
        for r in await conn.fetch("SELECT kind, email_mode FROM regency_default WHERE regency_id = $1", regency_id)
    }


async def set_user_preferences(
    pool: asyncpg.Pool, regency_id: uuid.UUID, asn_id: uuid.UUID, choices: Mapping[str, EmailMode | None]
) -> None:
    """Save the user's choice per type; None returns that type to the regency default."""
    for k in choices:
        route_for(k)  # UnknownKind → 422
    async with tenant_transaction(pool, [regency_id]) as conn:
        for kind, mode in choices.items():
            if mode is None:
                await conn.execute("DELETE FROM preference WHERE asn_id = $1 AND kind = $2", asn_id, kind)
            else:
                await conn.execute(
                    """INSERT INTO preference (regency_id, asn_id, kind, email_mode) VALUES ($1, $2, $3, $4)
                       ON CONFLICT (asn_id, kind) DO UPDATE SET email_mode = excluded.email_mode, updated_at = now()""",
                    regency_id,
                    asn_id,
                    kind,
                    mode.value,
                )


async def regency_defaults(pool: asyncpg.Pool, regency_id: uuid.UUID) -> dict[str, EmailMode]:
    """Per type: the regency's default, or Table R1's when the regency set none."""
    async with tenant_transaction(pool, [regency_id]) as conn:
        regency = await _regency(conn, regency_id)
    return {k: email_mode(k, None, regency) for k in R1}


async def set_regency_defaults(pool: asyncpg.Pool, regency_id: uuid.UUID, choices: Mapping[str, EmailMode]) -> None:
    for k in choices:
        route_for(k)
    async with tenant_transaction(pool, [regency_id]) as conn:
        for kind, mode in choices.items():
            await conn.execute(
                """INSERT INTO regency_default (regency_id, kind, email_mode) VALUES ($1, $2, $3)
                   ON CONFLICT (regency_id, kind) DO UPDATE SET email_mode = excluded.email_mode, updated_at = now()""",
                regency_id,
                kind,
                mode.value,
            )


@dataclass(frozen=True, slots=True)
class HrAdmin:
    asn_id: uuid.UUID
    name: str | None
    email: str | None
    added_by: str
    added_at: datetime


async def hr_admins(pool: asyncpg.Pool, regency_id: uuid.UUID) -> list[HrAdmin]:
    async with tenant_transaction(pool, [regency_id]) as conn:
        rows = await conn.fetch(
            """SELECT h.asn_id, a.name, a.email, h.added_by, h.added_at FROM hr_admin h
               LEFT JOIN org_asn a ON a.asn_id = h.asn_id WHERE h.regency_id = $1 ORDER BY h.added_at""",
            regency_id,
        )
    return [HrAdmin(r["asn_id"], r["name"], r["email"], r["added_by"], r["added_at"]) for r in rows]


async def add_hr_admin(pool: asyncpg.Pool, regency_id: uuid.UUID, asn_id: uuid.UUID, added_by: str) -> bool:
    """Register an ASN of this regency as BKPSDM admin recipient; False if unknown in this regency."""
    async with tenant_transaction(pool, [regency_id]) as conn:
        if not await conn.fetchval("SELECT 1 FROM org_asn WHERE asn_id = $1 AND regency_id = $2", asn_id, regency_id):
            return False
        await conn.execute(
            "INSERT INTO hr_admin (regency_id, asn_id, added_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            regency_id,
            asn_id,
            added_by,
        )
    return True


async def remove_hr_admin(pool: asyncpg.Pool, regency_id: uuid.UUID, asn_id: uuid.UUID) -> bool:
    async with tenant_transaction(pool, [regency_id]) as conn:
        status: str = await conn.execute(
            "DELETE FROM hr_admin WHERE regency_id = $1 AND asn_id = $2", regency_id, asn_id
        )
    return status != "DELETE 0"
