"""Use cases of the regency's versioned rule set (admin BKPSDM edits; everyone in the regency reads)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from kinerja_evaluation.domain.errors import Conflict, NotFound
from kinerja_evaluation.domain.rules import DEFAULT_RULES, RuleSet
from kinerja_evaluation.service.access import regency_of, require_admin
from kinerja_shared import audit
from kinerja_shared.auth import Principal
from kinerja_shared.db import tenant_transaction


@dataclass(frozen=True, slots=True)
class Versioned:
    version: int  # 0: nothing saved yet, the defaults apply
    rules: RuleSet
    created_at: datetime | None = None
    created_by: str = ""
    note: str = ""


async def current(conn: asyncpg.Connection, regency_id: UUID) -> Versioned:
    row = await conn.fetchrow(
        "SELECT version, rules, created_at, created_by, note FROM rule_set WHERE regency_id = $1"
        " ORDER BY version DESC LIMIT 1",
        regency_id,
    )
    if row is None:
        return Versioned(0, DEFAULT_RULES)
    return Versioned(row["version"], RuleSet.from_json(row["rules"]), row["created_at"], row["created_by"], row["note"])


async def version(conn: asyncpg.Connection, regency_id: UUID, number: int) -> RuleSet:
    raw = await conn.fetchval("SELECT rules FROM rule_set WHERE regency_id = $1 AND version = $2", regency_id, number)
    if raw is None:
        if number == 0:
            return DEFAULT_RULES
        raise NotFound(f"Aturan versi {number} tidak ditemukan.")
    return RuleSet.from_json(raw)


async def versions(conn: asyncpg.Connection, regency_id: UUID, numbers: set[int]) -> dict[int, RuleSet]:
    rows = await conn.fetch(
        "SELECT version, rules FROM rule_set WHERE regency_id = $1 AND version = ANY($2::int[])",
        regency_id,
        sorted(numbers),
    )
    out = {r["version"]: RuleSet.from_json(r["rules"]) for r in rows}
    if 0 in numbers:
        out[0] = DEFAULT_RULES
    return out


async def pinned(conn: asyncpg.Connection, regency_id: UUID, actor: str) -> Versioned:
    """The current version, saving the defaults as version 1 first if none was ever saved: a finalised result
    must name a version that stays readable."""
    cur = await current(conn, regency_id)
    if cur.version:
        return cur
    await conn.execute(
        "INSERT INTO rule_set (regency_id, version, rules, note, created_by) VALUES ($1, 1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING",
        regency_id,
        DEFAULT_RULES.to_json(),
        "Nilai bawaan DOMAIN.md",
        actor,
    )
    return await current(conn, regency_id)


async def read(pool: asyncpg.Pool, who: Principal) -> tuple[Versioned, list[dict[str, Any]]]:
    regency = regency_of(who)
    async with tenant_transaction(pool, [regency]) as conn:
        cur = await current(conn, regency)
        history = [
            dict(r)
            for r in await conn.fetch(
                "SELECT version, created_at, created_by, note FROM rule_set WHERE regency_id = $1"
                " ORDER BY version DESC",
                regency,
            )
        ]
    return cur, history


async def save(pool: asyncpg.Pool, who: Principal, rules: RuleSet, *, base_version: int, note: str = "") -> int:
    """Validate and save as the next version. `base_version` is the version the editor started from: if someone
    saved in between, nothing is overwritten (409) and the editor reloads."""
    regency = require_admin(who)
    rules.validated()
    async with tenant_transaction(pool, [regency]) as conn:
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('rule_set:' || $1::uuid::text))", regency)
        cur = await current(conn, regency)
        if cur.version != base_version:
            raise Conflict(
                f"Aturan sudah diubah menjadi versi {cur.version} oleh {cur.created_by or 'pengguna lain'}; "
                "muat ulang halaman dan ulangi perubahan Anda."
            )
        number = cur.version + 1
        await conn.execute(
            "INSERT INTO rule_set (regency_id, version, rules, note, created_by) VALUES ($1, $2, $3, $4, $5)",
            regency,
            number,
            rules.to_json(),
            note.strip()[:500],
            who.sub,
        )
        await _apply_to_engine(conn, regency, rules)
        await audit.record(
            conn,
            actor=who,
            action="rules.change",
            subject_type="regency",
            subject_id=regency,
            regency_id=regency,
            detail={"version": number},
        )
    return number


async def _apply_to_engine(conn: asyncpg.Connection, regency: UUID, rules: RuleSet) -> None:
    """The scoring engine and the SKP pages read their slice of the rules from their own config rows: keep them
    in step in the same transaction (one place to edit, one truth)."""
    w = rules.weights
    await conn.execute(
        """INSERT INTO scoring_config AS c (regency_id, w_hasil, w_perilaku, w_kehadiran, w_kepuasan, w_inovasi,
                                           at_risk_below, award_score_jump, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
           ON CONFLICT (regency_id) DO UPDATE SET w_hasil = $2, w_perilaku = $3, w_kehadiran = $4, w_kepuasan = $5,
               w_inovasi = $6, at_risk_below = $7, award_score_jump = $8, updated_at = now()""",
        regency,
        w["hasil"],
        w["perilaku"],
        w["kehadiran"],
        w["kepuasan"],
        w["inovasi"],
        rules.at_risk_below,
        rules.award_score_jump,
    )
    await conn.execute(
        """UPDATE regency_config SET periodicity = $2, rating_above_from = $3, rating_below_under = $4,
               updated_at = now() WHERE regency_id = $1""",
        regency,
        rules.periodicity,
        rules.rating_above_from,
        rules.rating_below_under,
    )
