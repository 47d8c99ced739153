"""Issue 11: evaluation's use cases append to the hash-chained audit log in their own transaction
(docs/security.md "Actions services must record")."""

from __future__ import annotations

from uuid import UUID

import pytest

from kinerja_evaluation.domain.errors import NotAllowed
from kinerja_evaluation.examples import example_skp
from kinerja_evaluation.service import skp as svc
from kinerja_evaluation.service.models import SkpIn
from kinerja_shared import audit
from kinerja_shared.db import connect

from ..conftest import NOW, Env

pytestmark = pytest.mark.postgres


async def _audit_rows(env: Env) -> list[dict[str, object]]:
    rows = await env.owner_rows(
        "SELECT seq, action, subject_id, actor_sub, detail, prev_hash, hash FROM audit_log ORDER BY seq"
    )
    return [dict(r) for r in rows]


async def test_skp_decisions_and_views_leave_one_chained_row_each(env: Env, office: dict[str, UUID]) -> None:
    staff = env.asn(office["staff"], "Staf")
    kadis = env.asn(office["kadis"], "Kadis", superior=True)
    skp_id = await svc.create_skp(
        env.pool, staff, SkpIn.model_validate(example_skp("transport_officer", 2026)), now=NOW
    )
    before = len(await _audit_rows(env))
    await svc.submit_skp(env.pool, staff, skp_id, now=NOW)
    await svc.request_revision(env.pool, kadis, skp_id, "Target perlu diperjelas untuk triwulan dua.", now=NOW)
    await svc.submit_skp(env.pool, staff, skp_id, now=NOW)
    await svc.approve_skp(env.pool, kadis, skp_id, now=NOW)
    await svc.get_skp(env.pool, staff, skp_id, today=NOW.date())  # one's own SKP: not a disclosure
    await svc.get_skp(env.pool, kadis, skp_id, today=NOW.date())  # the superior reads it: recorded
    with pytest.raises(NotAllowed):  # a peer is refused, and a refused read leaves nothing
        await svc.get_skp(env.pool, env.asn(office["peer"], "Rekan"), skp_id, today=NOW.date())

    rows = (await _audit_rows(env))[before:]
    assert [(r["action"], r["actor_sub"]) for r in rows] == [
        ("skp.submit", str(office["staff"])),
        ("skp.reject", str(office["kadis"])),
        ("skp.submit", str(office["staff"])),
        ("skp.approve", str(office["kadis"])),
        ("skp.view", str(office["kadis"])),
    ]
    assert all(r["subject_id"] == skp_id for r in rows)
    assert rows[3]["detail"] == {"asn_id": str(office["staff"]), "year": 2026, "version": 1}
    all_rows = await _audit_rows(env)
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(all_rows, all_rows[1:], strict=False))
    conn = await connect(env.db.owner_url)
    try:
        assert (await audit.verify(conn)).ok
    finally:
        await conn.close()


async def test_a_refused_decision_rolls_its_audit_row_back(env: Env, office: dict[str, UUID]) -> None:
    staff = env.asn(office["staff"], "Staf")
    skp_id = await svc.create_skp(
        env.pool, staff, SkpIn.model_validate(example_skp("transport_officer", 2026)), now=NOW
    )
    await svc.submit_skp(env.pool, staff, skp_id, now=NOW)
    before = len(await _audit_rows(env))
    with pytest.raises(NotAllowed):
        await svc.approve_skp(env.pool, env.asn(office["peer"], "Rekan", superior=True), skp_id, now=NOW)
    assert len(await _audit_rows(env)) == before
