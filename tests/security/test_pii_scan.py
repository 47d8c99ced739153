"""Issue 11 item 4: no NIP, NIK, names, e-mail addresses or phone numbers in Kafka keys, headers, public
events or logs, checked over an end-to-end run of the four services as real processes.

The flow: a regency's ASN roster (with NIPs, names, e-mails) is imported into evaluation; the org facts reach
activity, feedback and notify over Kafka; an ASN drafts, submits and gets an SKP approved; activity records and
verifies work against it; a citizen files a complaint with their name, phone and e-mail; notify delivers
what it is asked to to a real SMTP server. Then every record of every topic of the run's namespace and every
line the eight processes logged is scanned. The one exception by design: AsnUpserted on the internal org topic
carries the ASN's name and e-mail (notify needs them); never in keys or headers, never on kinerja.public.*.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from kinerja_shared.contracts.notification import NotificationRequested
from kinerja_shared.contracts.org import AsnUpserted
from kinerja_shared.devissuer import ensure_keypair, mint_token
from kinerja_shared.settings import KafkaSettings, ServiceSettings
from kinerja_shared.testing.helpers import produce, read_all, wait_until
from kinerja_shared.testing.pii import Finding, PiiScanner
from kinerja_shared.testing.plugin import MakeDatabase, MakeNamespace, ProvisionedDatabase
from kinerja_shared.topics import NOTIFICATION, ORG, all_topic_specs
from kinerja_shared.web import JAKARTA

PROVINCE = uuid.uuid4()
CITIZEN = {"name": "Marlina Sihombing", "phone": "0812-7788-4411", "email": "marlina.sihombing@contoh.id"}
CITIZEN_NIK = "1509024507880003"


# --- the scanner itself ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("NIP 198503152010011003 terdaftar", ["nip"]),
        ("nip: 19850315 201001 1 003", ["nip"]),
        ("PPPK 199001012021212004", ["nip"]),
        ("NIK 1509024507880003", ["nik"]),
        ("kirim ke siti.rahmawati@kinerja-demo.id ya", ["email"]),
        ("hubungi 081277884411 atau +62 812-7788-4411", ["phone", "phone"]),
        ("Bapak Budi Santoso datang", ["name"]),
        ("BUDI SANTOSO", ["name"]),
        # ids, hashes, times and numbers that are not personal data
        ("asn 3f2a9c1e-0812-4456-8123-081234567890", []),
        ("pseudonym 5a9f198503152010011003aa", []),
        ("at 2026-11-29T07:05:03.081234+00:00 ms=0.0812345678", []),
        ("offset 1985031520100110031 (19 digits)", []),
        ("1509024507880003999", []),
        ("Budi Santosoan", []),
    ],
)
def test_scanner_finds_personal_data_and_ignores_ids(text: str, kinds: list[str]) -> None:
    scanner = PiiScanner(names=["Budi Santoso"])
    assert sorted(k for k, _ in scanner.find(text)) == sorted(kinds)


def test_scanner_reads_record_parts_and_json_escapes() -> None:
    class Rec:
        topic, partition, offset = "t", 0, 7
        key = b"198503152010011003"
        value = b'{"note": "Budi Santoso", "to": "budi\\u0040contoh.id"}'
        headers = [("ce_type", b"x.v1"), ("x-email", b"a@b.co")]

    found = PiiScanner(names=["Budi Santoso"]).scan_record(Rec())
    assert sorted((f.kind, f.part) for f in found) == [
        ("email", "header:x-email"),
        ("email", "value"),
        ("name", "value"),
        ("nip", "key"),
    ]
    assert all("198503152010011003" not in str(f) for f in found)  # findings are masked


# --- the end-to-end run ---------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def _processes(
    dbs: dict[str, ProvisionedDatabase], kafka: KafkaSettings, tmp: Path, extra: dict[str, str]
) -> AsyncIterator[dict[str, str]]:
    """Every service's api and worker as real processes, started together; yields the APIs' base URLs."""
    procs: list[tuple[str, subprocess.Popen[bytes], Path, str]] = []
    logs = []
    try:
        for svc, db in dbs.items():
            for role in ("api", "worker"):
                port = _free_port()
                env = (
                    os.environ
                    | {
                        "DATABASE_URL": db.app_url,
                        "MIGRATION_DATABASE_URL": db.owner_url,
                        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
                        "KAFKA_TOPIC_NAMESPACE": kafka.topic_namespace,
                        "HTTP_PORT" if role == "api" else "WORKER_HTTP_PORT": str(port),
                        "KINERJA_ENV": "test",
                        "LOG_LEVEL": "DEBUG",  # the strictest scan: everything a process may ever log
                        "DEV_ISSUER_KEY_FILE": str(tmp / "dev-issuer.pem"),
                        "CONSUMER_BATCH_WAIT_MS": "100",
                    }
                    | extra
                )
                log_path = tmp / f"{svc}-{role}.log"
                log = open(log_path, "wb")
                logs.append(log)
                proc = subprocess.Popen([sys.executable, "-m", f"kinerja_{svc}", role], env=env, stdout=log, stderr=log)
                procs.append((f"{svc} {role}", proc, log_path, f"http://127.0.0.1:{port}"))
        async with httpx.AsyncClient(timeout=5) as client:

            async def ready(name: str, proc: subprocess.Popen[bytes], log_path: Path, base: str) -> None:
                async def check() -> bool:
                    if proc.poll() is not None:
                        raise AssertionError(f"{name} exited: {log_path.read_text()[-2000:]}")  # noqa: ASYNC240
                    try:
                        return (await client.get(f"{base}/health/ready")).status_code == 200
                    except httpx.TransportError:
                        return False

                await wait_until(check, timeout=300, interval=0.5, what=f"{name} ready")  # 2 shared cores

            await asyncio.gather(*(ready(*p) for p in procs))
        yield {name.split()[0]: base for name, _, _, base in procs if name.endswith(" api")}
    finally:
        for _, proc, _, _ in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _, proc, _, _ in procs:
            try:
                await asyncio.to_thread(proc.wait, 40)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()


class Smtp:
    """A real SMTP server (aiosmtpd) that keeps what notify sends."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[bytes] = []
        outer = self

        class Handler:
            async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
                outer.messages.append(getattr(envelope, "content", b""))
                return "250 OK"

        self.port = _free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)


@pytest.mark.slow  # eight processes on two shared cores: a few minutes
@pytest.mark.timeout(900)
@pytest.mark.kafka
@pytest.mark.postgres
async def test_no_personal_data_in_kafka_or_logs_over_an_end_to_end_run(
    make_database: MakeDatabase, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    from kinerja_evaluation.examples import example_skp, roster_csv, synthetic_roster

    key = tmp_path / "dev-issuer.pem"
    ensure_keypair(key)
    kafka = await make_namespace()
    settings = ServiceSettings()
    smtp = Smtp()
    smtp.controller.start()
    regency = uuid.uuid4()
    roster = synthetic_roster(14, seed=11)
    year = datetime.now(JAKARTA).year

    def token(roles: list[str], asn: uuid.UUID | None = None, *, province: bool = False) -> dict[str, str]:
        tok = mint_token(
            key,
            sub=str(asn or uuid.uuid4()),
            roles=roles,
            regency_id=None if province else regency,
            asn_id=asn,
            province_id=PROVINCE,
            name="Pengguna Uji",
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        return {"authorization": f"Bearer {tok}"}

    extra = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "EVIDENCE_DIR": str(tmp_path / "bukti"),
    }
    try:
        async with AsyncExitStack() as stack:
            dbs = {svc: await make_database() for svc in ("evaluation", "activity", "feedback", "notify")}
            bases = await stack.enter_async_context(_processes(dbs, kafka, tmp_path, extra))
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=30))
            ev, act, fb = bases["evaluation"], bases["activity"], bases["feedback"]

            # evaluation: the regency and its roster (NIPs, names, e-mails go in here and must stay here)
            body = {"province_id": str(PROVINCE), "province_name": "Provinsi Jambi", "name": "Kabupaten Tebo"}
            r = await http.put(
                f"{ev}/api/regencies/{regency}",
                json=body | {"code": "15.09"},
                headers=token(["admin_provinsi"], province=True),
            )
            assert r.status_code == 200, r.text
            admin = token(["admin_bkpsdm"])
            files = {"file": ("pegawai.csv", roster_csv(roster), "text/csv")}
            r = await http.post(f"{ev}/api/org/import", files=files, headers=admin)
            assert r.status_code == 200, r.text
            ids = {
                x["nip"]: uuid.UUID(x["asn_id"])
                for x in (await http.get(f"{ev}/api/org/assessors", headers=admin)).json()
            }
            superiors = {row["nip_atasan"] for row in roster}
            staff_row = next(row for row in roster if row["nip_atasan"] and row["nip"] not in superiors)
            staff, superior = ids[staff_row["nip"]], ids[staff_row["nip_atasan"]]
            as_staff = token(["asn"], staff)
            as_superior = token(["asn", "atasan"], superior)

            # an SKP drafted, submitted and approved
            r = await http.post(f"{ev}/api/skp", json=example_skp("permit_officer", year), headers=as_staff)
            assert r.status_code == 201, r.text
            skp_id = r.json()["id"]
            assert (await http.post(f"{ev}/api/skp/{skp_id}/submit", headers=as_staff)).status_code == 204
            r = await http.post(f"{ev}/api/skp/{skp_id}/approve", headers=as_superior)
            assert r.status_code == 204, r.text
            view = (await http.get(f"{ev}/api/skp/{skp_id}", headers=as_staff)).json()
            first = view["rhk"][0]["indicators"][0]
            indicator = first.get("indicator_id") or first.get("id")

            # activity: once the approved SKP arrived, a day's work recorded and verified
            activity_id = str(uuid.uuid4())
            today = datetime.now(JAKARTA).date().isoformat()
            item = {
                "id": activity_id, "activity_date": today, "start_time": "08:00", "end_time": "09:30",
                "description": "Memproses permohonan izin usaha", "quantity": "4", "output": "dokumen",
                "indicator_id": indicator,
            }  # fmt: skip

            async def recorded() -> bool:
                resp = await http.post(f"{act}/api/activities", json=item, headers=as_staff)
                return resp.status_code in (200, 201)

            await wait_until(recorded, timeout=60, interval=1.0, what="activity accepted against the approved SKP")
            r = await http.post(
                f"{act}/api/activities/{activity_id}/decision", json={"approve": True}, headers=as_superior
            )
            assert r.status_code in (200, 204), r.text

            # feedback: a citizen's complaint with their name, phone and e-mail (and a NIK typed into the text)
            units = (await http.get(f"{ev}/api/org/units", headers=admin)).json()
            public_unit = next(u["unit_id"] for u in units if u["public_facing"])
            complaint = {
                "unit_id": public_unit, "subject": "Antrean terlalu lama",
                "body": f"Saya menunggu tiga jam. NIK saya {CITIZEN_NIK}, hubungi {CITIZEN['phone']}.",
                "service_name": "Perizinan", "reporter_name": CITIZEN["name"],
                "reporter_contact": CITIZEN["email"],
            }  # fmt: skip

            async def filed() -> bool:
                resp = await http.post(f"{fb}/api/pengaduan", json=complaint)
                return resp.status_code in (200, 201)

            await wait_until(filed, timeout=60, interval=1.0, what="complaint filed once the unit is known")

            # notify: a notification for the staff member, e-mailed to the address from the org facts
            note = NotificationRequested(
                regency_id=regency, occurred_at=datetime.now(JAKARTA), notification_id=uuid.uuid4(), asn_id=staff,
                kind="evaluation_finalized", params={"periode": f"{year}-Q3"}, link="/evaluation/",
            )  # fmt: skip
            await produce(kafka, kafka.topic(NOTIFICATION), [note])

            async def mailed() -> bool:
                return bool(smtp.messages)

            await wait_until(mailed, timeout=60, what="notify's e-mail on the SMTP server")

            # let the workers relay and consume what the flow produced
            async def settled() -> bool:
                org = await read_all(kafka, kafka.topic(ORG))
                return len(org) >= len(roster)

            await wait_until(settled, timeout=60, what="org facts on Kafka")
            await asyncio.sleep(5)
    finally:
        with contextlib.suppress(Exception):
            smtp.controller.stop()

    names = [row["nama"] for row in roster] + [CITIZEN["name"]]
    asn_upserted = AsnUpserted.type

    def by_design(f: Finding) -> bool:
        return (
            f.source == "kafka"
            and f.part == "value"
            and f.event_type == asn_upserted
            and f.kind in {"name", "email"}
            and f.where.startswith(kafka.topic(ORG) + "@")
        )

    scanner = PiiScanner(names=names, allow=by_design)
    findings: list[Finding] = []
    per_topic: dict[str, int] = {}
    allowed = PiiScanner(names=names)  # the same scan without the exception, to show it is exercised
    allowed_hits = 0
    for spec in all_topic_specs():
        topic = kafka.topic(spec.name)
        records = await read_all(kafka, topic)
        per_topic[spec.name] = len(records)
        for rec in records:
            findings += scanner.scan_record(rec)
            allowed_hits += len(allowed.scan_record(rec))
    logs = sorted(tmp_path.glob("*.log"))  # noqa: ASYNC240
    for path in logs:
        findings += scanner.scan_lines(path.read_text(errors="replace").splitlines(), where=path.name)
    print(  # noqa: T201 - the figures go into the issue note
        f"PII scan: {scanner.scanned['records']} Kafka records on {len(per_topic)} topics "
        f"({ {k: v for k, v in per_topic.items() if v} }), {scanner.scanned['log_lines']} log lines "
        f"from {len(logs)} processes, {scanner.scanned['strings']} strings; {len(smtp.messages)} e-mails sent; "
        f"findings: {len(findings)}; allowed by design (AsnUpserted name/e-mail): {allowed_hits}"
    )
    assert per_topic["kinerja.org.v1"] >= len(roster) and per_topic["kinerja.evaluation.v1"] > 0
    assert per_topic["kinerja.activity.v1"] > 0 and per_topic["kinerja.feedback.v1"] > 0
    assert scanner.scanned["log_lines"] > 100 and smtp.messages
    assert allowed_hits > 0  # the scanner did see the names and e-mails that are there by design
    assert not findings, "personal data found:\n" + "\n".join(str(f) for f in findings[:40])
