"""Applies kinerja.org.v1 facts to the org_* read-model tables, set-based, newest fact wins."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TypeVar

import asyncpg

from kinerja_shared.contracts.org import ActingSuperiorAssigned, AsnUpserted, RegencyUpserted, UnitUpserted
from kinerja_shared.messaging.consumer import Received

T = TypeVar("T")

MIGRATIONS_DIR = Path(str(resources.files("kinerja_shared") / "readmodels" / "migrations"))


def _latest(items: Sequence[T], key: str) -> list[T]:
    """Within one batch keep the last fact per entity (input is in partition order)."""
    out: dict[object, T] = {}
    for it in items:
        out[getattr(it, key)] = it
    return list(out.values())


async def apply_org_facts(conn: asyncpg.Connection, batch: Sequence[Received]) -> None:
    """Upsert regencies, units and ASN from a batch of org facts; ignore types this read model does not keep."""
    regencies = _latest([r.event for r in batch if isinstance(r.event, RegencyUpserted)], "regency_id")
    units = _latest([r.event for r in batch if isinstance(r.event, UnitUpserted)], "unit_id")
    asns = _latest([r.event for r in batch if isinstance(r.event, AsnUpserted)], "asn_id")
    acting = [r.event for r in batch if isinstance(r.event, ActingSuperiorAssigned)]
    if regencies:
        await conn.executemany(
            """INSERT INTO org_regency AS o (regency_id, province_id, province_name, name, code, version)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (regency_id) DO UPDATE SET province_id = excluded.province_id,
                 province_name = excluded.province_name, name = excluded.name, code = excluded.code,
                 version = excluded.version
               WHERE o.version <= excluded.version""",
            [(e.regency_id, e.province_id, e.province_name, e.name, e.code, e.occurred_at) for e in regencies],
        )
    if units:
        await conn.execute(
            """INSERT INTO org_unit AS o
                 (unit_id, regency_id, parent_id, name, kind, public_facing, head_asn_id, version)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::bool[],
                                    $7::uuid[], $8::timestamptz[])
               ON CONFLICT (unit_id) DO UPDATE SET regency_id = excluded.regency_id, parent_id = excluded.parent_id,
                 name = excluded.name, kind = excluded.kind, public_facing = excluded.public_facing,
                 head_asn_id = excluded.head_asn_id, version = excluded.version
               WHERE o.version <= excluded.version""",
            *zip(
                *[
                    (
                        e.unit_id,
                        e.regency_id,
                        e.parent_id,
                        e.name,
                        e.kind,
                        e.public_facing,
                        e.head_asn_id,
                        e.occurred_at,
                    )
                    for e in units
                ],
                strict=True,
            ),
        )
    if asns:
        await conn.execute(
            """INSERT INTO org_asn AS o (asn_id, regency_id, name, email, unit_id, position_title, grade,
                                         position_class, superior_id, gender, location, active, version)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[],
                                    $7::text[], $8::int[], $9::uuid[], $10::text[], $11::text[], $12::bool[],
                                    $13::timestamptz[])
               ON CONFLICT (asn_id) DO UPDATE SET regency_id = excluded.regency_id, name = excluded.name,
                 email = excluded.email, unit_id = excluded.unit_id, position_title = excluded.position_title,
                 grade = excluded.grade, position_class = excluded.position_class,
                 superior_id = excluded.superior_id, gender = excluded.gender, location = excluded.location,
                 active = excluded.active, version = excluded.version
               WHERE o.version <= excluded.version""",
            *zip(
                *[
                    (
                        e.asn_id,
                        e.regency_id,
                        e.name,
                        e.email,
                        e.unit_id,
                        e.position_title,
                        e.grade,
                        e.position_class,
                        e.superior_id,
                        e.gender.value,
                        e.location.value,
                        e.active,
                        e.occurred_at,
                    )
                    for e in asns
                ],
                strict=True,
            ),
        )
    if acting:
        await conn.executemany(
            """INSERT INTO org_acting_superior (asn_id, acting_superior_id, regency_id, valid_from, valid_until)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (asn_id, acting_superior_id, valid_from) DO UPDATE SET valid_until = excluded.valid_until""",
            [(e.asn_id, e.acting_superior_id, e.regency_id, e.valid_from, e.valid_until) for e in acting],
        )
