"""Load the demo province through the services' public HTTP APIs (and so through their outboxes and Kafka).

Nothing here touches a service's database: every fact enters as a request of the user who would make it in
real life (the province admin registers regencies, BKPSDM imports rosters and fingerprint scans, an ASN drafts and
submits an SKP and reports activities, the superior approves, verifies and evaluates, citizens answer surveys and
file complaints, colleagues give 360 feedback). Other services learn of it from Kafka, and the loader waits for
that where a later step needs it (activities need the SKP approval to have reached the activity service).

Re-running is safe: rosters are matched by NIP, activities carry client-generated ids derived from the ASN and
the slot, survey answers carry a per-respondent device token (a repeat is refused with 409), complaints are
counted before filing, and every other step first asks what is already there.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time as time_
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

from kinerja_shared.auth import Role

from .client import Api, ApiError, Who
from .data import PROVINCE_ID, PROVINCE_NAME, Person, Roster, province

JAKARTA = ZoneInfo("Asia/Jakarta")
BULK_SKPS = 100  # SKPs per bulk request (the endpoint takes up to 500): seconds each on a busy machine
BULK_IN_FLIGHT = 3  # bulk requests at once: the evaluation API is one process; more only queues in PostgreSQL
T = TypeVar("T")
Progress = Callable[[str, int, int | None], None]  # (step, advance, total or None)

VALUES = ("berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal", "adaptif", "kolaboratif")
COMPLAINTS = (
    ("Antrean pendaftaran terlalu lama", "Saya menunggu lebih dari dua jam di loket pendaftaran pagi ini."),
    ("Petugas tidak ada di loket", "Loket pelayanan kosong pada jam kerja, tidak ada petugas yang berjaga."),
    ("Informasi biaya tidak jelas", "Tidak ada papan informasi tarif, saya bingung berapa yang harus dibayar."),
    ("Ruang tunggu panas dan sempit", "Kipas angin di ruang tunggu rusak dan kursi kurang untuk lansia."),
)


@dataclass
class Asn:
    """One ASN as the services know them (ids from the evaluation service) plus the loader's plan for them."""

    person: Person
    asn_id: UUID
    regency_id: UUID
    unit_id: UUID | None
    superior_id: UUID | None
    skp_id: UUID | None = None
    skp_status: str | None = None
    indicators: list[dict[str, Any]] = field(default_factory=list)
    rhk_ids: list[UUID] = field(default_factory=list)

    @property
    def who(self) -> Who:
        roles = (Role.ASN, Role.ATASAN) if self.person.is_head else (Role.ASN,)
        return Who(self.person.name, roles, regency_id=self.regency_id, asn_id=self.asn_id)


@dataclass
class Summary:
    regencies: int = 0
    asn: int = 0
    units: int = 0
    skp_approved: int = 0
    activities: int = 0
    verified: int = 0
    attendance_rows: int = 0
    realisasi: int = 0
    evaluations: int = 0
    surveys: int = 0
    complaints: int = 0
    peer_ratings: int = 0
    skipped: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per step
    demo_users: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    asn: int = 5000
    regencies: int = 11
    detail_share: float = 0.1  # share of ASN who also get realisasi, a periodic evaluation and 360 feedback
    surveys_per_unit: tuple[int, int] = (10, 40)
    year: int = 0  # 0: this year
    today: date | None = None
    users_file: Path | None = None
    wait_seconds: float = 120.0
    attendance_months: int = 1  # the open month; --attendance-months 3 for a quarter (slow: see docs/demo.md)


async def gather_limited(items: Iterable[T], fn: Callable[[T], Awaitable[Any]], progress: Callable[[], None],
                         width: int = 64) -> list[Any]:  # fmt: skip
    """Run fn over items with at most `width` coroutines queued (the client bounds requests in flight)."""
    queue = list(items)
    results: list[Any] = [None] * len(queue)

    async def worker(start: int) -> None:
        for i in range(start, len(queue), width):
            results[i] = await fn(queue[i])
            progress()

    await asyncio.gather(*(worker(s) for s in range(min(width, len(queue)))))
    return results


def working_days(start: date, end: date) -> list[date]:
    return [start + timedelta(d) for d in range((end - start).days + 1) if (start + timedelta(d)).weekday() < 5]


def quarter(d: date) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


class Loader:
    def __init__(self, api: Api, opts: Options, progress: Progress) -> None:
        self.api = api
        self.o = opts
        self.progress = progress
        self.today = opts.today or datetime.now(JAKARTA).date()
        self.year = opts.year or self.today.year
        self.s = Summary()
        self.rosters: list[Roster] = province(opts.asn, opts.regencies)
        self.asn: dict[str, Asn] = {}  # by NIP
        self.units: dict[UUID, dict[str, Any]] = {}
        self.province_admin = Who("Admin Provinsi Jambi (contoh)", (Role.ADMIN_PROVINSI,), province_id=PROVINCE_ID)
        self.rnd = random.Random(7)

    def bkpsdm(self, regency_id: UUID) -> Who:
        name = next(r.regency.name for r in self.rosters if r.regency.regency_id == regency_id)
        return Who(f"Admin BKPSDM {name} (contoh)", (Role.ADMIN_BKPSDM,), regency_id=regency_id)

    def by_id(self) -> dict[UUID, Asn]:
        return {a.asn_id: a for a in self.asn.values()}

    # ---- the demo users and the detailed sample ------------------------------------------------------------------

    def demo_pair(self) -> tuple[Asn, Asn]:
        """The demo ASN (a nurse of Puskesmas Muara Tebo) and her superior, the puskesmas head."""
        first = self.rosters[0]
        staff = next(p for p in first.people if not p.is_head and p.example == "puskesmas_staff")
        a = self.asn[staff.nip]
        return a, self.by_id()[a.superior_id] if a.superior_id else a

    def detailed(self, *, with_demo: bool = False) -> list[Asn]:
        """ASN with realisasi, an evaluation and 360 feedback: a fixed share, always with the demo ASN's unit
        mates; the demo ASN herself gets realisasi but no evaluation, so a visitor (or a journey) can give it."""
        demo, _ = self.demo_pair()
        pick = [a for a in self.asn.values() if a.skp_status == "approved" and a.superior_id is not None]
        rnd = random.Random(11)
        chosen = {a.asn_id for a in rnd.sample(pick, k=min(len(pick), max(1, int(len(pick) * self.o.detail_share))))}
        chosen |= {a.asn_id for a in pick if a.unit_id == demo.unit_id}
        if not with_demo:
            chosen.discard(demo.asn_id)
        return [a for a in pick if a.asn_id in chosen]

    # ---- steps ---------------------------------------------------------------------------------------------------

    async def run(self) -> Summary:
        steps: Sequence[tuple[str, Callable[[], Awaitable[None]]]] = (
            ("Kabupaten/kota", self.regencies),
            ("Impor pegawai", self.import_rosters),
            ("Menunggu data organisasi di layanan lain", self.wait_org),
            ("SKP (susun, ajukan, setujui)", self.skps),
            ("Menunggu SKP di layanan kegiatan", self.wait_skp_in_activity),
            ("Kehadiran (impor mesin sidik jari)", self.attendance),
            ("Kegiatan harian", self.activities),
            ("Verifikasi atasan", self.verify),
            ("Realisasi dan konfirmasi", self.realisasi),
            ("Survei kepuasan masyarakat", self.surveys),
            ("Pengaduan", self.complaints),
            ("Umpan balik 360", self.peer_feedback),
            ("Penilaian periodik", self.evaluations),
        )
        for name, step in steps:
            started = time_.monotonic()
            try:
                await step()
                self.s.seconds[name] = time_.monotonic() - started
            except ApiError as e:
                if e.status in (404, 405):  # a feature this build of a service does not have yet
                    self.s.skipped.append(f"{name}: {e}")
                    self.progress(name, 0, 0)
                    continue
                raise
        self.s.demo_users = self.demo_users()
        if self.o.users_file is not None:
            write_users(self.o.users_file, self.s.demo_users)
        return self.s

    async def regencies(self) -> None:
        step = "Kabupaten/kota"
        self.progress(step, 0, len(self.rosters))
        for r in self.rosters:
            body = {"province_id": str(PROVINCE_ID), "province_name": PROVINCE_NAME, "name": r.regency.name,
                    "code": r.regency.code}  # fmt: skip
            await self.api.call("PUT", f"/evaluation/api/regencies/{r.regency.regency_id}", self.province_admin,
                                json=body)  # fmt: skip
            self.s.regencies += 1
            self.progress(step, 1, None)

    async def import_rosters(self) -> None:
        step = "Impor pegawai"
        self.progress(step, 0, len(self.rosters))

        async def one(r: Roster) -> None:
            admin = self.bkpsdm(r.regency.regency_id)
            files = {"file": (f"pegawai-{r.regency.code}.csv", r.csv(), "text/csv")}
            await self.api.call("POST", "/evaluation/api/org/import", admin, files=files)
            units = (await self.api.call("GET", "/evaluation/api/org/units", admin)).json()
            unit_by_path = {u["path"]: u for u in units}
            for u in units:
                self.units[UUID(str(u["unit_id"]))] = u | {"regency_id": r.regency.regency_id}
            rows = (await self.api.call("GET", "/evaluation/api/org/assessors", admin)).json()
            by_nip = {x["nip"]: x for x in rows}
            for p in r.people:
                x = by_nip[p.nip]
                unit = unit_by_path.get(p.unit) or unit_by_path.get(str(x.get("unit_path")))
                self.asn[p.nip] = Asn(
                    p, UUID(str(x["asn_id"])), r.regency.regency_id, UUID(str(unit["unit_id"])) if unit else None,
                    UUID(str(x["superior_id"])) if x.get("superior_id") else None,
                )  # fmt: skip

        await gather_limited(self.rosters, one, lambda: self.progress(step, 1, None), width=3)
        self.s.asn = len(self.asn)
        self.s.units = len(self.units)

    async def _wait(self, what: str, check: Callable[[], Awaitable[bool]]) -> None:
        deadline = asyncio.get_running_loop().time() + self.o.wait_seconds
        while not await check():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{what} did not arrive within {self.o.wait_seconds:.0f} s (is every worker up?)")
            await asyncio.sleep(1.0)

    async def wait_org(self) -> None:
        step = "Menunggu data organisasi di layanan lain"
        self.progress(step, 0, 2)
        # the last regency's last superior: once activity knows their team, the org events have been applied
        last = self.rosters[-1]
        head = next(self.asn[p.nip] for p in reversed(last.people) if p.is_head and p.superior_nip)
        team_size = sum(1 for a in self.asn.values() if a.superior_id == head.asn_id)

        async def activity_knows() -> bool:
            r = await self.api.call("GET", "/activity/api/team/today", head.who, accept=(403, 404))
            return r.status_code == 200 and len(r.json()) >= team_size

        await self._wait("the org data in the activity service", activity_knows)
        self.progress(step, 1, None)
        unit = next(u for u in self.units.values() if u.get("public_facing"))

        async def feedback_knows() -> bool:
            r = await self.api.call("GET", f"/feedback/api/units/{unit['unit_id']}/ikm", accept=(404,))
            return r.status_code == 200

        await self._wait("the org data in the feedback service", feedback_knows)
        self.progress(step, 1, None)

    async def skps(self) -> None:
        """BKPSDM records the SKPs agreed between each ASN and their superior, a few hundred per request
        (`POST /evaluation/api/skp/bulk`: created, submitted and approved through the service's own use case and
        outbox). An ASN whose SKP exists is answered with it as it stands; one left as a draft or submitted (an
        older run, or a visitor) is finished the way an ASN and their superior would, one request each."""
        step = "SKP (susun, ajukan, setujui)"
        examples = (await self.api.call("GET", "/evaluation/api/skp/examples")).json()
        people = [a for a in self.asn.values() if a.person.example and a.superior_id is not None]
        self.progress(step, 0, len(people))
        chunks: list[tuple[UUID, list[Asn]]] = []
        for r in self.rosters:
            mine = [a for a in people if a.regency_id == r.regency.regency_id]
            chunks += [(r.regency.regency_id, mine[i : i + BULK_SKPS]) for i in range(0, len(mine), BULK_SKPS)]

        async def bulk(chunk: tuple[UUID, list[Asn]]) -> None:
            regency_id, group = chunk
            items = []
            for a in group:
                ex = examples[a.person.example]
                items.append({"asn_id": str(a.asn_id), "year": self.year, "rhk": ex["rhk"],
                              "expectations": ex.get("expectations", {})})  # fmt: skip
            # a slow answer is waited for (the front door allows 120 s); a retry after a timeout is safe anyway
            res = (await self.api.call("POST", "/evaluation/api/skp/bulk", self.bkpsdm(regency_id),
                                       json={"items": items}, wait=125)).json()  # fmt: skip
            by_id = {a.asn_id: a for a in group}
            for x in res["items"]:
                a = by_id[UUID(str(x["asn_id"]))]
                a.skp_id, a.skp_status = UUID(str(x["skp_id"])), x["status"]
                if a.skp_status == "approved":
                    self._take_indicators(a, x["rhk"])
            self.progress(step, len(group), None)

        try:
            await gather_limited(chunks, bulk, lambda: None, width=BULK_IN_FLIGHT)
        except ApiError as e:
            if e.status not in (404, 405):
                raise
            self.s.skipped.append(f"{step}: no bulk endpoint ({e.status}), one SKP at a time")
        rest = [a for a in people if a.skp_status != "approved"]
        if rest:
            await self._skps_one_by_one(examples, rest)
        self.s.skp_approved = sum(1 for a in people if a.skp_status == "approved")

    def _take_indicators(self, a: Asn, rhk: list[dict[str, Any]]) -> None:
        a.indicators = [i | {"rhk_id": str(r["rhk_id"])} for r in rhk for i in r["indicators"]]
        a.rhk_ids = [UUID(str(r["rhk_id"])) for r in rhk]

    async def _skps_one_by_one(self, examples: Any, people: list[Asn]) -> None:
        """Draft and submit as the ASN, approve as the superior: three requests per SKP (no bulk endpoint, or an
        SKP a run left half-way)."""
        step = "SKP satu per satu (susun, ajukan, setujui)"
        self.progress(step, 0, 2 * len(people))

        async def draft_and_submit(a: Asn) -> None:
            ex = examples[a.person.example]
            if a.skp_id is None:
                body = {"year": self.year, "rhk": ex["rhk"], "expectations": ex.get("expectations", {})}
                r = await self.api.call("POST", "/evaluation/api/skp", a.who, json=body, accept=(409,))
                if r.status_code == 409:  # a re-run: it exists; carry on from wherever it stands
                    view = (
                        await self.api.call("GET", "/evaluation/api/skp/mine", a.who, params={"year": self.year})
                    ).json()
                    a.skp_id, a.skp_status = UUID(view["skp_id"]), view["status"]
                else:
                    a.skp_id, a.skp_status = UUID(r.json()["id"]), "draft"
            if a.skp_status in ("draft", "revision_requested"):
                await self.api.call("POST", f"/evaluation/api/skp/{a.skp_id}/submit", a.who)
                a.skp_status = "submitted"

        await gather_limited(people, draft_and_submit, lambda: self.progress(step, 1, None))
        ids = self.by_id()

        async def approve(a: Asn) -> None:
            if a.skp_status == "submitted" and a.superior_id in ids:
                await self.api.call("POST", f"/evaluation/api/skp/{a.skp_id}/approve", ids[a.superior_id].who,
                                    accept=(409,))  # fmt: skip
                a.skp_status = "approved"

        await gather_limited(people, approve, lambda: self.progress(step, 1, None))

    async def _indicators(self, a: Asn) -> None:
        view = (await self.api.call("GET", "/evaluation/api/skp/mine", a.who, params={"year": self.year})).json()
        a.indicators = [i | {"rhk_id": rhk["rhk_id"]} for rhk in view["rhk"] for i in rhk["indicators"]]
        a.rhk_ids = [UUID(rhk["rhk_id"]) for rhk in view["rhk"]]

    async def wait_skp_in_activity(self) -> None:
        step = "Menunggu SKP di layanan kegiatan"
        approved = [a for a in self.asn.values() if a.skp_status == "approved"]
        unread = [a for a in approved if not a.indicators]  # the bulk answer already carried the others'
        self.progress(step, 0, len(unread) + 1)
        await gather_limited(unread, self._indicators, lambda: self.progress(step, 1, None))
        # a sample of the approvals (the last of each bulk request and of the run): once activity accepts an
        # activity on each, the SKPs have been applied there (events of different ASN travel on different partitions)
        probes = [a for a in approved[BULK_SKPS - 1 :: BULK_SKPS] + approved[-1:] if self._slots(a)]
        if not probes:
            self.progress(step, 1, None)
            return

        async def known() -> bool:
            async def one(p: Asn) -> None:
                r = await self.api.call("POST", "/activity/api/activities/sync", p.who,
                                        json={"items": [self._activity(p, *self._slots(p)[0])]})  # fmt: skip
                if r.json()["accepted"]:
                    probes.remove(p)

            await asyncio.gather(*(one(p) for p in list(probes)))
            return not probes

        await self._wait("the approved SKPs in the activity service", known)
        self.progress(step, 1, None)

    def _slots(self, a: Asn) -> list[tuple[date, int]]:
        """(day, slot) of this ASN's activities: working days of the open reporting window up to yesterday,
        two a day (morning and afternoon); the demo ASN also gets today."""
        start = self.today.replace(day=1)
        days = [d for d in working_days(start, self.today) if d < self.today]
        return [(d, s) for d in days for s in (0, 1)]

    def _activity(self, a: Asn, day: date, slot: int) -> dict[str, Any]:
        ind = a.indicators[(day.toordinal() + slot) % len(a.indicators)]
        # 330 minutes a working day: about the monthly quota (Table T1, 6,750) over a full month
        start, end = ((time(8, 0), time(11, 30)), (time(13, 0), time(15, 0)))[slot]
        return {
            "id": str(uuid5(NAMESPACE_URL, f"kinerja-demo:kegiatan:{a.asn_id}:{day}:{slot}")),
            "activity_date": day.isoformat(), "start_time": start.isoformat(), "end_time": end.isoformat(),
            "description": f"{ind['name']} — kegiatan {'pagi' if slot == 0 else 'siang'}",
            # content derived from the id too: a repeat must be the same item (the sync refuses an id with new content)
            "quantity": str(random.Random(f"{a.asn_id}:{day}:{slot}").randint(1, 12)), "output": a.person.output,
            "indicator_id": ind["indicator_id"],
        }  # fmt: skip

    async def attendance(self) -> None:
        """Fingerprint scans for every working day of the last `attendance_months` months up to yesterday: one
        machine export per regency and month (the import applies scans day by day, so a file stays small enough
        to answer within the front door's 120 s), two at a time. Imports take any past date, unlike activities."""
        step = "Kehadiran (impor mesin sidik jari)"
        months: list[date] = [self.today.replace(day=1)]
        for _ in range(max(1, self.o.attendance_months) - 1):
            months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
        plan = [(r, m) for r in self.rosters for m in months]
        self.progress(step, 0, len(plan))

        async def one(item: tuple[Roster, date]) -> None:
            r, month = item
            end = min(self.today - timedelta(days=1), (month + timedelta(days=32)).replace(day=1) - timedelta(days=1))
            days = working_days(month, end)
            if not days:
                return
            rnd = random.Random(f"{r.regency.code}:{month}")
            lines = ["asn_id,waktu"]
            for p in r.people:
                a = self.asn[p.nip]
                for d in days:
                    if rnd.random() < 0.03:
                        continue  # no record that day
                    late = rnd.choice((0, 0, 0, 0, 0, 5, 20, 45))
                    t_in = datetime.combine(d, time(7, 15)) + timedelta(minutes=rnd.randint(0, 14) + late)
                    t_out = datetime.combine(d, time(16, 30 if d.weekday() == 4 else 0)) + timedelta(
                        minutes=rnd.randint(0, 40)
                    )
                    lines += [f"{a.asn_id},{t_in:%Y-%m-%d %H:%M}", f"{a.asn_id},{t_out:%Y-%m-%d %H:%M}"]
            name = f"sidik-jari-{r.regency.code}-{month:%Y-%m}.csv"
            files = {"file": (name, ("\n".join(lines) + "\n").encode(), "text/csv")}
            res = (await self.api.call("POST", "/activity/api/attendance/import", self.bkpsdm(r.regency.regency_id),
                                       files=files, wait=125)).json()  # fmt: skip
            self.s.attendance_rows += int(res.get("rows", 0))

        await gather_limited(plan, one, lambda: self.progress(step, 1, None), width=2)

    async def activities(self) -> None:
        step = "Kegiatan harian"
        people = [a for a in self.asn.values() if a.skp_status == "approved" and a.indicators]
        self.progress(step, 0, len(people))

        async def one(a: Asn) -> None:
            items = [self._activity(a, d, s) for d, s in self._slots(a)]
            if not items:
                return
            res = (await self.api.call("POST", "/activity/api/activities/sync", a.who, json={"items": items})).json()
            self.s.activities += int(res["accepted"])

        await gather_limited(people, one, lambda: self.progress(step, 1, None))

    async def verify(self) -> None:
        step = "Verifikasi atasan"
        demo, _ = self.demo_pair()
        superiors = {a.superior_id for a in self.asn.values() if a.superior_id is not None and a.indicators}
        ids = self.by_id()
        self.progress(step, 0, len(superiors))

        async def one(sup_id: UUID) -> None:
            sup = ids[sup_id]
            pending = (await self.api.call("GET", "/activity/api/verifications/pending", sup.who)).json()
            # the demo ASN's last two days stay in the queue, so the superior has something to verify
            recent = {(self.today - timedelta(days=k)).isoformat() for k in range(1, 4)}

            def keep(x: dict[str, Any]) -> bool:
                return str(x.get("asn_id")) == str(demo.asn_id) and str(x.get("activity_date")) in recent

            todo = [str(x.get("id") or x.get("activity_id")) for x in pending if not keep(x)]
            rejected = [t for t in todo if int(hashlib.sha256(t.encode()).hexdigest(), 16) % 40 == 0]
            for t in rejected:
                await self.api.call("POST", f"/activity/api/activities/{t}/decision", sup.who,
                                    json={"approve": False, "reason": "Uraian kegiatan kurang rinci; lengkapi bukti."},
                                    accept=(409,))  # fmt: skip
            ok = [t for t in todo if t not in rejected]
            for i in range(0, len(ok), 500):
                r = await self.api.call("POST", "/activity/api/verifications/approve", sup.who,
                                        json={"activity_ids": ok[i : i + 500]})  # fmt: skip
                self.s.verified += len(r.json().get("changed", []))

        await gather_limited(sorted(superiors, key=str), one, lambda: self.progress(step, 1, None), width=16)

    async def realisasi(self) -> None:
        step = "Realisasi dan konfirmasi"
        people = self.detailed(with_demo=True)
        self.progress(step, 0, len(people))
        period = quarter(self.today)
        ids = self.by_id()

        async def one(a: Asn) -> None:
            rnd = random.Random(str(a.asn_id))
            for ind in a.indicators:
                target = float(ind["target"])
                factor = rnd.uniform(0.75, 1.2) if ind["direction"] == "higher" else rnd.uniform(0.7, 1.3)
                value = round(target * factor, 2) if target else 0
                await self.api.call("POST", f"/evaluation/api/indicators/{ind['indicator_id']}/realisasi", a.who,
                                    json={"period": period, "value": str(value), "note": "Data dari laporan bulanan"},
                                    accept=(409,))  # fmt: skip
                path = f"/evaluation/api/indicators/{ind['indicator_id']}/realisasi/{period}/confirm"
                await self.api.call("POST", path,
                                    ids[a.superior_id].who if a.superior_id else a.who, accept=(409,))  # fmt: skip  # noqa: E501
                self.s.realisasi += 1

        await gather_limited(people, one, lambda: self.progress(step, 1, None))

    async def surveys(self) -> None:
        step = "Survei kepuasan masyarakat"
        units = sorted((u for u in self.units.values() if u.get("public_facing")), key=lambda u: str(u["unit_id"]))
        lo, hi = self.o.surveys_per_unit
        plan = [(u, i) for u in units for i in range(random.Random(str(u["unit_id"])).randint(lo, hi))]
        self.progress(step, 0, len(plan))

        async def one(item: tuple[dict[str, Any], int]) -> None:
            u, i = item
            rnd = random.Random(f"{u['unit_id']}:{i}")
            mood = rnd.choice((3, 3, 3, 4, 4, 2))
            answers = [max(1, min(4, mood + rnd.choice((-1, 0, 0, 0, 1)))) for _ in range(9)]
            body = {"answers": answers, "gender": rnd.choice(("L", "P")),
                    "age_band": rnd.choice(("20-29", "30-39", "40-49")),
                    "service_used": "Pelayanan umum"}  # fmt: skip  # noqa: E501
            device = hashlib.sha256(
                f"kinerja-demo:survei:{u['unit_id']}:{i}:{quarter(self.today)}".encode()
            ).hexdigest()[:32]
            headers = {
                "X-Device-Token": device,
                "X-Forwarded-For": f"10.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}",
            }  # noqa: E501
            r = await self.api.call("POST", f"/feedback/api/survei/{u['unit_id']}", json=body, headers=headers,
                                    accept=(409,))  # fmt: skip
            if r.status_code in (200, 201):
                self.s.surveys += 1

        await gather_limited(plan, one, lambda: self.progress(step, 1, None))

    def _unit_head(self, unit_id: UUID) -> Asn | None:
        heads = [a for a in self.asn.values() if a.unit_id == unit_id and a.person.is_head]
        return heads[0] if heads else None

    async def complaints(self) -> None:
        step = "Pengaduan"
        units = sorted((u for u in self.units.values() if u.get("public_facing")), key=lambda u: str(u["unit_id"]))
        self.progress(step, 0, len(units))
        subjects = {s for s, _ in COMPLAINTS}

        async def one(u: dict[str, Any]) -> None:
            unit_id = UUID(str(u["unit_id"]))
            head = self._unit_head(unit_id)
            if head is None:
                return
            rnd = random.Random(f"aduan:{unit_id}")
            want = rnd.randint(0, 3)
            listing = (await self.api.call("GET", f"/feedback/api/units/{unit_id}/pengaduan", head.who)).json()
            items = listing if isinstance(listing, list) else listing.get("items", [])
            have = [c for c in items if c.get("subject") in subjects]
            for k in range(len(have), want):
                subject, body = COMPLAINTS[(k + rnd.randint(0, 3)) % len(COMPLAINTS)]
                r = await self.api.call("POST", "/feedback/api/pengaduan", json={
                    "unit_id": str(unit_id), "subject": subject, "body": body, "service_name": "Pelayanan umum",
                    "reporter_name": "Warga (contoh)"},
                    headers={"X-Forwarded-For": f"10.200.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"})  # fmt: skip
                self.s.complaints += 1
                c = r.json()
                cid = c.get("complaint_id")
                if cid and k % 2 == 0:  # the unit answers every other one
                    await self.api.call("POST", f"/feedback/api/pengaduan/id/{cid}/tanggapan", head.who,
                                        json={"body": "Terima kasih atas laporannya; kami sedang menindaklanjuti."},
                                        accept=(409,))  # fmt: skip

        await gather_limited(units, one, lambda: self.progress(step, 1, None), width=8)

    async def peer_feedback(self) -> None:
        step = "Umpan balik 360"
        people = self.detailed()
        ids = self.by_id()
        period = quarter(self.today)
        mates: dict[UUID | None, list[Asn]] = {}
        for a in self.asn.values():
            mates.setdefault(a.unit_id, []).append(a)
        plan = []
        for a in people:
            peers = [m for m in mates.get(a.unit_id, []) if m.asn_id != a.asn_id and not m.person.is_head][:4]
            if len(peers) >= 3 and a.superior_id in ids:
                plan.append((a, peers))
        raters = sorted({p.asn_id for _, peers in plan for p in peers}, key=str)
        self.progress(step, 0, len(plan) + len(raters))

        async def invite(item: tuple[Asn, list[Asn]]) -> None:
            a, peers = item
            body = {"asn_id": str(a.asn_id), "period": period,
                    "raters": [{"asn_id": str(p.asn_id), "relation": "rekan"} for p in peers]}  # fmt: skip
            sup = ids[a.superior_id]  # type: ignore[index]
            await self.api.call("POST", "/feedback/api/360/undangan", sup.who, json=body, accept=(409,))

        async def rate_all(rater_id: UUID) -> None:
            p = ids[rater_id]
            # open invitations only: a re-run finds none left for what was answered before
            for inv in (await self.api.call("GET", "/feedback/api/360/undangan", p.who)).json():
                if inv.get("period") != period:
                    continue
                rnd = random.Random(f"{p.asn_id}:{inv['invitation_id']}")
                ratings = {v: rnd.choice(("sesuai", "sesuai", "di_atas", "di_bawah")) for v in VALUES}
                await self.api.call("POST", f"/feedback/api/360/undangan/{inv['invitation_id']}/penilaian", p.who,
                                    json={"ratings": ratings, "comment": "Rekan kerja yang dapat diandalkan."},
                                    accept=(409,))  # fmt: skip
                self.s.peer_ratings += 1

        await gather_limited(plan, invite, lambda: self.progress(step, 1, None), width=16)
        await gather_limited(raters, rate_all, lambda: self.progress(step, 1, None), width=16)

    async def evaluations(self) -> None:
        step = "Penilaian periodik"
        people = self.detailed()
        ids = self.by_id()
        period = quarter(self.today)
        self.progress(step, 0, len(people))

        # a few top performers (one per regency, and about 1 in 10 beyond): above expectation on both axes
        # (Table P1: Sangat Baik), so Table R1 nominates them for an award that BKPSDM can approve in the demo
        first: dict[UUID, UUID] = {}
        for a in sorted(people, key=lambda x: str(x.asn_id)):
            first.setdefault(a.regency_id, a.asn_id)
        top = {a.asn_id for a in people if a.asn_id in first.values() or int(str(a.asn_id)[-2:], 16) % 10 == 0}

        async def one(a: Asn) -> None:
            sup = ids[a.superior_id].who  # type: ignore[index]
            form = await self.api.call("GET", f"/evaluation/api/v1/evaluations/{a.asn_id}/form", sup,
                                       params={"period": period}, accept=(404, 409))  # fmt: skip
            if form.status_code != 200:
                return
            f = form.json()
            if f.get("versions"):
                return  # evaluated already (a re-run)
            hasil = f.get("proposed_hasil") or "sesuai_ekspektasi"
            rnd = random.Random(f"nilai:{a.asn_id}")
            values = {v: rnd.choice(("sesuai_ekspektasi",) * 5 + ("di_atas_ekspektasi", "di_bawah_ekspektasi"))
                      for v in VALUES}  # fmt: skip
            if a.asn_id in top:
                hasil = "di_atas_ekspektasi"
                values = dict.fromkeys(VALUES, "di_atas_ekspektasi")
            perilaku = max(set(values.values()), key=list(values.values()).count)
            rhk = [{"rhk_id": str(r.get("rhk_id")),
                    "rating": hasil if a.asn_id in top else r.get("proposed") or r.get("proposed_rating") or hasil,
                    "reason": "Sesuai capaian periode ini dan bukti dukung."}
                   for r in f.get("rhk", []) if r.get("rhk_id")]  # fmt: skip
            body = {"period": period, "rhk": rhk, "hasil_rating": hasil, "hasil_reason": "Sesuai usulan dari capaian.",
                    "values": values, "perilaku_rating": perilaku,
                    "perilaku_reason": "Berdasarkan pengamatan atasan dan umpan balik rekan kerja.",
                    "note": "Pertahankan kinerja; lengkapi bukti dukung tepat waktu."}  # fmt: skip
            r = await self.api.call("POST", f"/evaluation/api/v1/evaluations/{a.asn_id}", sup, json=body,
                                    accept=(409,))  # fmt: skip
            if r.status_code == 201:
                self.s.evaluations += 1

        await gather_limited(people, one, lambda: self.progress(step, 1, None), width=16)

    # ---- who to sign in as ---------------------------------------------------------------------------------------

    def demo_users(self) -> list[dict[str, Any]]:
        demo, boss = self.demo_pair()
        tebo = self.rosters[0].regency

        def entry(label: str, who: Who, about: str) -> dict[str, Any]:
            return {"label": label, "name": who.name, "roles": [r.value for r in who.roles],
                    "regency_id": str(who.regency_id) if who.regency_id else "",
                    "province_id": str(who.province_id) if who.province_id else "",
                    "asn_id": str(who.asn_id) if who.asn_id else "", "about": about}  # fmt: skip

        return [
            entry("ASN", demo.who, f"{demo.person.title}, {demo.person.unit.split(' > ')[-1]}"),
            entry("Atasan", boss.who, f"{boss.person.title}; atasan langsung {demo.person.name}"),
            entry("Admin BKPSDM", self.bkpsdm(tebo.regency_id), f"BKPSDM {tebo.name}"),
            entry("Admin provinsi", self.province_admin, f"{PROVINCE_NAME}: membandingkan kabupaten/kota"),
        ]


def write_users(path: Path, users: list[dict[str, Any]]) -> None:
    """The demo users for the sign-in picker (kinerja_shared.devissuer reads demo-users.json next to its key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"users": users}, indent=2, ensure_ascii=False) + "\n")
    tmp.replace(path)
