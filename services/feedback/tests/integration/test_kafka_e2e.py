"""End to end on real Kafka + PostgreSQL: the api and worker processes, org facts in, feedback facts out.

Org facts arrive on kinerja.org.v1 → the worker keeps the unit/ASN read model → citizens and ASN use the API →
the outbox relay publishes SurveySubmitted, ComplaintFiled and PeerFeedbackSummarized, keyed by unit or ratee,
with no rater or device anywhere in the records.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from kinerja_shared.auth import Role
from kinerja_shared.contracts.org import AsnUpserted, Gender, Location, RegencyUpserted, UnitUpserted
from kinerja_shared.devissuer import ensure_keypair, mint_token
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.testing.helpers import produce, read_all, wait_until
from kinerja_shared.testing.plugin import MakeDatabase, MakeNamespace, ProvisionedDatabase
from kinerja_shared.testing.processes import run_service
from kinerja_shared.topics import FEEDBACK, ORG

from ..conftest import rows

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
NOW = datetime.now(UTC)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def process(role: str, db: ProvisionedDatabase, kafka: KafkaSettings, tmp: Path) -> AsyncIterator[str]:
    async with run_service("feedback", role, db, kafka, tmp) as sp:
        yield sp.base_url


async def test_feedback_facts_reach_kafka_keyed_right_and_never_name_a_rater(
    make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    db = await make_database()
    kafka = await make_namespace()
    key = tmp_path / "dev-issuer.pem"
    ensure_keypair(key)
    regency, unit = uuid.uuid4(), uuid.uuid4()
    head = uuid.uuid4()
    staff = [uuid.uuid4() for _ in range(4)]
    facts: list[object] = [
        RegencyUpserted(
            regency_id=regency,
            occurred_at=NOW,
            province_id=uuid.uuid4(),
            province_name="Jambi",
            name="Kabupaten Tebo",
            code="15.09",
        ),
        UnitUpserted(
            regency_id=regency,
            occurred_at=NOW,
            unit_id=unit,
            name="Puskesmas Rimbo Bujang",
            kind="puskesmas",
            public_facing=True,
            head_asn_id=head,
        ),
    ]
    for asn, sup in [(head, None), *[(s, head) for s in staff]]:
        facts.append(
            AsnUpserted(
                regency_id=regency,
                occurred_at=NOW,
                asn_id=asn,
                name=f"ASN {str(asn)[:4]} (contoh)",
                unit_id=unit,
                position_title="Bidan",
                grade="III/b",
                position_class=8,
                superior_id=sup,
                gender=Gender.P,
                location=Location.RURAL,
            )
        )

    def token(asn: uuid.UUID, *roles: Role) -> dict[str, str]:
        t = mint_token(
            key,
            sub=str(asn),
            roles=roles or (Role.ASN,),
            regency_id=regency,
            asn_id=asn,
            name="x",
            issuer="http://127.0.0.1/dev-issuer",
            audience="kinerja",
        )
        return {"authorization": f"Bearer {t}"}

    async with process("api", db, kafka, tmp_path) as api, process("worker", db, kafka, tmp_path):
        await produce(kafka, kafka.topic(ORG), facts)  # type: ignore[arg-type]

        async def known() -> bool:
            return len(await rows(db, "SELECT 1 FROM org_asn WHERE unit_id = $1", unit)) == 5

        await wait_until(known, timeout=30, what="org read model")
        async with httpx.AsyncClient(base_url=api, timeout=10) as phone, httpx.AsyncClient(base_url=api) as c:
            ok = await phone.post(f"/api/survei/{unit}", json={"answers": [4, 4, 3, 3, 4, 4, 4, 3, 3]})
            assert ok.status_code == 201, ok.text
            assert (await phone.post(f"/api/survei/{unit}", json={"answers": [1] * 9})).status_code == 409
            filed = await c.post(
                "/api/pengaduan", json={"unit_id": str(unit), "subject": "Antrian lama", "body": "Menunggu 3 jam."}
            )
            assert filed.status_code == 201
            invited = await c.post(
                "/api/360/undangan",
                json={
                    "asn_id": str(staff[0]),
                    "period": "2026-Q4",
                    "raters": [{"asn_id": str(r), "relation": "rekan"} for r in staff[1:]],
                },
                headers=token(head, Role.ATASAN),
            )
            assert invited.status_code == 201, invited.text
            ratings = dict.fromkeys(
                ["berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal", "adaptif", "kolaboratif"],
                "sesuai",
            )
            for r in staff[1:]:
                [inv] = (await c.get("/api/360/undangan", headers=token(r))).json()
                answered = await c.post(
                    f"/api/360/undangan/{inv['invitation_id']}/penilaian",
                    json={"ratings": ratings, "comment": "rahasia"},
                    headers=token(r),
                )
                assert answered.status_code == 201

        topic = kafka.topic(FEEDBACK)

        async def published() -> bool:
            return len(await read_all(kafka, topic)) >= 3

        await wait_until(published, timeout=30, what="feedback facts on Kafka")
        records = await read_all(kafka, topic)
    by_type = {dict(r.headers)["ce_type"].decode(): r for r in records}
    assert set(by_type) == {
        "id.kinerja.feedback.survey_submitted.v1",
        "id.kinerja.feedback.complaint_filed.v1",
        "id.kinerja.feedback.peer_feedback_summarized.v1",
    }
    assert len(records) == 3  # the refused repeat published nothing
    assert by_type["id.kinerja.feedback.survey_submitted.v1"].key == str(unit).encode()
    assert by_type["id.kinerja.feedback.complaint_filed.v1"].key == str(unit).encode()
    summary = by_type["id.kinerja.feedback.peer_feedback_summarized.v1"]
    assert summary.key == str(staff[0]).encode()
    body = json.loads(summary.value)
    assert body["raters"] == 3 and {v["sesuai"] for v in body["values"]} == {3}
    everything = b"".join((r.key or b"") + (r.value or b"") + b"".join(v for _, v in r.headers) for r in records)
    for rater in staff[1:]:
        assert str(rater).encode() not in everything
    assert b"rahasia" not in everything and b"Antrian" not in everything
