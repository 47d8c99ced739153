"""Seeding helpers of the follow-up tests: periodic results, attendance and R1 requests as the scoring engine
leaves them in its tables (its own tests cover how it gets there from events)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from kinerja_evaluation.domain.capaian import Rating
from kinerja_evaluation.domain.predikat import predikat
from kinerja_shared.db import tenant_transaction
from kinerja_shared.web import JAKARTA

from ..conftest import Env

R = {"A": Rating.DI_ATAS, "S": Rating.SESUAI, "B": Rating.DI_BAWAH}


async def periodic(env: Env, asn_id: uuid.UUID, period: str, hasil: str, perilaku: str, score: str) -> None:
    """A submitted periodic evaluation with its score (scoring_assessment + scoring_score)."""
    p = predikat(R[hasil], R[perilaku])
    async with tenant_transaction(env.pool, [env.regency_id]) as conn:
        await conn.execute(
            """INSERT INTO scoring_assessment (asn_id, period, regency_id, evaluation_id, version, assessor_id,
                   hasil_rating, perilaku_rating, perilaku_points, predikat, integrity_finding, submitted_at)
               VALUES ($1, $2, $3, $4, 1, $5, $6, $7, 80, $8, false, now())
               ON CONFLICT (asn_id, period) DO UPDATE SET hasil_rating = $6, perilaku_rating = $7, predikat = $8""",
            asn_id,
            period,
            env.regency_id,
            uuid.uuid4(),
            uuid.uuid4(),
            R[hasil].value,
            R[perilaku].value,
            p.value,
        )
        await conn.execute(
            """INSERT INTO scoring_score (asn_id, period, regency_id, status, score, predikat)
               VALUES ($1, $2, $3, 'dihitung', $4, $5)
               ON CONFLICT (asn_id, period) DO UPDATE SET score = $4, predikat = $5""",
            asn_id,
            period,
            env.regency_id,
            Decimal(score),
            p.value,
        )


async def attendance(env: Env, asn_id: uuid.UUID, days: Sequence[tuple[date, str, int]]) -> None:
    """Working days (date, status, late + early minutes) as scoring_attendance keeps them."""
    async with tenant_transaction(env.pool, [env.regency_id]) as conn:
        for d, status, minutes in days:
            await conn.execute(
                """INSERT INTO scoring_attendance (asn_id, work_date, regency_id, period, year, status, late_minutes,
                       early_minutes, version, event_id) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, now(), $8)""",
                asn_id,
                d,
                env.regency_id,
                f"{d.year}-Q{(d.month - 1) // 3 + 1}",
                d.year,
                status,
                minutes,
                uuid.uuid4(),
            )


async def r1_request(env: Env, asn_id: uuid.UUID, kind: str, period: str) -> uuid.UUID:
    """What the scoring engine stages for a Table R1 trigger (the 0200 trigger opens the case)."""
    nid = uuid.uuid4()
    async with tenant_transaction(env.pool, [env.regency_id]) as conn:
        await conn.execute(
            """INSERT INTO scoring_notification (notification_id, regency_id, asn_id, kind, period)
               VALUES ($1, $2, $3, $4, $5)""",
            nid,
            env.regency_id,
            asn_id,
            kind,
            period,
        )
    return nid


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=JAKARTA)


def march_days() -> list[tuple[date, str, int]]:
    """March 2026: 20 days on time, one 45 minutes late (1%), one alpa (3%)."""
    start = date(2026, 3, 2)
    days: list[tuple[date, str, int]] = []
    d = start
    while len(days) < 22:
        if d.weekday() < 5:
            days.append((d, "hadir", 0))
        d += timedelta(days=1)
    days[3] = (days[3][0], "hadir", 45)
    days[7] = (days[7][0], "alpa", 0)
    return days
