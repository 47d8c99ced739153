"""Public events on the real broker: finalised results leave on kinerja.public.performance.v1 through the outbox,
pseudonymised with the regency-keyed HMAC; every record is scanned for any NIP, NIK, name or e-mail of the test data
(and the internal UUIDs), and is valid against its JSON Schema. Internal facts (PeriodFinalized) go to
kinerja.evaluation.v1; a key rotation changes every pseudonym."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import jsonschema
import pytest

import kinerja_shared
from kinerja_evaluation.domain.capaian import Rating
from kinerja_evaluation.domain.predikat import Predikat
from kinerja_evaluation.examples import roster_csv
from kinerja_evaluation.service import annual, keberatan
from kinerja_evaluation.service import followup_common as common
from kinerja_evaluation.service.annual import AnnualRatingIn
from kinerja_evaluation.service.keberatan import DecisionIn, KeberatanIn
from kinerja_evaluation.service.org import import_roster
from kinerja_shared.contracts import Envelope
from kinerja_shared.messaging.outbox import OutboxRelay
from kinerja_shared.pseudonym import Pseudonymizer, new_key_spec, parse_keys
from kinerja_shared.testing.helpers import read_all, wait_until
from kinerja_shared.testing.pii import PiiScanner
from kinerja_shared.testing.plugin import MakeNamespace
from kinerja_shared.topics import EVALUATION, PUBLIC_PERFORMANCE

from ..conftest import NOW, Env, small_roster
from ..service.followup_fixtures import at, periodic

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]

SCHEMAS = Path(kinerja_shared.__file__).resolve().parents[2] / "schemas"
# NIK: the 16-digit population number; it is not in the roster, but a test datum must not leak if it were
NIKS = ("1509014101900001", "1509015202850002", "1509016303800003", "1509017404750004")


def roster_with_email() -> list[dict[str, str]]:
    rows = small_roster()
    for i, r in enumerate(rows):
        r["email"] = f"pegawai{i}.tebo@contoh.go.id"
    return rows


async def relay_all(env: Env, kafka: object) -> None:
    stop = asyncio.Event()
    relay = OutboxRelay(env.pool, env.db.app_url, kafka, service="evaluation", idle_poll_s=0.2)  # type: ignore[arg-type]
    task = asyncio.create_task(relay.run(stop))
    try:

        async def drained() -> bool:
            return not await env.owner_rows("SELECT 1 FROM outbox WHERE sent_at IS NULL")

        await wait_until(drained, timeout=60, what="the outbox relayed")
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_public_events_carry_no_personal_data(env: Env, make_namespace: MakeNamespace) -> None:
    kafka = await make_namespace(partitions=2)
    roster = roster_with_email()
    assert (await import_roster(env.pool, env.admin(), "p.csv", roster_csv(roster), now=NOW)).accepted
    ids = await env.asn_ids()
    sekda, kadis, staff, peer = (ids[r["nip"]] for r in roster)
    for who, (h, p) in ((staff, ("A", "A")), (peer, ("S", "B")), (kadis, ("S", "S"))):
        await periodic(env, who, "2026-Q4", h, p, "81.5")
    boss = env.asn(kadis, "Kadis", superior=True)
    await annual.rate_annual(env.pool, boss, staff, 2026, AnnualRatingIn(Rating.DI_ATAS, Rating.DI_ATAS))
    await annual.rate_annual(env.pool, boss, peer, 2026, AnnualRatingIn(Rating.SESUAI, Rating.DI_BAWAH))
    await annual.rate_annual(
        env.pool, env.asn(sekda, superior=True), kadis, 2026, AnnualRatingIn(Rating.SESUAI, Rating.SESUAI)
    )
    await annual.finalise(env.pool, env.admin(), "2026-Q4", acknowledge_violations=True, now=at("2027-01-05"))
    await annual.finalise(env.pool, env.admin(), "2026-Y", acknowledge_violations=True, now=at("2027-01-10"))
    filed = await keberatan.file(
        env.pool, env.asn(peer), KeberatanIn("2026-Y", "Perilaku dinilai tanpa dasar bukti."), now=at("2027-01-12")
    )
    await keberatan.decide(
        env.pool,
        env.asn(sekda, superior=True),
        uuid.UUID(filed["keberatan_id"]),
        DecisionIn(True, "Bukti perilaku tidak ada.", Predikat.BAIK),
        now=at("2027-01-13"),
    )
    await relay_all(env, kafka)

    public = await read_all(kafka, kafka.topic(PUBLIC_PERFORMANCE))
    internal = await read_all(kafka, kafka.topic(EVALUATION))
    # Q4: three periodic results; 2026-Y: staff, peer, kadis; one correction after the keberatan
    assert len(public) == 7
    forbidden: list[str] = []
    for r in roster:
        forbidden += [r["nip"], r["nama"], r["email"], r["nip"][:8]]  # the NIP's birth-date prefix too
        forbidden += r["nama"].split(" (")[:1]
    forbidden += list(NIKS) + [str(x) for x in ids.values()] + [str(x) for x in ids.values()]
    units = await env.owner_rows("SELECT unit_id, name FROM unit")
    forbidden += [str(u["unit_id"]) for u in units]
    schema = json.loads((SCHEMAS / "id.kinerja.public.performance_published.v1.json").read_text())
    # and the shared shape-based scanner (any NIP/NIK/e-mail/phone shape, the roster's names)
    scanner = PiiScanner(names=[r["nama"] for r in roster])
    assert [f for rec in public for f in scanner.scan_record(rec)] == []
    assert scanner.scanned["records"] == len(public)
    keys = set()
    for rec in public:
        blob = ((rec.key or b"") + (rec.value or b"") + b"".join(v for _, v in rec.headers)).decode().lower()
        leaked = [f for f in forbidden if f.lower() in blob]
        assert not leaked, f"personal data in a public event: {leaked}"
        jsonschema.Draft202012Validator(schema).validate(json.loads(rec.value or b""))
        event = Envelope.from_kafka(rec.key, rec.value, rec.headers).decode()
        assert event.key_id == "dev" and event.unit_pseudonym is not None
        keys.add(rec.key)
    assert len(keys) == 3  # one stable pseudonym per ASN across periods and corrections
    finals = [Envelope.from_kafka(r.key, r.value, r.headers) for r in internal]
    assert sum(1 for e in finals if e.type == "id.kinerja.evaluation.period_finalized.v1") == 6
    assert {e.type for e in finals} >= {
        "id.kinerja.evaluation.keberatan_filed.v1",
        "id.kinerja.evaluation.keberatan_decided.v1",
    }


def test_pseudonyms_are_per_regency_and_change_with_the_key() -> None:
    asn, regency_a, regency_b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    old = Pseudonymizer(parse_keys(new_key_spec("2026a")))
    rotated = Pseudonymizer(parse_keys(new_key_spec("2027a")) + list(old.keys))
    a = common.asn_pseudonym(old, regency_a, asn)
    assert a != common.asn_pseudonym(old, regency_b, asn)  # regencies never line up
    assert a != common.asn_pseudonym(rotated, regency_a, asn)  # the new key gives a new pseudonym
    assert common.asn_pseudonym(rotated, regency_a, asn) != str(asn)
    # the old pseudonym still resolves while the old key is configured (rotation window)
    assert rotated.resolve(a, [uuid.uuid4(), asn], kind=f"asn.{regency_a}") == (asn, "2026a")
