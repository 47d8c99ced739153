"""SQL of the scoring engine: set-based merges of one batch's facts, the period-state recompute, score inputs.

Every merge is order-independent (latest version wins, flags only go up, survey sums add once per event thanks
to the inbox), so facts arriving out of order or in different batches end in the same state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

import asyncpg

Key = tuple[UUID, str]  # (asn_id, period)


def _cols(rows: Sequence[tuple[Any, ...]], n: int) -> list[list[Any]]:
    return [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(n)]


async def periodicities(conn: asyncpg.Connection, regencies: Iterable[UUID]) -> dict[UUID, str]:
    """Each regency's periodicity from its config (issue 4's regency_config); absent = quarterly."""
    rows = await conn.fetch(
        "SELECT regency_id, periodicity FROM regency_config WHERE regency_id = ANY($1::uuid[])", list(regencies)
    )
    return {r["regency_id"]: r["periodicity"] for r in rows}


# ---------------------------------------------------------------- merges
async def merge_activities(
    conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]
) -> list[tuple[UUID, str, UUID, UUID, bool]]:
    """rows: (activity_id, asn_id, regency_id, activity_date, period, year, indicator_id, minutes, quantity,
    revision, rejections, verified, verified_minutes, overdue), one per activity; returns the keys touched as
    (asn, period, regency, activity, whether its quantity now counts for capaian: verified, reported, linked)."""
    if not rows:
        return []
    out = await conn.fetch(
        """INSERT INTO scoring_activity AS a (activity_id, asn_id, regency_id, activity_date, period, year,
               indicator_id, minutes, quantity, revision, rejections, verified, verified_minutes, overdue)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::text[], $6::int[], $7::uuid[],
                                $8::int[], $9::numeric[], $10::int[], $11::int[], $12::bool[], $13::int[], $14::bool[])
           ON CONFLICT (activity_id) DO UPDATE SET
             activity_date = coalesce(a.activity_date, excluded.activity_date),
             period = coalesce(a.period, excluded.period),
             year = coalesce(a.year, excluded.year),
             indicator_id = CASE WHEN excluded.revision > a.revision
                                 THEN coalesce(excluded.indicator_id, a.indicator_id)
                                 ELSE coalesce(a.indicator_id, excluded.indicator_id) END,
             minutes = CASE WHEN excluded.revision > a.revision THEN excluded.minutes
                            ELSE coalesce(a.minutes, excluded.minutes) END,
             quantity = CASE WHEN excluded.revision > a.revision THEN excluded.quantity ELSE a.quantity END,
             revision = greatest(a.revision, excluded.revision),
             rejections = a.rejections + excluded.rejections,
             verified = a.verified OR excluded.verified,
             verified_minutes = CASE WHEN excluded.verified THEN excluded.verified_minutes
                                     ELSE a.verified_minutes END,
             overdue = a.overdue OR excluded.overdue
           RETURNING asn_id, period, regency_id, activity_id,
                     verified AND revision > 0 AND indicator_id IS NOT NULL AND quantity <> 0 AS counts""",
        *_cols(rows, 14),
    )
    return [tuple(r) for r in out if r["period"] is not None]


async def merge_attendance(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """rows: (asn_id, work_date, regency_id, period, year, status, late, early, version, event_id); latest wins."""
    if rows:
        await conn.execute(
            """INSERT INTO scoring_attendance AS t (asn_id, work_date, regency_id, period, year, status,
                   late_minutes, early_minutes, version, event_id)
               SELECT * FROM unnest($1::uuid[], $2::date[], $3::uuid[], $4::text[], $5::int[], $6::text[],
                                    $7::int[], $8::int[], $9::timestamptz[], $10::uuid[])
               ON CONFLICT (asn_id, work_date) DO UPDATE SET status = excluded.status,
                 late_minutes = excluded.late_minutes, early_minutes = excluded.early_minutes,
                 version = excluded.version, event_id = excluded.event_id
               WHERE (t.version, t.event_id::text) < (excluded.version, excluded.event_id::text)""",
            *_cols(rows, 10),
        )


async def merge_skps(
    conn: asyncpg.Connection, skps: Sequence[tuple[Any, ...]], indicators: Sequence[tuple[Any, ...]]
) -> list[tuple[UUID, int]]:
    """skps: (asn_id, year, regency_id, skp_id, version); a newer version replaces the year's indicators.
    indicators: (indicator_id, asn_id, year, regency_id, skp_id, version, rhk_id, position, name, target, unit,
    direction, weight). Returns the (asn, year) whose SKP changed."""
    if not skps:
        return []
    won = await conn.fetch(
        """INSERT INTO scoring_skp AS s (asn_id, year, regency_id, skp_id, version)
           SELECT * FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::uuid[], $5::int[])
           ON CONFLICT (asn_id, year) DO UPDATE SET skp_id = excluded.skp_id, version = excluded.version,
             regency_id = excluded.regency_id
           WHERE s.version < excluded.version
           RETURNING asn_id, year, skp_id""",
        *_cols(skps, 5),
    )
    if not won:
        return []
    winners = {r["skp_id"] for r in won}
    await conn.execute(
        """DELETE FROM scoring_indicator i USING unnest($1::uuid[], $2::int[]) AS w(asn_id, year)
           WHERE i.asn_id = w.asn_id AND i.year = w.year""",
        [r["asn_id"] for r in won],
        [r["year"] for r in won],
    )
    keep = list({i[0]: i for i in indicators if i[4] in winners}.values())
    if keep:
        await conn.execute(
            """INSERT INTO scoring_indicator (indicator_id, asn_id, year, regency_id, skp_id, version, rhk_id,
                   position, name, target, unit, direction, weight)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::uuid[], $5::uuid[], $6::int[],
                                    $7::uuid[], $8::int[], $9::text[], $10::numeric[], $11::text[], $12::text[],
                                    $13::numeric[])
               ON CONFLICT (indicator_id) DO UPDATE SET asn_id = excluded.asn_id, year = excluded.year,
                 skp_id = excluded.skp_id, version = excluded.version, rhk_id = excluded.rhk_id,
                 position = excluded.position, name = excluded.name, target = excluded.target,
                 unit = excluded.unit, direction = excluded.direction, weight = excluded.weight""",
            *_cols(keep, 13),
        )
    return [(r["asn_id"], r["year"]) for r in won]


async def merge_realisasi(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """rows: (indicator_id, period, asn_id, regency_id, reported, confirmed, realisasi, capaian).

    Confirmed is final (it only goes up); a report or return before it keeps the reported value for display."""
    if rows:
        await conn.execute(
            """INSERT INTO scoring_realisasi AS r (indicator_id, period, asn_id, regency_id, reported, confirmed,
                   realisasi, capaian)
               SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::numeric[], $6::bool[],
                                    $7::numeric[], $8::numeric[])
               ON CONFLICT (indicator_id, period) DO UPDATE SET
                 reported = coalesce(excluded.reported, r.reported),
                 confirmed = r.confirmed OR excluded.confirmed,
                 realisasi = CASE WHEN r.confirmed THEN r.realisasi ELSE coalesce(excluded.realisasi, r.realisasi) END,
                 capaian = CASE WHEN r.confirmed THEN r.capaian ELSE coalesce(excluded.capaian, r.capaian) END""",
            *_cols(rows, 8),
        )


async def merge_peer(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """rows: (asn_id, period, regency_id, version, raters, points, value_scores json); the highest version wins."""
    if rows:
        await conn.executemany(
            """INSERT INTO scoring_peer AS p (asn_id, period, regency_id, version, raters, points, value_scores)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (asn_id, period) DO UPDATE SET version = excluded.version, raters = excluded.raters,
                 points = excluded.points, value_scores = excluded.value_scores
               WHERE p.version < excluded.version""",
            rows,
        )


async def merge_assessments(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """rows: (asn_id, period, regency_id, evaluation_id, version, assessor_id, hasil, perilaku, perilaku_points,
    predikat, integrity_finding, submitted_at); returns (asn_id, period, version) that became the latest."""
    if not rows:
        return []
    out = await conn.fetch(
        """INSERT INTO scoring_assessment AS a (asn_id, period, regency_id, evaluation_id, version, assessor_id,
               hasil_rating, perilaku_rating, perilaku_points, predikat, integrity_finding, submitted_at)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::int[], $6::uuid[], $7::text[],
                                $8::text[], $9::numeric[], $10::text[], $11::bool[], $12::timestamptz[])
           ON CONFLICT (asn_id, period) DO UPDATE SET evaluation_id = excluded.evaluation_id,
             version = excluded.version, assessor_id = excluded.assessor_id, hasil_rating = excluded.hasil_rating,
             perilaku_rating = excluded.perilaku_rating, perilaku_points = excluded.perilaku_points,
             predikat = excluded.predikat, integrity_finding = excluded.integrity_finding,
             submitted_at = excluded.submitted_at
           WHERE a.version < excluded.version
           RETURNING asn_id, period, version""",
        *_cols(rows, 12),
    )
    return [(r["asn_id"], r["period"], r["version"]) for r in out]


async def merge_innovations(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """rows: (innovation_id, asn_id, period, regency_id, title)."""
    if rows:
        await conn.execute(
            """INSERT INTO scoring_innovation (innovation_id, asn_id, period, regency_id, title)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[])
               ON CONFLICT (innovation_id) DO NOTHING""",
            *_cols(rows, 5),
        )


async def add_surveys(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> list[asyncpg.Record]:
    """rows: (unit_id, period, regency_id, responses, s1..s9) pre-summed per unit and period for this batch;
    returns each (unit_id, period, responses, sums) as this batch left it."""
    if not rows:
        return []
    return list(
        await conn.fetch(
            """INSERT INTO scoring_unit_survey AS u (unit_id, period, regency_id, responses, sums)
               SELECT unit_id, period, regency_id, n, ARRAY[s1, s2, s3, s4, s5, s6, s7, s8, s9]
               FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::int[], $5::int[], $6::int[], $7::int[],
                           $8::int[], $9::int[], $10::int[], $11::int[], $12::int[], $13::int[])
                    AS v(unit_id, period, regency_id, n, s1, s2, s3, s4, s5, s6, s7, s8, s9)
               ON CONFLICT (unit_id, period) DO UPDATE SET responses = u.responses + excluded.responses,
                 sums = ARRAY(SELECT a + b FROM unnest(u.sums, excluded.sums) AS x(a, b))
               RETURNING unit_id, period, responses, sums""",
            *_cols(rows, 13),
        )
    )


async def merge_complaints(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """rows: (complaint_id, unit_id, regency_id, period, assigned, responded, responded_on_time, resolved,
    resolved_on_time, reopened, confirmed), merged per complaint for this batch."""
    if rows:
        await conn.execute(
            """INSERT INTO scoring_complaint AS c (complaint_id, unit_id, regency_id, period, assigned_asn_id,
                   responded, responded_on_time, resolved, resolved_on_time, reopened, confirmed)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::bool[],
                                    $7::bool[], $8::bool[], $9::bool[], $10::int[], $11::bool[])
               ON CONFLICT (complaint_id) DO UPDATE SET period = coalesce(c.period, excluded.period),
                 assigned_asn_id = coalesce(excluded.assigned_asn_id, c.assigned_asn_id),
                 responded = c.responded OR excluded.responded,
                 responded_on_time = c.responded_on_time OR excluded.responded_on_time,
                 resolved = c.resolved OR excluded.resolved,
                 resolved_on_time = c.resolved_on_time OR excluded.resolved_on_time,
                 reopened = c.reopened + excluded.reopened, confirmed = c.confirmed OR excluded.confirmed""",
            *_cols(rows, 11),
        )


# ---------------------------------------------------------------- which keys a batch touches
async def keys_of_units(conn: asyncpg.Connection, units: Iterable[tuple[UUID, str]]) -> list[tuple[UUID, str, UUID]]:
    """(asn, period, regency) of every ASN with state in these (unit, period) pairs whose unit is public-facing
    (only there does the unit's IKM count in S1): the unit's IKM changed."""
    pairs = list(units)
    if not pairs:
        return []
    rows = await conn.fetch(
        """SELECT p.asn_id, p.period, p.regency_id
           FROM unnest($1::uuid[], $2::text[]) AS u(unit_id, period)
           JOIN org_unit n ON n.unit_id = u.unit_id AND n.public_facing
           JOIN org_asn o ON o.unit_id = u.unit_id
           JOIN scoring_period p ON p.asn_id = o.asn_id AND p.period = u.period""",
        [u for u, _ in pairs],
        [p for _, p in pairs],
    )
    return [(r["asn_id"], r["period"], r["regency_id"]) for r in rows]


async def keys_of_asns(conn: asyncpg.Connection, asns: Iterable[UUID]) -> list[tuple[UUID, str, UUID]]:
    """Every period with state of these ASN (their org placement changed)."""
    rows = await conn.fetch(
        "SELECT asn_id, period, regency_id FROM scoring_period WHERE asn_id = ANY($1::uuid[])", list(asns)
    )
    return [(r["asn_id"], r["period"], r["regency_id"]) for r in rows]


async def keys_of_asn_years(
    conn: asyncpg.Connection, pairs: Iterable[tuple[UUID, int]]
) -> list[tuple[UUID, str, UUID]]:
    """Every period with state of these ASN in these years (their SKP changed)."""
    items = list(pairs)
    rows = await conn.fetch(
        """SELECT p.asn_id, p.period, p.regency_id FROM unnest($1::uuid[], $2::int[]) AS k(asn_id, year)
           JOIN scoring_period p ON p.asn_id = k.asn_id AND left(p.period, 4)::int = k.year""",
        [a for a, _ in items],
        [y for _, y in items],
    )
    return [(r["asn_id"], r["period"], r["regency_id"]) for r in rows]


async def keys_of_unit_members(conn: asyncpg.Connection, units: Iterable[UUID]) -> list[tuple[UUID, str, UUID]]:
    rows = await conn.fetch(
        """SELECT p.asn_id, p.period, p.regency_id FROM org_asn o JOIN scoring_period p USING (asn_id)
           WHERE o.unit_id = ANY($1::uuid[])""",
        list(units),
    )
    return [(r["asn_id"], r["period"], r["regency_id"]) for r in rows]


# ---------------------------------------------------------------- period state
_MATCH = "x.asn_id = k.asn_id AND (x.period = k.period OR (k.period LIKE '%-Y' AND x.year = left(k.period, 4)::int))"
_EXACT = "x.asn_id = k.asn_id AND x.period = k.period"  # indexed; used when no annual key is in the batch


def _match(periods: Iterable[str]) -> str:
    return _MATCH if any(p.endswith("-Y") for p in periods) else _EXACT


async def lock_periods(conn: asyncpg.Connection, keys: Sequence[tuple[UUID, str, UUID]]) -> None:
    """Serialise the recomputation of these (asn, period) keys across workers: open the missing rows, then lock
    them all in one sorted pass. Under READ COMMITTED the statements that follow see every fact committed by
    whoever held a key before, so two workers (a rebalance, a zombie past its session) cannot each count only
    their own half of an ASN's facts and overwrite the other (write skew)."""
    if not keys:
        return
    await conn.execute(
        """INSERT INTO scoring_period (asn_id, period, regency_id)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[]) ORDER BY 1, 2
           ON CONFLICT (asn_id, period) DO NOTHING""",
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
    )
    await conn.execute(
        """SELECT 1 FROM scoring_period p
           JOIN unnest($1::uuid[], $2::text[]) AS k(asn_id, period) USING (asn_id, period)
           ORDER BY p.asn_id, p.period FOR UPDATE OF p""",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )


async def recompute_periods(conn: asyncpg.Connection, keys: Sequence[tuple[UUID, str, UUID]]) -> set[Key]:
    """Rebuild scoring_period for these keys from the fact tables (an annual key sums its year); returns the keys
    whose score inputs among them (working days, days on time, innovations) changed."""
    if not keys:
        return set()
    match = _match(k[1] for k in keys)
    rows = await conn.fetch(
        f"""WITH k AS (SELECT DISTINCT ON (asn_id, period) * FROM unnest($1::uuid[], $2::text[], $3::uuid[])
                       AS k(asn_id, period, regency_id)),
            act AS (SELECT k.asn_id, k.period,
                           coalesce(sum(x.verified_minutes) FILTER (WHERE x.verified), 0) AS vm,
                           count(*) FILTER (WHERE x.verified) AS va,
                           count(*) FILTER (WHERE NOT x.verified AND x.revision > x.rejections) AS pend
                    FROM k JOIN scoring_activity x ON {match} GROUP BY k.asn_id, k.period),
            att AS (SELECT k.asn_id, k.period,
                           count(*) FILTER (WHERE x.status NOT IN ('cuti', 'dinas_luar', 'sakit')) AS wd,
                           count(*) FILTER (WHERE x.status = 'hadir' AND x.late_minutes = 0
                                            AND x.early_minutes = 0) AS ot,
                           count(*) FILTER (WHERE x.late_minutes > 0) AS ld,
                           coalesce(sum(x.late_minutes), 0) AS lm,
                           count(*) FILTER (WHERE x.status = 'alpa') AS ab,
                           count(*) FILTER (WHERE x.status IN ('cuti', 'dinas_luar', 'sakit')) AS ex
                    FROM k JOIN scoring_attendance x ON {match} GROUP BY k.asn_id, k.period),
            inn AS (SELECT k.asn_id, k.period, count(*) AS n
                    FROM k JOIN scoring_innovation x ON x.asn_id = k.asn_id AND (x.period = k.period
                         OR (k.period LIKE '%-Y' AND left(x.period, 4) = left(k.period, 4)))
                    GROUP BY k.asn_id, k.period),
            -- the rows as they were: every CTE of the statement sees the snapshot before the upsert
            old AS (SELECT x.asn_id, x.period, x.working_days, x.days_on_time, x.innovations
                    FROM k JOIN scoring_period x USING (asn_id, period)),
            up AS (
        INSERT INTO scoring_period AS p (asn_id, period, regency_id, verified_minutes, verified_activities,
            pending_activities, working_days, days_on_time, late_days, late_minutes, absent_days, excused_days,
            innovations)
        SELECT k.asn_id, k.period, k.regency_id, coalesce(act.vm, 0), coalesce(act.va, 0), coalesce(act.pend, 0),
               coalesce(att.wd, 0), coalesce(att.ot, 0), coalesce(att.ld, 0), coalesce(att.lm, 0),
               coalesce(att.ab, 0), coalesce(att.ex, 0), coalesce(inn.n, 0)
        FROM k LEFT JOIN act USING (asn_id, period) LEFT JOIN att USING (asn_id, period)
               LEFT JOIN inn USING (asn_id, period)
        ON CONFLICT (asn_id, period) DO UPDATE SET verified_minutes = excluded.verified_minutes,
            verified_activities = excluded.verified_activities, pending_activities = excluded.pending_activities,
            working_days = excluded.working_days, days_on_time = excluded.days_on_time,
            late_days = excluded.late_days, late_minutes = excluded.late_minutes,
            absent_days = excluded.absent_days, excused_days = excluded.excused_days,
            innovations = excluded.innovations
        WHERE (p.verified_minutes, p.verified_activities, p.pending_activities, p.working_days, p.days_on_time,
               p.late_days, p.late_minutes, p.absent_days, p.excused_days, p.innovations)
              IS DISTINCT FROM
              (excluded.verified_minutes, excluded.verified_activities, excluded.pending_activities,
               excluded.working_days, excluded.days_on_time, excluded.late_days, excluded.late_minutes,
               excluded.absent_days, excluded.excused_days, excluded.innovations)
        RETURNING p.asn_id, p.period, p.working_days, p.days_on_time, p.innovations)
        SELECT up.asn_id, up.period FROM up LEFT JOIN old USING (asn_id, period)
        WHERE (old.working_days, old.days_on_time, old.innovations)
              IS DISTINCT FROM (up.working_days, up.days_on_time, up.innovations)""",  # noqa: S608 - constant
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
    )
    return {(r["asn_id"], r["period"]) for r in rows}


async def patch_counts(conn: asyncpg.Connection, keys: Sequence[Key]) -> list[Key]:
    """Copy the period's activity counts into the score's detail (what a rescore would write: these keys' score
    inputs did not change) in one statement; returns the keys that have no score row yet (to be scored)."""
    if not keys:
        return []
    rows = await conn.fetch(
        """WITH k AS (SELECT * FROM unnest($1::uuid[], $2::text[]) AS k(asn_id, period)),
            patched AS (
              UPDATE scoring_score s SET detail = s.detail || jsonb_build_object(
                  'verified_minutes', p.verified_minutes, 'verified_activities', p.verified_activities,
                  'pending_activities', p.pending_activities)
              FROM k JOIN scoring_period p USING (asn_id, period)
              WHERE s.asn_id = k.asn_id AND s.period = k.period
                AND (s.detail -> 'verified_minutes', s.detail -> 'verified_activities',
                     s.detail -> 'pending_activities')
                    IS DISTINCT FROM (to_jsonb(p.verified_minutes), to_jsonb(p.verified_activities),
                                      to_jsonb(p.pending_activities))
              RETURNING s.asn_id)
           SELECT k.asn_id, k.period FROM k
           WHERE NOT EXISTS (SELECT 1 FROM scoring_score s WHERE s.asn_id = k.asn_id AND s.period = k.period)""",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    return [(r["asn_id"], r["period"]) for r in rows]


async def recompute_month_minutes(conn: asyncpg.Connection, months: Sequence[tuple[UUID, Any]]) -> None:
    """Keep migration 0001's verified minutes per ASN per month (Table T1 quota) from the activity facts."""
    if not months:
        return
    await conn.execute(
        """INSERT INTO activity_minutes AS m (asn_id, month, regency_id, minutes, activities)
           SELECT x.asn_id, k.month, min(x.regency_id::text)::uuid, sum(x.verified_minutes), count(*)
           FROM (SELECT DISTINCT * FROM unnest($1::uuid[], $2::date[]) AS k(asn_id, month)) k
           JOIN scoring_activity x ON x.asn_id = k.asn_id
                AND x.activity_date >= k.month AND x.activity_date < k.month + interval '1 month'
           WHERE x.verified
           GROUP BY x.asn_id, k.month
           ON CONFLICT (asn_id, month) DO UPDATE SET minutes = excluded.minutes, activities = excluded.activities
           WHERE (m.minutes, m.activities) IS DISTINCT FROM (excluded.minutes, excluded.activities)""",
        [a for a, _ in months],
        [m for _, m in months],
    )


# ---------------------------------------------------------------- score inputs
async def score_inputs(conn: asyncpg.Connection, keys: Sequence[Key]) -> dict[str, list[asyncpg.Record]]:
    """Everything the score of these keys needs, in a handful of set-based reads."""
    asns = [k[0] for k in keys]
    periods = [k[1] for k in keys]
    out: dict[str, list[asyncpg.Record]] = {}
    out["period"] = await conn.fetch(
        """SELECT p.*, o.asn_id IS NOT NULL AS known, o.unit_id, o.superior_id, o.name AS asn_name,
                  coalesce(u.public_facing, false) AS public_facing,
                  s.unit_id IS NOT NULL AS survey, s.responses, s.sums
           FROM unnest($1::uuid[], $2::text[]) AS k(asn_id, period)
           JOIN scoring_period p USING (asn_id, period)
           LEFT JOIN org_asn o ON o.asn_id = p.asn_id
           LEFT JOIN org_unit u ON u.unit_id = o.unit_id
           LEFT JOIN scoring_unit_survey s ON s.unit_id = o.unit_id AND s.period = p.period""",
        asns,
        periods,
    )
    out["indicator"] = await conn.fetch(
        """SELECT i.* FROM scoring_indicator i
           JOIN (SELECT DISTINCT asn_id, left(period, 4)::int AS year FROM unnest($1::uuid[], $2::text[])
                 AS k(asn_id, period)) k ON k.asn_id = i.asn_id AND k.year = i.year
           ORDER BY i.asn_id, i.position""",
        asns,
        periods,
    )
    out["realisasi"] = await conn.fetch(
        """SELECT r.* FROM unnest($1::uuid[], $2::text[]) AS k(asn_id, period)
           JOIN scoring_realisasi r USING (asn_id, period)""",
        asns,
        periods,
    )
    out["progress"] = await conn.fetch(
        f"""SELECT k.asn_id, k.period, x.indicator_id, sum(x.quantity) AS quantity
            FROM unnest($1::uuid[], $2::text[]) AS k(asn_id, period)
            JOIN scoring_activity x ON {_match(periods)}
            WHERE x.verified AND x.revision > 0 AND x.indicator_id IS NOT NULL
              AND x.quantity <> 0  -- adds nothing, and keeps the sum's scale what merge_activities' counts flag says
            GROUP BY k.asn_id, k.period, x.indicator_id""",  # noqa: S608 - constant
        asns,
        periods,
    )
    out["peer"] = await conn.fetch(
        """SELECT x.* FROM unnest($1::uuid[], $2::text[]) AS k(asn_id, period)
           JOIN scoring_peer x USING (asn_id, period)""",
        asns,
        periods,
    )
    out["assessment"] = await conn.fetch(
        """SELECT x.* FROM unnest($1::uuid[], $2::text[]) AS k(asn_id, period)
           JOIN scoring_assessment x USING (asn_id, period)""",
        asns,
        periods,
    )
    out["score"] = await conn.fetch(
        """SELECT x.asn_id, x.period, x.status, x.score, x.predikat, x.inputs, x.detail
           FROM unnest($1::uuid[], $2::text[]) AS k(asn_id, period)
           JOIN scoring_score x USING (asn_id, period)""",
        asns,
        periods,
    )
    return out


async def configs(conn: asyncpg.Connection, regencies: Iterable[UUID]) -> dict[str, list[asyncpg.Record]]:
    ids = list(regencies)
    return {
        "regency": await conn.fetch(
            """SELECT regency_id, periodicity, capaian_cap, rating_above_from, rating_below_under
               FROM regency_config WHERE regency_id = ANY($1::uuid[])""",
            ids,
        ),
        "scoring": await conn.fetch("SELECT * FROM scoring_config WHERE regency_id = ANY($1::uuid[])", ids),
    }


async def previous_results(conn: asyncpg.Connection, keys: Sequence[Key]) -> dict[Key, asyncpg.Record]:
    rows = await conn.fetch(
        """SELECT x.asn_id, x.period, x.score, x.predikat FROM unnest($1::uuid[], $2::text[]) AS k(asn_id, period)
           JOIN scoring_score x USING (asn_id, period) WHERE x.predikat IS NOT NULL""",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    return {(r["asn_id"], r["period"]): r for r in rows}


async def write_scores(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """rows: (asn_id, period, regency_id, status, score, predikat, hasil_capaian, inputs, detail, published)."""
    if rows:
        await conn.execute(
            """INSERT INTO scoring_score AS s (asn_id, period, regency_id, status, score, predikat, hasil_capaian,
                   inputs, detail, changes)
               SELECT asn_id, period, regency_id, status, score, predikat, hc, inputs::jsonb, detail::jsonb, pub
               FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::numeric[], $6::text[],
                           $7::numeric[], $8::text[], $9::text[], $10::int[])
                    AS v(asn_id, period, regency_id, status, score, predikat, hc, inputs, detail, pub)
               ON CONFLICT (asn_id, period) DO UPDATE SET status = excluded.status, score = excluded.score,
                 predikat = excluded.predikat, hasil_capaian = excluded.hasil_capaian, inputs = excluded.inputs,
                 detail = excluded.detail, changes = s.changes + excluded.changes""",
            *_cols(rows, 10),
        )


async def request_notifications(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> set[UUID]:
    """rows: (notification_id, regency_id, asn_id, kind, period, subject, params json); returns the new ids."""
    if not rows:
        return set()
    out = await conn.fetch(
        """INSERT INTO scoring_notification (notification_id, regency_id, asn_id, kind, period, subject, params)
           SELECT nid, rid, aid, kind, period, subject, params::jsonb
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[])
                AS v(nid, rid, aid, kind, period, subject, params)
           ON CONFLICT (notification_id) DO NOTHING RETURNING notification_id""",
        *_cols(rows, 7),
    )
    return {r["notification_id"] for r in out}
