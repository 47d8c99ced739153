"""Province roles compare regencies: the pooled IKM of a regency's units (Table Q1 on all their answers), on real
PostgreSQL under row-level security; regencies of another province are not shown."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from kinerja_feedback.domain.ikm import compute
from kinerja_feedback.service.ikm import province_overview
from kinerja_shared.testing.plugin import ProvisionedDatabase

from ..conftest import NOW, Org
from ..conftest import rows as owner_rows


async def _answer(db: ProvisionedDatabase, regency: uuid.UUID, unit: uuid.UUID, answers: list[int]) -> None:
    await owner_rows(
        db,
        "INSERT INTO survey_response (response_id, regency_id, unit_id, period, answers, submitted_at)"
        " VALUES ($1, $2, $3, '2026-Q4', $4, $5) RETURNING 1",
        uuid.uuid4(), regency, unit, answers, NOW,
    )  # fmt: skip


async def test_table_q1_pooled_per_regency_only_for_the_callers_province(
    feedback_db: ProvisionedDatabase, org: Org, pool: asyncpg.Pool
) -> None:
    [tebo] = await owner_rows(feedback_db, "SELECT province_id FROM org_regency WHERE regency_id = $1", org.regency_id)
    province = tebo["province_id"]
    second_unit = uuid.uuid4()
    answers = [[4, 4, 3, 4, 3, 4, 4, 3, 4], [3, 3, 3, 2, 3, 3, 4, 3, 3], [4, 3, 4, 4, 4, 4, 4, 4, 3]]
    for a in answers[:2]:
        await _answer(feedback_db, org.regency_id, org.unit_id, a)
    await _answer(feedback_db, org.regency_id, second_unit, answers[2])
    await _answer(feedback_db, org.other_regency_id, uuid.uuid4(), [1] * 9)  # Bungo: another province here

    [row] = await province_overview(pool, province, "2026-Q4", date(2026, 11, 27))
    expected = compute("2026-Q4", answers, population=None)
    assert row.regency_id == org.regency_id and row.name == "Kabupaten Tebo"
    assert (row.result.respondents, row.units_surveyed) == (3, 2)
    assert row.result.ikm == expected.ikm and row.result.mutu == expected.mutu
    assert (row.complaints, row.complaints_open, row.complaints_overdue) == (0, 0, 0)

    [empty] = await province_overview(pool, province, "2026-Q3", date(2026, 11, 27))
    assert empty.result.respondents == 0 and empty.result.ikm is None
    assert await province_overview(pool, uuid.uuid4(), "2026-Q4", date(2026, 11, 27)) == []
