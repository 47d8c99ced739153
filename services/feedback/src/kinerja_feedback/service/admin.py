"""Regency settings for the feedback service (admin BKPSDM): survey period, limits, SLA days, holidays."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg

from kinerja_feedback.adapters import postgres as db
from kinerja_feedback.domain.config import RegencyConfig
from kinerja_feedback.domain.errors import Forbidden, InvalidInput
from kinerja_feedback.service.common import Directory, scope_of
from kinerja_shared.auth import Principal, Role
from kinerja_shared.db import tenant_transaction


def _admin(principal: Principal) -> UUID:
    if not principal.has_role(Role.ADMIN_BKPSDM):
        raise Forbidden("Hanya admin BKPSDM yang dapat mengubah pengaturan.")
    return scope_of(principal)[0]


async def get_config(pool: asyncpg.Pool, principal: Principal) -> tuple[RegencyConfig, list[tuple[date, str]]]:
    regency = scope_of(principal)[0]
    async with tenant_transaction(pool, [regency]) as conn:
        cfg = await db.regency_config(conn, regency)
        days = await conn.fetch("SELECT day, name FROM holiday WHERE regency_id = $1 ORDER BY day", regency)
    return cfg, [(r["day"], r["name"]) for r in days]


async def set_config(pool: asyncpg.Pool, directory: Directory, principal: Principal, cfg: RegencyConfig) -> None:
    regency = _admin(principal)
    async with tenant_transaction(pool, [regency]) as conn:
        await db.save_regency_config(conn, regency, cfg)
    directory.forget_config(regency)


async def add_holiday(pool: asyncpg.Pool, principal: Principal, day: date, name: str) -> None:
    """A regency holiday (cuti bersama, local day); complaint deadlines filed from now on skip it."""
    regency = _admin(principal)
    if not 1 <= len(name.strip()) <= 120:
        raise InvalidInput("Nama hari libur 1–120 karakter.", field="name", reason="length 1..120")
    async with tenant_transaction(pool, [regency]) as conn:
        await conn.execute(
            """INSERT INTO holiday (regency_id, day, name) VALUES ($1, $2, $3)
               ON CONFLICT (regency_id, day) DO UPDATE SET name = excluded.name""",
            regency,
            day,
            name.strip(),
        )


async def remove_holiday(pool: asyncpg.Pool, principal: Principal, day: date) -> None:
    regency = _admin(principal)
    async with tenant_transaction(pool, [regency]) as conn:
        await conn.execute("DELETE FROM holiday WHERE regency_id = $1 AND day = $2", regency, day)


async def set_population(
    pool: asyncpg.Pool, directory: Directory, principal: Principal, unit_id: UUID, population: int | None
) -> None:
    """Population served by a unit, which sets its Krejcie–Morgan minimum sample (Table Q1)."""
    regency = _admin(principal)
    unit = await directory.require_unit(unit_id)
    if unit.regency_id != regency:
        raise Forbidden("Unit ini berada di luar kabupaten/kota Anda.")
    if population is not None and population < 1:
        raise InvalidInput("Populasi harus lebih dari 0.", field="population", reason="must be ≥ 1")
    async with tenant_transaction(pool, [regency]) as conn:
        await db.set_population(conn, unit_id, regency, population)
