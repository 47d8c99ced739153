"""Shared pieces of the follow-up use cases: the clock, roles, relations (pejabat penilai and their superior),
and the keyed pseudonyms of public events."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from uuid import UUID

import asyncpg

from kinerja_evaluation.domain.errors import InvalidInput, NotAllowed, NotFound
from kinerja_evaluation.domain.skp import PERIOD_PATTERN
from kinerja_evaluation.service.access import assessors_of, superior_chain
from kinerja_shared.auth import PROVINCE_ROLES, Principal, Role
from kinerja_shared.pseudonym import Pseudonymizer, PseudonymSettings, pseudonymizer_from
from kinerja_shared.web import JAKARTA


def now_jakarta() -> datetime:
    return datetime.now(JAKARTA)


def check_period(period: str, field: str = "period") -> str:
    if not PERIOD_PATTERN.match(period):
        raise InvalidInput(
            "Periode tidak dikenali (contoh: 2026-Q1, 2026-M03, 2026-Y).",
            field=field,
            reason="format periode tidak dikenali",
        )
    return period


def is_annual(period: str) -> bool:
    return period.endswith("-Y")


async def asn_regency(conn: asyncpg.Connection, asn_id: UUID) -> UUID:
    """The ASN's regency; RLS hides ASN of other regencies, so they are simply not found."""
    regency: UUID | None = await conn.fetchval("SELECT regency_id FROM asn WHERE asn_id = $1", asn_id)
    if regency is None:
        raise NotFound("Pegawai tidak ditemukan.")
    return regency


async def pejabat_penilai(conn: asyncpg.Connection, asn_id: UUID, today: date) -> frozenset[UUID]:
    return frozenset(UUID(x) for x in await assessors_of(conn, asn_id, today))


async def atasan_pejabat_penilai(conn: asyncpg.Connection, asn_id: UUID, today: date) -> frozenset[UUID]:
    """The superiors (direct or acting today) of the ASN's pejabat penilai: who decides a keberatan."""
    out: set[UUID] = set()
    for p in await pejabat_penilai(conn, asn_id, today):
        out |= await pejabat_penilai(conn, p, today)
    out.discard(asn_id)
    return frozenset(out)


async def check_can_view_asn(conn: asyncpg.Connection, who: Principal, asn_id: UUID, today: date) -> None:
    """The ASN, anyone above them, their regency's BKPSDM and province read-only roles."""
    if who.asn_id == asn_id or who.has_role(Role.ADMIN_BKPSDM, *PROVINCE_ROLES):
        return
    if who.asn_id is not None and who.asn_id in await superior_chain(conn, asn_id, today):
        return
    raise NotAllowed("Anda tidak berhak melihat data pegawai ini.")


@lru_cache(maxsize=1)
def pseudonymizer() -> Pseudonymizer:
    """From KINERJA_PSEUDONYM_KEYS (current key first; production refuses a missing or weak key)."""
    return pseudonymizer_from(PseudonymSettings())


def asn_pseudonym(p: Pseudonymizer, regency_id: UUID, asn_id: UUID) -> str:
    # the regency is part of the HMAC input: pseudonyms of different regencies never line up
    value: str = p.pseudonym(asn_id, kind=f"asn.{regency_id}")
    return value


def unit_pseudonym(p: Pseudonymizer, regency_id: UUID, unit_id: UUID) -> str:
    value: str = p.pseudonym(unit_id, kind=f"unit.{regency_id}")
    return value
