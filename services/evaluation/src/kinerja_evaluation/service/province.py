"""The province's view across its regencies: per regency, how many ASN are scored in a period, their average
score and predikat distribution (read-only; the province roles see every regency of their province)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

import asyncpg

from kinerja_evaluation.domain.errors import NotAllowed
from kinerja_evaluation.domain.predikat import Predikat
from kinerja_evaluation.service.access import scope_of
from kinerja_shared.auth import PROVINCE_ROLES, Principal
from kinerja_shared.db import tenant_transaction


@dataclass(frozen=True, slots=True)
class RegencyRow:
    regency_id: UUID
    name: str
    code: str
    asn: int  # active ASN on the roster
    scored: int  # ASN with a predikat in the period
    average: Decimal | None  # mean score of the scored, 2 places
    predikat: dict[Predikat, int] = field(default_factory=dict)

    def share(self, p: Predikat) -> Decimal:
        """Percent of the scored ASN with predikat p (1 place), 0 when nobody is scored yet."""
        if not self.scored:
            return Decimal(0)
        return (Decimal(100) * self.predikat.get(p, 0) / self.scored).quantize(Decimal("0.1"))


async def regency_comparison(pool: asyncpg.Pool, who: Principal, period: str) -> list[RegencyRow]:
    """Every regency of the caller's province, in Kemendagri code order, for one period."""
    if not who.has_role(*PROVINCE_ROLES) or who.province_id is None:
        raise NotAllowed("Perbandingan kabupaten/kota untuk admin provinsi dan inspektorat.")
    scope = await scope_of(pool, who)
    if not scope:
        return []
    async with tenant_transaction(pool, scope) as conn:
        regencies = await conn.fetch(
            """SELECT r.regency_id, r.name, r.code,
                      (SELECT count(*) FROM asn a WHERE a.regency_id = r.regency_id AND a.active) AS asn
               FROM regency r WHERE r.province_id = $1 ORDER BY r.code, r.name""",
            who.province_id,
        )
        groups = await conn.fetch(
            """SELECT regency_id, predikat, count(*) AS n, sum(score) AS total FROM scoring_score
               WHERE regency_id = ANY($1::uuid[]) AND period = $2 AND predikat IS NOT NULL
               GROUP BY regency_id, predikat""",
            [r["regency_id"] for r in regencies],
            period,
        )
    dist: dict[UUID, dict[Predikat, int]] = {}
    totals: dict[UUID, Decimal] = {}
    for g in groups:
        dist.setdefault(g["regency_id"], {})[Predikat(g["predikat"])] = int(g["n"])
        totals[g["regency_id"]] = totals.get(g["regency_id"], Decimal(0)) + Decimal(g["total"] or 0)
    out = []
    for r in regencies:
        d = dist.get(r["regency_id"], {})
        scored = sum(d.values())
        average = (totals[r["regency_id"]] / scored).quantize(Decimal("0.01")) if scored else None
        out.append(
            RegencyRow(
                r["regency_id"],
                r["name"],
                r["code"] or "",
                int(r["asn"]),
                scored,
                average,
                {p: d.get(p, 0) for p in Predikat},
            )  # fmt: skip
        )
    return out
