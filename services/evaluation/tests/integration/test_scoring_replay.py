"""Item 6: the replay command rebuilds the read model from offset 0 into a fresh schema and compares it."""

from __future__ import annotations

import pytest

from kinerja_evaluation.bootstrap import DEFINITION
from kinerja_evaluation.entrypoints.scoring_replay import replay
from kinerja_evaluation.settings import EvaluationSettings
from kinerja_shared.contracts import Envelope
from kinerja_shared.db import connect
from kinerja_shared.testing.plugin import MakeDatabase, MakeNamespace

from ..service.test_scoring_engine import scoring_database
from .test_scoring_kafka import drained, generate, publish, running_worker

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_replay_from_offset_zero_equals_the_live_read_model(
    make_database: MakeDatabase, make_namespace: MakeNamespace
) -> None:
    w = generate(3000, seed=11)
    db = await scoring_database(make_database)
    kafka = await make_namespace(partitions=3)
    envs = [Envelope.wrap(e) for e in [*w.org, *w.activity, *w.feedback, *w.evaluation, *w.assessments]]
    async with running_worker(db.app_url, kafka, batch_size=500):
        await publish(kafka, envs)
        await drained(kafka, "evaluation", DEFINITION.consumes)
    settings = EvaluationSettings(database_url=db.app_url, migration_database_url=db.owner_url, kafka=kafka)
    report = await replay(settings, compare=True, batch_size=700)  # other batch boundaries than the live run
    assert report.events == len(envs) and report.rejected == 0
    assert report.equal, [d for d in report.diffs if not d.equal]
    assert {d.table: d.live for d in report.diffs}["scoring_score"] > 0

    # a live row that no fact explains is found
    conn = await connect(db.owner_url)
    try:
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
        await conn.execute(
            "UPDATE scoring_period SET verified_minutes = verified_minutes + 1"
            " WHERE (asn_id, period) = (SELECT asn_id, period FROM scoring_period LIMIT 1)"
        )
    finally:
        await conn.close()
    report = await replay(settings, compare=True)
    assert [(d.table, d.only_live, d.only_replayed) for d in report.diffs if not d.equal] == [("scoring_period", 1, 1)]
    # the replay schemas are dropped afterwards
    conn = await connect(db.owner_url)
    try:
        assert not await conn.fetch("SELECT 1 FROM pg_namespace WHERE nspname LIKE 'replay_%'")
    finally:
        await conn.close()
