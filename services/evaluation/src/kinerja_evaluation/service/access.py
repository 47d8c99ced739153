"""Who may see and do what: tenant scope from the caller's roles, and relation checks on the superior chain."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg

from kinerja_evaluation.domain.errors import NotAllowed
from kinerja_shared.auth import PROVINCE_ROLES, Principal, Role


async def scope_of(pool: asyncpg.Pool, principal: Principal) -> list[UUID]:
    """The regencies the caller's transactions may touch (row-level security reads this)."""
    if principal.has_role(*PROVINCE_ROLES) and principal.province_id is not None:
        rows = await pool.fetch("SELECT regency_id FROM regency WHERE province_id = $1", principal.province_id)
        return [r["regency_id"] for r in rows]
    if principal.regency_id is not None:
        return [principal.regency_id]
    return []


def regency_of(principal: Principal) -> UUID:
    """The one regency a regency user acts in."""
    regency: UUID | None = principal.regency_id
    if regency is None:
        raise NotAllowed("Akun ini tidak terikat pada kabupaten/kota.")
    return regency


def require_asn(principal: Principal) -> UUID:
    asn: UUID | None = principal.asn_id
    if asn is None:
        raise NotAllowed("Akun ini bukan akun pegawai (ASN).")
    return asn


def require_admin(principal: Principal) -> UUID:
    if not principal.has_role(Role.ADMIN_BKPSDM):
        raise NotAllowed("Hanya admin BKPSDM yang dapat melakukan ini.")
    return regency_of(principal)


async def superior_chain(conn: asyncpg.Connection, asn_id: UUID, today: date) -> list[UUID]:
    """Everyone above the ASN: direct superior upwards, plus acting superiors valid today at each level."""
    rows = await conn.fetch(
        """WITH RECURSIVE up(asn_id, depth) AS (
               SELECT $1::uuid, 0
               UNION
               SELECT s.sup, up.depth + 1 FROM up
               CROSS JOIN LATERAL (
                   SELECT a.superior_id AS sup FROM asn a WHERE a.asn_id = up.asn_id AND a.superior_id IS NOT NULL
                   UNION
                   SELECT x.acting_superior_id FROM acting_superior x
                   WHERE x.asn_id = up.asn_id AND $2::date BETWEEN x.valid_from AND x.valid_until
               ) s
               WHERE up.depth < 20
           )
           SELECT DISTINCT asn_id FROM up WHERE asn_id <> $1""",
        asn_id,
        today,
    )
    return [r["asn_id"] for r in rows]


async def assessors_of(conn: asyncpg.Connection, asn_id: UUID, today: date) -> frozenset[str]:
    """The direct superior and any acting superior whose date range covers today (pejabat penilai)."""
    rows = await conn.fetch(
        """SELECT superior_id AS id FROM asn WHERE asn_id = $1 AND superior_id IS NOT NULL
           UNION
           SELECT acting_superior_id FROM acting_superior
           WHERE asn_id = $1 AND $2::date BETWEEN valid_from AND valid_until""",
        asn_id,
        today,
    )
    return frozenset(str(r["id"]) for r in rows)


async def check_can_view(conn: asyncpg.Connection, principal: Principal, asn_id: UUID, today: date) -> None:
    """Only the ASN, their superior chain, their regency's HR admin and province read-only roles (RLS did the
    regency part: a row from another regency is never found)."""
    if principal.asn_id == asn_id or principal.has_role(Role.ADMIN_BKPSDM, *PROVINCE_ROLES):
        return
    if principal.asn_id is not None and principal.asn_id in await superior_chain(conn, asn_id, today):
        return
    raise NotAllowed("Anda tidak berhak melihat SKP pegawai ini.")
