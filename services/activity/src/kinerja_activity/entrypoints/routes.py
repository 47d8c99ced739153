"""JSON API of the activity service (the phone app and other clients); pages are in pages.py."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from kinerja_activity.adapters.evidence_store import FileEvidenceStore
from kinerja_activity.domain.errors import Violation
from kinerja_activity.entrypoints.common import CallerDep, caller_of, is_bkpsdm, mapped, now, violations_detail
from kinerja_activity.service import activities as acts
from kinerja_activity.service import admin
from kinerja_activity.service import attendance as att
from kinerja_activity.service import verification as ver
from kinerja_activity.service.commands import ActivityIn, ApelIn, BulkApprove, CheckIn, Decision, LeaveIn, SyncBatch
from kinerja_activity.settings import ActivitySettings
from kinerja_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from kinerja_shared.runtime import PoolDep, Runtime


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    activity_date: date
    start_time: time
    end_time: time
    minutes: int
    description: str
    quantity: Decimal
    output: str
    indicator_id: UUID
    status: str
    revision: int
    reject_reason: str | None = None


def activity_out(row: Any) -> ActivityOut:
    return ActivityOut(
        id=row["activity_id"],
        activity_date=row["activity_date"],
        start_time=row["start_time"],
        end_time=row["end_time"],
        minutes=row["minutes"],
        description=row["description"],
        quantity=row["quantity"],
        output=row["output"],
        indicator_id=row["indicator_id"],
        status=row["status"],
        revision=row["revision"],
        reject_reason=row["reject_reason"],
    )


class ItemOut(BaseModel):
    index: int
    id: UUID | None
    status: Literal["accepted", "rejected"]
    errors: list[dict[str, str]]


class SyncOut(BaseModel):
    items: list[ItemOut]
    accepted: int
    rejected: int
    created: int


class ChangedOut(BaseModel):
    changed: list[UUID]


def _month(month: str | None) -> date:
    if month is None:
        return now().date().replace(day=1)
    try:
        y, m = month.split("-")
        return date(int(y), int(m), 1)
    except ValueError:
        raise HTTPException(
            422,
            [
                {
                    "field": "month",
                    "location": "query",
                    "type": "month_parsing",
                    "reason": "expected YYYY-MM",
                    "message_id": "Format bulan: TTTT-BB.",
                }
            ],
        ) from None


def _settings(request: Request) -> ActivitySettings:
    s: ActivitySettings = request.app.state.settings
    return s


def store_of(request: Request) -> FileEvidenceStore:
    return FileEvidenceStore(_settings(request).evidence_dir)


async def read_upload(file: UploadFile, max_bytes: int) -> bytes:
    """Read at most max_bytes + 1, so an oversized upload is refused without holding all of it."""
    return await file.read(max_bytes + 1)


def _manager(principal: Principal) -> acts.Caller | None:
    """BKPSDM manages every ASN of its regency (None = no relation check); anyone else acts as a superior."""
    return None if is_bkpsdm(principal) else caller_of(principal)


# Wall-clock office hours (WIB, no offset). JSON Schema's "time" format demands an offset, so the API states its
# own shape: "HH:MM" out, "HH:MM" or "HH:MM:SS" in.
ClockTime = Annotated[
    time,
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$", "examples": ["07:30"]}
    ),  # fmt: skip
]


class SettingsIn(BaseModel):
    """A regency's activity settings (BKPSDM); defaults are DOMAIN.md's (Tables T1, R1)."""

    model_config = ConfigDict(extra="forbid")

    monthly_quota_minutes: int = Field(default=6750, ge=60, le=20_000, description="Table T1 quota")
    report_grace_days: int = Field(default=5, ge=0, le=28, description="last month stays open until this day")
    overdue_working_days: int = Field(default=2, ge=0, le=30, description="Table R1 verification_pending")
    office_start: ClockTime = time(7, 30)
    office_end: ClockTime = time(16, 0)
    friday_end: ClockTime = time(16, 30)
    alpa_start: date | None = Field(default=None, description="first day the day-end job may mark alpa; null = off")

    def to_domain(self) -> admin.RegencySettings:
        return admin.RegencySettings(**self.model_dump())


class HolidayIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    day: date
    name: str = Field(min_length=3, max_length=120)


class PinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asn_id: UUID


BkpsdmDep = Annotated[Principal, Depends(require_roles(Role.ADMIN_BKPSDM))]


def regency_of(principal: Principal) -> UUID:
    if principal.regency_id is None:
        raise HTTPException(403, "Akun ini tidak terhubung dengan daerah.")
    regency: UUID = principal.regency_id
    return regency


def csv_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def api_router(_rt: Runtime) -> APIRouter:
    r = APIRouter(prefix="/api", tags=["kegiatan"])

    @r.post("/activities", status_code=201, response_model=ActivityOut, name="api_report_activity")
    async def report(body: ActivityIn, pool: PoolDep, caller: CallerDep) -> ActivityOut:
        """Report one daily activity linked to an approved RHK indicator; `id` makes a retry idempotent."""
        row = await mapped(acts.report_activity(pool, caller, body, now=now()))
        return activity_out(row)

    @r.get("/activities", response_model=list[ActivityOut])
    async def list_own(
        pool: PoolDep,
        caller: CallerDep,
        start: Annotated[date | None, Query()] = None,
        end: Annotated[date | None, Query()] = None,
    ) -> list[ActivityOut]:
        """The caller's own activities (default: the last 7 days)."""
        end = end or now().date()
        start = start or end - timedelta(days=6)
        return [activity_out(x) for x in await acts.list_activities(pool, caller, start, end)]

    @r.put("/activities/{activity_id}", response_model=ActivityOut)
    async def revise(activity_id: UUID, body: ActivityIn, pool: PoolDep, caller: CallerDep) -> ActivityOut:
        """Change a pending or rejected activity (verified ones are final: 409)."""
        row = await mapped(acts.revise_activity(pool, caller, activity_id, body, now=now()))
        return activity_out(row)

    @r.post("/activities/{activity_id}/withdraw", response_model=ActivityOut)
    async def withdraw(activity_id: UUID, pool: PoolDep, caller: CallerDep, principal: CurrentPrincipal) -> ActivityOut:
        """Withdraw (tarik) one's own activity while it waits for verification; decided ones answer 409."""
        row = await mapped(acts.withdraw_activity(pool, caller, activity_id, now=now(), principal=principal))
        return activity_out(row)

    @r.post("/activities/sync", response_model=SyncOut)
    async def sync(body: SyncBatch, pool: PoolDep, caller: CallerDep) -> SyncOut:
        """Offline-first batch of ≤ 500 activities with client ids; replaying the batch changes nothing."""
        res = await acts.sync_activities(pool, caller, body.items, now=now())
        return SyncOut(
            items=[
                ItemOut(index=i.index, id=i.id, status=i.status, errors=violations_detail(i.errors, "item"))
                for i in res.items
            ],
            accepted=res.accepted,
            rejected=res.rejected,
            created=res.created,
        )

    @r.post("/activities/{activity_id}/evidence", status_code=201)
    async def upload_evidence(
        activity_id: UUID,
        request: Request,
        pool: PoolDep,
        caller: CallerDep,
        file: Annotated[UploadFile, File(description="foto (JPEG/PNG/WebP) atau PDF")],
    ) -> dict[str, object]:
        """Attach a photo or PDF; type is checked by content and size against the configured limit."""
        s = _settings(request)
        content = await read_upload(file, s.evidence_max_bytes)
        checked = await mapped(
            acts.attach_evidence(
                pool,
                store_of(request),
                caller,
                activity_id,
                content,
                file.filename or "bukti",
                max_bytes=s.evidence_max_bytes,
                now=now(),
            )
        )
        return {"sha256": checked.sha256, "kind": checked.kind.value, "size": checked.size}

    @r.get("/activities/{activity_id}/evidence/{sha256}", name="evidence_file")
    async def evidence_file(
        activity_id: UUID, sha256: str, request: Request, pool: PoolDep, caller: CallerDep
    ) -> Response:
        """Download evidence: the ASN's own, or a subordinate's for their superior."""
        row = await mapped(acts.evidence_for(pool, caller, activity_id, sha256, today=now().date()))
        try:
            content = await store_of(request).get(row["sha256"])
        except FileNotFoundError:  # removed by the retention purge (docs/privacy.md); the row keeps its hash
            raise HTTPException(410, "Berkas bukti sudah dihapus karena masa simpannya telah habis.") from None
        return Response(
            content,
            media_type=row["kind"],
            headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )

    @r.get("/summary")
    async def summary(pool: PoolDep, caller: CallerDep, month: str | None = None) -> dict[str, object]:
        """Minutes reported and verified this month (or YYYY-MM) against the regency's quota (T1)."""
        s = await acts.month_summary(pool, caller, _month(month))
        return {
            "month": s.month.strftime("%Y-%m"),
            "quota_minutes": s.quota_minutes,
            "reported_minutes": s.reported_minutes,
            "verified_minutes": s.verified_minutes,
            "percent": s.percent,
            "verified_percent": s.verified_percent,
            "pending": s.pending,
            "rejected": s.rejected,
        }

    @r.post("/activities/{activity_id}/decision", response_model=ChangedOut)
    async def decide(
        activity_id: UUID, body: Decision, pool: PoolDep, caller: CallerDep, principal: CurrentPrincipal
    ) -> ChangedOut:
        """The direct (or acting) superior approves, or rejects with a reason."""
        changed = await mapped(
            ver.decide(
                pool, caller, [activity_id], approve=body.approve, reason=body.reason, now=now(), principal=principal
            )
        )
        return ChangedOut(changed=changed)

    @r.post("/verifications/approve", response_model=ChangedOut)
    async def bulk_approve(
        body: BulkApprove, pool: PoolDep, caller: CallerDep, principal: CurrentPrincipal
    ) -> ChangedOut:
        """Approve many at once (all or nothing); already approved ones are skipped."""
        changed = await mapped(
            ver.decide(pool, caller, body.activity_ids, approve=True, now=now(), principal=principal)
        )
        return ChangedOut(changed=changed)

    @r.get("/verifications/pending")
    async def pending(pool: PoolDep, caller: CallerDep) -> list[dict[str, object]]:
        """Subordinates' activities waiting for the caller, oldest first."""
        rows = await ver.pending_queue(pool, caller, today=now().date())
        return [dict(x) for x in rows]

    @r.get("/team/today")
    async def team(pool: PoolDep, caller: CallerDep) -> list[dict[str, object]]:
        """Each subordinate today: attendance, lateness, activities, pending verifications."""
        return [dict(x) for x in await ver.team_today(pool, caller, today=now().date())]

    @r.post("/attendance/check-in")
    async def check_in(pool: PoolDep, caller: CallerDep, body: CheckIn | None = None) -> dict[str, object]:
        """Arrive now (server time), optionally with the phone's location."""
        loc = (body.latitude, body.longitude) if body and body.latitude is not None else None
        row = await mapped(att.check_in_out(pool, caller, check_out=False, now=now(), location=loc))  # type: ignore[arg-type]
        return dict(row)

    @r.post("/attendance/check-out")
    async def check_out(pool: PoolDep, caller: CallerDep, body: CheckIn | None = None) -> dict[str, object]:
        """Leave now (server time), optionally with the phone's location."""
        loc = (body.latitude, body.longitude) if body and body.latitude is not None else None
        row = await mapped(att.check_in_out(pool, caller, check_out=True, now=now(), location=loc))  # type: ignore[arg-type]
        return dict(row)

    @r.get("/attendance")
    async def my_attendance(pool: PoolDep, caller: CallerDep, month: str | None = None) -> list[dict[str, object]]:
        """The caller's attendance days in a month (default this month) with late and early-leave minutes."""
        return [dict(x) for x in await att.month_attendance(pool, caller, _month(month))]

    @r.post("/attendance/import")
    async def import_csv(
        pool: PoolDep,
        principal: Annotated[Principal, Depends(require_roles(Role.ADMIN_BKPSDM))],
        file: Annotated[UploadFile, File(description="ekspor mesin sidik jari: pin,waktu (atau asn_id,waktu)")],
    ) -> dict[str, object]:
        """BKPSDM imports a fingerprint-machine export; bad lines are reported, the rest applied."""
        raw = await file.read(20 * 1024 * 1024 + 1)
        if len(raw) > 20 * 1024 * 1024:
            raise HTTPException(413, "Berkas terlalu besar (maksimal 20 MB).")
        text = csv_text(raw)
        assert principal.regency_id is not None
        res = await mapped(att.import_fingerprint(pool, principal.regency_id, text, now=now()))
        return {
            "rows": res.rows,
            "days_changed": res.days_changed,
            "errors": [{"line": n, "field": v.field, "reason": v.reason, "type": v.code} for n, v in res.errors],
        }

    @r.post("/attendance/leave", status_code=201)
    async def leave(body: LeaveIn, pool: PoolDep, principal: CurrentPrincipal) -> dict[str, object]:
        """Mark cuti / dinas luar / sakit over a range (BKPSDM, or the ASN's direct superior)."""
        actor = _manager(principal)
        assert principal.regency_id is not None
        leave_id = await mapped(
            att.record_leave(
                pool,
                principal.regency_id,
                body.asn_id,
                body.status,
                body.start_date,
                body.end_date,
                note=body.note,
                actor=actor,
                recorded_by=principal.asn_id,
                now=now(),
            )
        )
        return {"leave_id": leave_id}

    @r.post("/attendance/apel")
    async def apel(body: ApelIn, pool: PoolDep, principal: CurrentPrincipal) -> dict[str, object]:
        """Record assembly attendance for a day (BKPSDM, or the superior for their subordinates)."""
        actor = _manager(principal)
        if principal.regency_id is None:
            raise HTTPException(403, "Akun ini tidak terhubung dengan daerah.")
        n = await mapped(
            att.record_apel(
                pool, principal.regency_id, body.work_date, body.attended, body.missed, actor=actor, now=now()
            )
        )
        return {"changed": n}

    @r.get("/settings", response_model=SettingsIn)
    async def get_settings(pool: PoolDep, principal: BkpsdmDep) -> SettingsIn:
        """The regency's activity settings (defaults when never saved)."""
        s = await admin.get_settings(pool, regency_of(principal))
        return SettingsIn.model_validate(s, from_attributes=True)

    @r.put("/settings", response_model=SettingsIn)
    async def put_settings(body: SettingsIn, pool: PoolDep, principal: BkpsdmDep) -> SettingsIn:
        """Change the regency's settings (audited)."""
        await mapped(admin.save_settings(pool, principal, regency_of(principal), body.to_domain(), now=now()))
        return body

    @r.get("/holidays")
    async def holidays(
        pool: PoolDep, principal: BkpsdmDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
    ) -> list[dict[str, object]]:
        """The regency's holidays of a year (default this year)."""
        rows = await admin.list_holidays(pool, regency_of(principal), year or now().year)
        return [{"day": x["day"], "name": x["name"]} for x in rows]

    @r.post("/holidays", status_code=201)
    async def add_holiday(body: HolidayIn, pool: PoolDep, principal: BkpsdmDep) -> dict[str, object]:
        """Add (or rename) a holiday; weekends are refused (422)."""
        await mapped(admin.add_holiday(pool, principal, regency_of(principal), body.day, body.name, now=now()))
        return {"day": body.day, "name": body.name}

    @r.delete("/holidays/{day}", status_code=204)
    async def remove_holiday(day: date, pool: PoolDep, principal: BkpsdmDep) -> Response:
        await mapped(admin.remove_holiday(pool, principal, regency_of(principal), day, now=now()))
        return Response(status_code=204)

    @r.get("/fingerprint-pins")
    async def pins(pool: PoolDep, principal: BkpsdmDep) -> list[dict[str, object]]:
        """Machine PIN → ASN mapping of the regency."""
        return [dict(x) for x in await admin.list_pins(pool, regency_of(principal))]

    @r.put("/fingerprint-pins/{pin}")
    async def set_pin(pin: str, body: PinIn, pool: PoolDep, principal: BkpsdmDep) -> dict[str, object]:
        """Map one machine PIN to an ASN of the regency (422 for a bad PIN or an unknown ASN)."""
        p = await mapped(_checked_pin(pin))
        _, errors = await mapped(
            admin.set_pins(pool, principal, regency_of(principal), [(0, p, body.asn_id)], now=now())
        )
        if errors:
            raise HTTPException(422, violations_detail([v for _, v in errors]))
        return {"pin": p, "asn_id": body.asn_id}

    @r.delete("/fingerprint-pins/{pin}", status_code=204)
    async def remove_pin(pin: str, pool: PoolDep, principal: BkpsdmDep) -> Response:
        await mapped(admin.remove_pin(pool, principal, regency_of(principal), pin, now=now()))
        return Response(status_code=204)

    @r.post("/fingerprint-pins/import")
    async def import_pins(
        pool: PoolDep,
        principal: BkpsdmDep,
        file: Annotated[UploadFile, File(description="CSV pin,asn_id")],
    ) -> dict[str, object]:
        """Upload a PIN mapping (`pin,asn_id`); bad lines are reported, the rest saved."""
        raw = await file.read(2 * 1024 * 1024 + 1)
        if len(raw) > 2 * 1024 * 1024:
            raise HTTPException(413, "Berkas terlalu besar (maksimal 2 MB).")
        pairs, errors = await mapped(_parse_pins(csv_text(raw)))
        saved, unknown = await mapped(admin.set_pins(pool, principal, regency_of(principal), pairs, now=now()))
        errs = sorted(errors + unknown, key=lambda e: e[0])
        return {
            "saved": saved,
            "errors": [{"line": n, "field": v.field, "reason": v.reason, "type": v.code} for n, v in errs],
        }

    return r


async def _checked_pin(pin: str) -> str:
    return admin.check_pin(pin)


async def _parse_pins(text: str) -> tuple[list[tuple[int, str, UUID]], list[tuple[int, Violation]]]:
    return admin.parse_pin_csv(text)
