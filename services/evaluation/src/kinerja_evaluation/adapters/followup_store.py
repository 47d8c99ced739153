"""SQL of the follow-up: candidates for finalisation, the final-result insert, curve counts, TPP inputs."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

# The ASN in scope: the whole regency, or one unit with every unit below it (paths "A > B" nest).
_SCOPE = """
    SELECT a.asn_id, a.unit_id, u.kind AS unit_kind, u.path AS unit_path
    FROM asn a JOIN unit u ON u.unit_id = a.unit_id
    WHERE a.regency_id = $1 AND a.active
      AND ($2::uuid IS NULL OR u.path = (SELECT path FROM unit WHERE unit_id = $2)
           OR u.path LIKE (SELECT path FROM unit WHERE unit_id = $2) || ' > %')
"""

# Each ASN's proposed final predikat and score: the annual rating with the mean of the year's periodic scores,
# or the latest periodic evaluation with its score.
_CANDIDATES = (
    "WITH scope AS ("
    + _SCOPE
    + """)
    SELECT s.asn_id, s.unit_id, s.unit_kind, s.unit_path, c.predikat, c.score
    FROM scope s
    LEFT JOIN LATERAL (
        SELECT ar.predikat,
               (SELECT round(avg(sc.score), 2) FROM scoring_score sc
                 WHERE sc.asn_id = s.asn_id AND sc.period LIKE $4 || '-%' AND sc.period <> $3
                   AND sc.status = 'dihitung' AND sc.score IS NOT NULL) AS score
        FROM annual_rating ar WHERE $5 AND ar.asn_id = s.asn_id AND ar.year = $4::int
        UNION ALL
        SELECT x.predikat, sc.score
        FROM scoring_assessment x
        LEFT JOIN scoring_score sc ON sc.asn_id = x.asn_id AND sc.period = x.period AND sc.status = 'dihitung'
        WHERE NOT $5 AND x.asn_id = s.asn_id AND x.period = $3
    ) c ON true
"""
)


async def candidates(conn: asyncpg.Connection, regency: UUID, unit: UUID | None, period: str) -> list[asyncpg.Record]:
    """Everyone in scope, with `final` (the stored final result, if any) and the proposed predikat and score."""
    sql = (
        "SELECT k.*, f.predikat AS final_predikat, f.score AS final_score, f.rule_version AS final_version "
        "FROM (" + _CANDIDATES + ") k LEFT JOIN final_result f ON f.asn_id = k.asn_id AND f.period = $3"
    )
    return list(await conn.fetch(sql, regency, unit, period, period[:4], period.endswith("-Y")))


async def insert_final(
    conn: asyncpg.Connection, regency: UUID, unit: UUID | None, period: str, version: int, run: UUID, at: Any
) -> list[asyncpg.Record]:
    """Write the final result of everyone in scope who has a predikat and no final result yet; the rows written.

    ON CONFLICT DO NOTHING makes a concurrent or repeated run a no-op for rows already final.
    """
    sql = (
        "INSERT INTO final_result (asn_id, period, regency_id, unit_id, unit_kind, predikat, original_predikat, score,"
        " rule_version, run_id, finalised_at) "
        "SELECT k.asn_id, $3, $1, k.unit_id, k.unit_kind, k.predikat, k.predikat, k.score, $6, $7, $8 FROM ("
        + _CANDIDATES
        + ") k WHERE k.predikat IS NOT NULL ON CONFLICT (asn_id, period) DO NOTHING"
        " RETURNING asn_id, unit_id, unit_kind, predikat, score"
    )
    return list(await conn.fetch(sql, regency, unit, period, period[:4], period.endswith("-Y"), version, run, at))


async def tpp_inputs(
    conn: asyncpg.Connection, regency: UUID, month: date, period: str, asn: UUID | None = None
) -> list[asyncpg.Record]:
    """Per active ASN of the regency: class, the month's predikat (final result first, else the latest periodic
    evaluation), the rule version of a final result, verified minutes, the month's attendance days and the
    incentives BKPSDM approved in the month."""
    return list(
        await conn.fetch(
            """
            SELECT a.asn_id, a.nip, a.name, a.position_class, u.path AS unit_path,
                   COALESCE(f.predikat, x.predikat) AS predikat,
                   CASE WHEN f.predikat IS NOT NULL THEN 'final' WHEN x.predikat IS NOT NULL THEN 'periodik' END
                       AS source,
                   f.rule_version,
                   COALESCE(m.minutes, 0) AS minutes,
                   COALESCE(att.statuses, '{}') AS statuses, COALESCE(att.minutes, '{}') AS day_minutes,
                   COALESCE(aw.incentive, 0) AS incentive
            FROM asn a
            JOIN unit u ON u.unit_id = a.unit_id
            LEFT JOIN final_result f ON f.asn_id = a.asn_id AND f.period = $3
            LEFT JOIN scoring_assessment x ON x.asn_id = a.asn_id AND x.period = $3
            LEFT JOIN activity_minutes m ON m.asn_id = a.asn_id AND m.month = $2
            LEFT JOIN LATERAL (
                SELECT array_agg(t.status ORDER BY t.work_date) AS statuses,
                       array_agg(t.late_minutes + t.early_minutes ORDER BY t.work_date) AS minutes
                FROM scoring_attendance t
                WHERE t.asn_id = a.asn_id AND t.work_date >= $2 AND t.work_date < ($2 + interval '1 month')
            ) att ON true
            LEFT JOIN LATERAL (
                SELECT sum(w.incentive) AS incentive FROM award w
                WHERE w.asn_id = a.asn_id AND w.status = 'disetujui' AND w.incentive IS NOT NULL
                  AND (w.decided_at AT TIME ZONE 'Asia/Jakarta')::date >= $2
                  AND (w.decided_at AT TIME ZONE 'Asia/Jakarta')::date < ($2 + interval '1 month')
            ) aw ON true
            WHERE a.regency_id = $1 AND a.active AND ($4::uuid IS NULL OR a.asn_id = $4)
            ORDER BY u.path, a.name
            """,
            regency,
            month,
            period,
            asn,
        )
    )
