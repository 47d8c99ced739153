"""SKM intake on real PostgreSQL: one response per device (and contact) per unit per period, responses + outbox."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from kinerja_feedback.adapters.hashing import contact_hash, device_hash
from kinerja_feedback.domain.config import ContactMode, RegencyConfig
from kinerja_feedback.domain.errors import InvalidInput
from kinerja_feedback.domain.periods import PeriodKind
from kinerja_feedback.service.common import Directory
from kinerja_feedback.service.survey import Refusal, SurveyAnswer, SurveyIntake
from kinerja_shared.testing.plugin import ProvisionedDatabase

from ..conftest import NOW, Org, rows

pytestmark = pytest.mark.postgres
KEY = b"test-key-0123456789"


def _answer(org: Org, device: str, **kw: object) -> SurveyAnswer:
    base: dict[str, object] = {"unit_id": org.unit_id, "answers": [4, 3, 3, 4, 3, 4, 4, 3, 2]}
    base |= kw
    return SurveyAnswer(device_hash=device_hash(KEY, device), **base)  # type: ignore[arg-type]


async def test_second_survey_from_the_same_device_is_refused_and_others_are_unaffected(
    pool: asyncpg.Pool, org: Org, feedback_db: ProvisionedDatabase
) -> None:
    intake = SurveyIntake(pool, Directory(pool))
    first = await intake.submit(_answer(org, "hp-siti"), NOW)
    again = await intake.submit(_answer(org, "hp-siti", answers=[1] * 9), NOW)
    other = await intake.submit(_answer(org, "hp-budi"), NOW)
    assert first.accepted and first.period == "2026-Q4"
    assert not again.accepted and again.refused is Refusal.DEVICE
    assert other.accepted
    stored = await rows(feedback_db, "SELECT response_id, answers FROM survey_response ORDER BY submitted_at")
    assert {r["response_id"] for r in stored} == {first.response_id, other.response_id}
    assert all(r["answers"] == [4, 3, 3, 4, 3, 4, 4, 3, 2] for r in stored)  # the refused one changed nothing
    events = await rows(feedback_db, "SELECT key, headers, payload FROM outbox ORDER BY id")
    assert [e["key"] for e in events] == [str(org.unit_id)] * 2  # keyed by unit
    body = json.loads(events[0]["payload"])
    assert body["answers"] == [4, 3, 3, 4, 3, 4, 4, 3, 2] and body["period"] == "2026-Q4"
    assert "device" not in json.dumps(body)
    # the next period is a new survey for the same phone
    later = await intake.submit(_answer(org, "hp-siti"), datetime(2027, 1, 5, 2, tzinfo=UTC))
    assert later.accepted and later.period == "2027-Q1"


async def test_repeats_inside_one_concurrent_burst_keep_only_the_first(pool: asyncpg.Pool, org: Org) -> None:
    intake = SurveyIntake(pool, Directory(pool))
    results = await asyncio.gather(*(intake.submit(_answer(org, f"hp-{i % 50}"), NOW) for i in range(200)))
    assert sum(r.accepted for r in results) == 50
    assert {r.refused for r in results if not r.accepted} == {Refusal.DEVICE}


async def test_a_contact_already_used_is_refused_even_from_a_new_device_and_gives_its_device_back(
    pool: asyncpg.Pool, org: Org, feedback_db: ProvisionedDatabase
) -> None:
    intake = SurveyIntake(pool, Directory(pool))
    phone = contact_hash(KEY, "0812-3456-7890")
    assert (await intake.submit(_answer(org, "hp-a", contact_hash=phone), NOW)).accepted
    same_person = await intake.submit(_answer(org, "hp-b", contact_hash=contact_hash(KEY, "+62 812 3456 7890")), NOW)
    assert not same_person.accepted and same_person.refused is Refusal.CONTACT
    # the refused answer's device key was released: that phone can still answer without the contact
    assert (await intake.submit(_answer(org, "hp-b"), NOW)).accepted
    assert len(await rows(feedback_db, "SELECT 1 FROM survey_guard")) == 3


async def test_regency_config_sets_the_period_and_can_require_a_contact(
    pool: asyncpg.Pool, org: Org, feedback_db: ProvisionedDatabase
) -> None:
    from kinerja_feedback.adapters import postgres as db
    from kinerja_shared.db import tenant_transaction

    async with tenant_transaction(pool, [org.regency_id]) as conn:
        await db.save_regency_config(
            conn, org.regency_id, RegencyConfig(survey_period=PeriodKind.MONTH, contact_mode=ContactMode.REQUIRED)
        )
    intake = SurveyIntake(pool, Directory(pool))
    with pytest.raises(InvalidInput) as no_contact:
        await intake.submit(_answer(org, "hp-c"), NOW)
    assert no_contact.value.field == "contact"
    ok = await intake.submit(_answer(org, "hp-c", contact_hash=contact_hash(KEY, "warga@contoh.id")), NOW)
    assert ok.accepted and ok.period == "2026-M11"


async def test_bad_input_is_refused_before_anything_is_stored(
    pool: asyncpg.Pool, org: Org, feedback_db: ProvisionedDatabase
) -> None:
    intake = SurveyIntake(pool, Directory(pool))
    cases = [
        (_answer(org, "x", answers=[4] * 8), "answers"),
        (_answer(org, "x", answers=[4, 4, 4, 5, 4, 4, 4, 4, 4]), "answers.3"),
        (_answer(org, "x", unit_id=uuid.uuid4()), "unit_id"),
        (_answer(org, "x", unit_id=org.office_id), "unit_id"),
        (_answer(org, "x", suggestion="a" * 2001), "suggestion"),
        (_answer(org, "x", gender="X"), "gender"),
    ]
    for answer, field in cases:
        with pytest.raises(InvalidInput) as e:
            await intake.submit(answer, NOW)
        assert e.value.field == field
    assert await rows(feedback_db, "SELECT 1 FROM survey_response") == []
    assert await rows(feedback_db, "SELECT 1 FROM outbox") == []


async def test_group_commit_stores_every_concurrent_answer_with_its_own_event_in_shared_transactions(
    pool: asyncpg.Pool, org: Org, feedback_db: ProvisionedDatabase
) -> None:
    intake = SurveyIntake(pool, Directory(pool))
    traces = [uuid.uuid4().hex for _ in range(300)]
    results = await asyncio.gather(
        *(intake.submit(_answer(org, f"hp-{i}"), NOW, trace_id=t) for i, t in enumerate(traces))
    )
    assert all(r.accepted for r in results)
    stored = await rows(feedback_db, "SELECT response_id, xmin::text AS tx FROM survey_response")
    assert {r["response_id"] for r in stored} == {r.response_id for r in results}
    assert len({r["tx"] for r in stored}) < 300  # answers shared transactions (group commit)
    events = await rows(feedback_db, "SELECT event_id, headers, payload FROM outbox ORDER BY id")
    assert len({e["event_id"] for e in events}) == 300
    by_response = {json.loads(e["payload"])["response_id"]: dict(e["headers"]) for e in events}
    assert set(by_response) == {str(r.response_id) for r in results}
    # each event carries the trace of the request that produced it, not the batch's first one
    for r, t in zip(results, traces, strict=True):
        assert by_response[str(r.response_id)]["ce_traceparent"].split("-")[1] == t


async def test_an_answer_postgres_refuses_fails_alone_and_the_rest_of_its_batch_is_kept(
    pool: asyncpg.Pool, org: Org, feedback_db: ProvisionedDatabase
) -> None:
    from dataclasses import replace

    intake = SurveyIntake(pool, Directory(pool))
    prepared = [await intake.prepare(_answer(org, f"hp-{i % 40}"), NOW) for i in range(60)]  # 20 repeats
    # past validation, yet refused by PostgreSQL inside the shared transaction: a NUL byte, an answer of 5
    prepared[7].answer = replace(prepared[7].answer, suggestion="ok\x00")
    prepared[33].answers = (5, 4, 4, 4, 4, 4, 4, 4, 4)
    results = await asyncio.gather(*(intake.commit(p) for p in prepared), return_exceptions=True)
    failed = [i for i, r in enumerate(results) if isinstance(r, BaseException)]
    assert failed == [7, 33]
    assert all(isinstance(results[i], asyncpg.PostgresError) for i in failed)
    outcomes = [r for r in results if not isinstance(r, BaseException)]
    accepted = {r.response_id for r in outcomes if r.accepted}
    # 40 devices; device 33 sent only its failed answer, device 7's repeat (47) is now its first and gets in
    assert len(accepted) == 39
    assert results[47].accepted  # type: ignore[union-attr]
    assert {r.refused for r in outcomes if not r.accepted} == {Refusal.DEVICE}
    stored = {r["response_id"] for r in await rows(feedback_db, "SELECT response_id FROM survey_response")}
    events = await rows(feedback_db, "SELECT payload FROM outbox")
    assert stored == accepted == {uuid.UUID(json.loads(e["payload"])["response_id"]) for e in events}
    assert len(await rows(feedback_db, "SELECT 1 FROM survey_guard")) == 39  # no key left by a failed answer


async def test_one_transaction_per_answer_mode_keeps_the_same_rules(
    pool: asyncpg.Pool, org: Org, feedback_db: ProvisionedDatabase
) -> None:
    intake = SurveyIntake(pool, Directory(pool), group_commit=False)
    results = await asyncio.gather(*(intake.submit(_answer(org, f"hp-{i % 10}"), NOW) for i in range(30)))
    assert sum(r.accepted for r in results) == 10
    stored = await rows(feedback_db, "SELECT xmin::text AS tx FROM survey_response")
    assert len({r["tx"] for r in stored}) == 10 == len(await rows(feedback_db, "SELECT 1 FROM outbox"))


async def test_a_nul_character_in_free_text_is_refused_before_the_database(pool: asyncpg.Pool, org: Org) -> None:
    intake = SurveyIntake(pool, Directory(pool))
    with pytest.raises(InvalidInput) as e:
        await intake.submit(_answer(org, "hp-nul", suggestion="bagus\x00"), NOW)
    assert e.value.field == "suggestion"
