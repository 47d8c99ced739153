"""Events reach the real broker through the outbox relay, keyed by internal UUID, valid against their JSON Schema,
with no NIP anywhere in key, headers or body."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import jsonschema
import pytest

import kinerja_shared
from kinerja_evaluation.examples import example_skp, roster_csv
from kinerja_evaluation.service import realisasi as real
from kinerja_evaluation.service import skp as svc
from kinerja_evaluation.service.models import RealisasiIn, SkpIn
from kinerja_evaluation.service.org import import_roster
from kinerja_shared.contracts import Envelope
from kinerja_shared.messaging.outbox import OutboxRelay
from kinerja_shared.testing.helpers import read_all, wait_until
from kinerja_shared.testing.plugin import MakeNamespace
from kinerja_shared.topics import EVALUATION, ORG

from ..conftest import NOW, Env, small_roster

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

SCHEMAS = Path(kinerja_shared.__file__).resolve().parents[2] / "schemas"


async def test_org_and_skp_events_arrive_keyed_and_schema_valid(env: Env, make_namespace: MakeNamespace) -> None:
    kafka = await make_namespace(partitions=2)
    roster = small_roster()
    assert (await import_roster(env.pool, env.admin(), "p.csv", roster_csv(roster), now=NOW)).accepted
    ids = await env.asn_ids()
    staff = env.asn(ids[roster[2]["nip"]], "Staf")
    kadis = env.asn(ids[roster[1]["nip"]], "Kadis", superior=True)
    skp_id = await svc.create_skp(env.pool, staff, SkpIn.model_validate(example_skp("puskesmas_staff", 2026)), now=NOW)
    await svc.submit_skp(env.pool, staff, skp_id, now=NOW)
    await svc.request_revision(env.pool, kadis, skp_id, "Tambahkan target waktu tunggu yang lebih ketat.", now=NOW)
    await svc.submit_skp(env.pool, staff, skp_id, now=NOW)
    await svc.approve_skp(env.pool, kadis, skp_id, now=NOW)
    view = await svc.get_skp(env.pool, staff, skp_id)
    patients = view.rhk[0].indicators[0].indicator_id
    later = NOW + timedelta(days=30)
    await real.report_realisasi(env.pool, staff, patients, RealisasiIn(period="2026-Q1", value=Decimal(420)), now=later)
    await real.confirm_realisasi(env.pool, kadis, patients, "2026-Q1", now=later)

    stop = asyncio.Event()
    relay = OutboxRelay(env.pool, env.db.app_url, kafka, service="evaluation", idle_poll_s=0.2)
    task = asyncio.create_task(relay.run(stop))
    try:

        async def drained() -> bool:
            return not await env.owner_rows("SELECT 1 FROM outbox WHERE sent_at IS NULL")

        await wait_until(drained, timeout=60, what="the outbox relayed")
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)

    org_records = await read_all(kafka, kafka.topic(ORG))
    eval_records = await read_all(kafka, kafka.topic(EVALUATION))
    nips = [r["nip"] for r in roster]
    seen: dict[str, list[Envelope]] = {}
    for rec in [*org_records, *eval_records]:
        blob = (rec.key or b"") + (rec.value or b"") + b"".join(v for _, v in rec.headers)
        assert not any(n.encode() in blob for n in nips), "a NIP left the service"
        env_ = Envelope.from_kafka(rec.key, rec.value, rec.headers)
        event = env_.decode()
        schema = json.loads((SCHEMAS / f"{env_.type}.json").read_text())
        jsonschema.Draft202012Validator(schema).validate(json.loads(rec.value or b""))
        assert env_.key == str(getattr(event, schema["x-kafka-key"]))
        UUID(env_.key)  # an internal UUID, nothing else
        seen.setdefault(env_.type.split(".")[-2], []).append(env_)

    assert len(seen["asn_upserted"]) == 4 and len(seen["unit_upserted"]) == 3
    assert {e.key for e in seen["asn_upserted"]} == {str(i) for i in ids.values()}
    for kind in ("skp_submitted", "skp_revision_requested", "skp_approved", "realisasi_reported",
                 "realisasi_confirmed"):  # fmt: skip
        assert {e.key for e in seen[kind]} == {str(staff.asn_id)}, kind
    assert len(seen["skp_submitted"]) == 2
    approved = json.loads(seen["skp_approved"][0].data)
    assert [(i["name"], i["target"], i["direction"], i["weight"]) for i in approved["indicators"]] == [
        ("Jumlah pasien terlayani per bulan", "400", "higher", "60"),
        ("Rata-rata waktu tunggu pasien", "30", "lower", "40"),
        ("Penyuluhan posyandu terlaksana", "12", "higher", "100"),
    ]
    confirmed = json.loads(seen["realisasi_confirmed"][0].data)
    assert (confirmed["realisasi"], confirmed["capaian"]) == ("420", "105.00")  # Table P3: 420 / 400 × 100
    # one ASN's facts stay in order on one partition
    parts = {r.partition for r in eval_records}
    assert len(parts) == 1
