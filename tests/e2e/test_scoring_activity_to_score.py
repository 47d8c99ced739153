"""On the real stack: an activity reported and verified through the activity service's API shows in the ASN's
score (evaluation worker) — coordinated only through public APIs and events.

Processes: activity api + activity worker + evaluation worker, each its real `python -m kinerja_<svc>` process, on
real Kafka (a fresh namespace) and PostgreSQL. The org and SKP facts that issue 4's roster import and SKP approval
publish are produced on kinerja.org.v1 / kinerja.evaluation.v1 directly. The verify → score latency is measured
and printed; its claim (p99) lives in tests/bench/bench_evaluation.py, not in a timed assertion here.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from kinerja_shared.auth import Role
from kinerja_shared.contracts.evaluation import Aspect, Direction, IndicatorTarget, SkpApproved
from kinerja_shared.contracts.org import AsnUpserted, Gender, Location, UnitUpserted
from kinerja_shared.db import connect
from kinerja_shared.devissuer import ensure_keypair, mint_token
from kinerja_shared.settings import KafkaSettings
from kinerja_shared.testing.helpers import produce, wait_until
from kinerja_shared.testing.plugin import MakeDatabase, MakeNamespace, ProvisionedDatabase
from kinerja_shared.testing.processes import run_service
from kinerja_shared.topics import EVALUATION, ORG
from kinerja_shared.web import JAKARTA

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
ISSUER, AUDIENCE = "http://127.0.0.1/dev-issuer", "kinerja"


@asynccontextmanager
async def process(svc: str, role: str, db: ProvisionedDatabase, kafka: KafkaSettings, tmp: Path
                  ) -> AsyncIterator[str]:  # fmt: skip
    async with run_service(svc, role, db, kafka, tmp, env={"CONSUMER_BATCH_WAIT_MS": "50"}, ready_timeout=90,
                           expect_clean_exit=False) as sp:  # fmt: skip
        yield sp.base_url


async def test_activity_verified_via_the_api_shows_in_the_score(
    make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    key = tmp_path / "dev-issuer.pem"
    ensure_keypair(key)
    kafka = await make_namespace(partitions=2)
    activity_db, evaluation_db = await make_database(None, prefix="activity"), await make_database(None)
    regency, unit, boss, staff, indicator = (uuid.uuid4() for _ in range(5))
    now = datetime.now(JAKARTA)
    year = now.year
    period = f"{year}-Q{(now.month - 1) // 3 + 1}"

    def token(asn: uuid.UUID, roles: tuple[Role, ...]) -> dict[str, str]:
        t = mint_token(key, sub=str(asn), roles=list(roles), regency_id=regency, asn_id=asn, name="Uji",
                       issuer=ISSUER, audience=AUDIENCE)  # fmt: skip
        return {"authorization": f"Bearer {t}"}

    def person(asn: uuid.UUID, sup: uuid.UUID | None, name: str) -> AsnUpserted:
        return AsnUpserted(regency_id=regency, occurred_at=now, asn_id=asn, name=name, unit_id=unit,
                           position_title="Perawat", grade="III/a", position_class=8, superior_id=sup,
                           gender=Gender.P, location=Location.RURAL)  # fmt: skip

    async def score() -> tuple[str, Decimal | None] | None:
        conn = await connect(evaluation_db.owner_url)
        try:
            await conn.execute("SELECT set_config('kinerja.regency_ids', '*', false)")
            row = await conn.fetchrow(
                "SELECT status, hasil_capaian FROM scoring_score WHERE asn_id = $1 AND period = $2", staff, period
            )
            return None if row is None else (row["status"], row["hasil_capaian"])
        finally:
            await conn.close()

    async with (
        process("evaluation", "worker", evaluation_db, kafka, tmp_path),
        process("activity", "worker", activity_db, kafka, tmp_path),
        process("activity", "api", activity_db, kafka, tmp_path) as api,
    ):
        await produce(kafka, kafka.topic(ORG), [
            UnitUpserted(regency_id=regency, occurred_at=now, unit_id=unit, name="Puskesmas", kind="puskesmas"),
            person(boss, None, "Kepala (contoh)"), person(staff, boss, "Perawat (contoh)"),
        ])  # fmt: skip
        target = IndicatorTarget(indicator_id=indicator, rhk_id=uuid.uuid4(), name="Pasien dilayani",
                                 target=Decimal(10), unit="pasien", aspect=Aspect.KUANTITAS,
                                 direction=Direction.HIGHER_IS_BETTER, weight=Decimal(100))  # fmt: skip
        skp = SkpApproved(regency_id=regency, occurred_at=now, skp_id=uuid.uuid4(), asn_id=staff, approver_id=boss,
                          year=year, version=1, indicators=(target,))  # fmt: skip
        await produce(kafka, kafka.topic(EVALUATION), [skp])

        async def scored_zero() -> bool:
            return await score() == ("dihitung", Decimal("0.00"))

        await wait_until(scored_zero, timeout=60, what="the evaluation worker to score the approved SKP")
        body = {"activity_date": now.date().isoformat(), "start_time": "00:10", "end_time": "01:10",
                "description": "Melayani pasien rawat jalan", "quantity": "4", "output": "pasien",
                "indicator_id": str(indicator)}  # fmt: skip
        async with httpx.AsyncClient(base_url=api, timeout=10) as http:

            async def reported() -> bool:  # the activity service learns the indicator and superior from events
                r = await http.post("/api/activities", json=body | {"id": body.get("id", str(uuid.uuid4()))},
                                    headers=token(staff, (Role.ASN,)))  # fmt: skip
                if r.status_code == 201:
                    body["id"] = r.json()["id"]
                return r.status_code == 201

            await wait_until(reported, timeout=60, what="the activity API to accept the report")
            r = await http.post(f"/api/activities/{body['id']}/decision", json={"approve": True},
                                headers=token(boss, (Role.ASN, Role.ATASAN)))  # fmt: skip
            assert r.status_code == 200, r.text
            verified_at = time.perf_counter()

        async def in_score() -> bool:
            return await score() == ("dihitung", Decimal("40.00"))  # 4 of 10 patients, Table P3

        await wait_until(in_score, timeout=10, interval=0.02, what="the verified activity in the score")
        elapsed_ms = (time.perf_counter() - verified_at) * 1000
        print(f"activity verified via the API → in the score after {elapsed_ms:.0f} ms")  # noqa: T201
