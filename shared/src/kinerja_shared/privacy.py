"""Personal data duties shared by every service (UU PDP 27/2022, docs/privacy.md).

- **Retention** (art. 43–44): each service lists `RetentionRule`s for its own tables (the retention table of
  docs/privacy.md, periods from `RetentionSettings`); `purge` applies them in small batches, each batch one
  transaction over every tenant (`tenant_transaction(pool, "*")`) that also appends `retention.purge` with the
  rule and the row count (never content) to the audit log. `retention_task` runs it daily in the worker.
- **Access** (art. 7): `export_router` gives a service a `GET /api/privacy/asn/{asn_id}` answering that service's
  personal data of one ASN as JSON (for the ASN themselves or the HR of their regency), audited as
  `personal_data.export` with counts only. HR gathers the four services' parts (docs/privacy.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, HTTPException
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from kinerja_shared import audit
from kinerja_shared.auth import Principal, Role, require_roles
from kinerja_shared.db import ALL_REGENCIES, tenant_transaction
from kinerja_shared.logging import get_logger
from kinerja_shared.runtime import PoolDep

log = get_logger(__name__)

_RULE_NAMESPACE: Final = uuid.UUID("6b1c0e6e-5a43-4d0f-9a57-7f3c1e0b2a11")
_IDENT: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


class RetentionSettings(BaseSettings):
    """Retention periods (docs/privacy.md, "Retention per data type"); each regency's data protection officer
    confirms them, ops may set them per deployment with `KINERJA_RETENTION_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="KINERJA_RETENTION_", extra="ignore")

    enabled: bool = Field(default=True, description="run the daily purge in the worker")
    interval_hours: float = Field(default=24.0, gt=0, description="time between two purge runs")
    first_run_delay_s: float = Field(
        default=900.0, ge=0, description="wait after the worker starts (a deploy is not the moment for a sweep)"
    )
    batch_size: int = Field(default=1000, ge=1, le=100_000, description="rows per transaction")
    records_years: int = Field(default=10, ge=1, description="SKP, realisasi, scores, predikat, TPP: after the year")
    import_report_years: int = Field(default=2, ge=1, description="roster import reports")
    activity_years: int = Field(default=5, ge=1, description="daily activities and verification decisions")
    evidence_years: int = Field(
        default=2, ge=1, description="evidence files, after the year of the final assessment (the following year)"
    )
    attendance_years: int = Field(default=5, ge=1, description="attendance times and leave marks")
    coordinates_days: int = Field(default=90, ge=1, description="check-in/out coordinates, then nulled")
    peer_years: int = Field(default=5, ge=1, description="360 rounds, invitations and responses")
    survey_years: int = Field(default=5, ge=1, description="IKM survey answers")
    complaint_years: int = Field(default=5, ge=1, description="complaints and their entries, after closing")
    complaint_contact_days: int = Field(default=365, ge=1, description="reporter name/contact, after closing")
    forum_hidden_days: int = Field(default=365, ge=1, description="posts hidden by a moderator")
    inbox_days: int = Field(default=365, ge=1, description="notifications and inbox items")
    delivery_days: int = Field(default=90, ge=1, description="e-mail and webhook deliveries and attempts")


def years(n: int) -> timedelta:
    """n calendar years as days (leap days included on average: a purge a day late is harmless)."""
    return timedelta(days=round(365.25 * n))


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """Rows of `table` whose `older_than` (a column or SQL expression giving a date/timestamptz) lies more than
    `keep` before now and that match `where` are deleted, or, with `set`, updated by that SET clause (which must
    make `where` false, so a second run finds nothing). `after` runs in the batch's transaction with the
    `returning` columns of the touched rows (e.g. to remove files)."""

    name: str
    table: str
    older_than: str
    keep: timedelta
    where: str = "TRUE"
    set: str | None = None
    returning: tuple[str, ...] = ()
    after: Callable[[asyncpg.Connection, Sequence[asyncpg.Record]], Awaitable[None]] | None = field(
        default=None, compare=False
    )

    def __post_init__(self) -> None:
        if not self.table or set(self.table) - _IDENT:
            raise ValueError(f"retention rule {self.name}: bad table name {self.table!r}")
        if self.keep <= timedelta(0):
            raise ValueError(f"retention rule {self.name}: keep must be positive")

    @property
    def subject_id(self) -> UUID:
        return uuid.uuid5(_RULE_NAMESPACE, self.name)

    def sql(self, batch_size: int) -> str:
        # ctid of a bounded, locked batch: one short transaction per batch, no long locks on busy tables
        pick = (
            f"SELECT ctid FROM {self.table} WHERE ({self.older_than}) < $1::timestamptz AND ({self.where})"  # noqa: S608
            f" LIMIT {int(batch_size)} FOR UPDATE SKIP LOCKED"
        )
        ret = f" RETURNING {', '.join(self.returning)}" if self.returning else ""
        if self.set is None:
            return f"DELETE FROM {self.table} WHERE ctid = ANY(ARRAY({pick})){ret}"  # noqa: S608
        return f"UPDATE {self.table} SET {self.set} WHERE ctid = ANY(ARRAY({pick})){ret}"  # noqa: S608


async def purge(
    pool: asyncpg.Pool,
    rules: Sequence[RetentionRule],
    *,
    service: str,
    now: datetime | None = None,
    batch_size: int = 1000,
) -> dict[str, int]:
    """Apply `rules` in order (children before parents); returns rows touched per rule. Each batch is one
    transaction over all tenants and leaves one `retention.purge` audit row with the rule and count."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    actor = audit.Actor.system(service)
    counts: dict[str, int] = {}
    for rule in rules:
        cutoff = now - rule.keep
        sql = rule.sql(batch_size)
        total = 0
        while True:
            async with tenant_transaction(pool, ALL_REGENCIES) as conn:
                if rule.returning:
                    rows = await conn.fetch(sql, cutoff)
                    n = len(rows)
                else:
                    rows = []
                    n = int((await conn.execute(sql, cutoff)).split()[-1])
                if n == 0:
                    break
                if rule.after is not None:
                    await rule.after(conn, rows)
                await audit.record(
                    conn,
                    actor=actor,
                    action=audit.AuditAction.RETENTION_PURGE,
                    subject_type="retention_rule",
                    subject_id=rule.subject_id,
                    regency_id=None,
                    detail={
                        "rule": rule.name,
                        "table": rule.table,
                        "action": "delete" if rule.set is None else "update",
                        "rows": n,
                        "cutoff": cutoff.date().isoformat(),
                    },
                )
            total += n
            if n < batch_size:
                break
        counts[rule.name] = total
    return counts


def retention_task(
    pool: Callable[[], asyncpg.Pool],
    rules: Callable[[RetentionSettings], Sequence[RetentionRule]],
    *,
    service: str,
    settings: RetentionSettings | None = None,
) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    """The worker's daily purge (a `runtime.WorkerTask`): a failed run is logged and tried at the next round."""
    cfg = settings or RetentionSettings()

    async def run(stop: asyncio.Event) -> None:
        if not cfg.enabled:
            return
        wait = cfg.first_run_delay_s
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
            if stop.is_set():
                return
            try:
                counts = await purge(pool(), rules(cfg), service=service, batch_size=cfg.batch_size)
                log.info("retention purge done", **{k.replace(".", "_"): v for k, v in counts.items()})
            except Exception as e:  # a database blip: the next round catches up
                log.warning("retention purge failed", error=str(e))
            wait = cfg.interval_hours * 3600

    return run


# ---- access right: one ASN's data in this service -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportSection:
    """One part of the export: `sql` selects the ASN's rows with `$1` = asn_id (RLS scopes it to the tenant)."""

    name: str
    register_row: int  # the row of docs/privacy.md's register it answers
    sql: str


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | memoryview):
        return None  # binary (files) is not part of the JSON; evidence files are listed by hash
    return value


async def export_personal_data(
    pool: asyncpg.Pool,
    principal: Principal,
    asn_id: UUID,
    sections: Sequence[ExportSection],
    *,
    service: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The service's personal data of `asn_id` for the ASN themselves or admin_bkpsdm of their regency (403/404
    otherwise); one `personal_data.export` audit row with the section counts, in the same transaction."""
    if principal.regency_id is None:
        raise HTTPException(403, "Akun ini tidak terikat pada kabupaten/kota.")
    own = principal.asn_id == asn_id
    if not own and not principal.has_role(Role.ADMIN_BKPSDM):
        raise HTTPException(403, "Hanya pegawai yang bersangkutan atau admin BKPSDM yang dapat mengunduh data ini.")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    async with tenant_transaction(pool, [principal.regency_id]) as conn:
        known = await conn.fetchval("SELECT regency_id FROM org_asn WHERE asn_id = $1", asn_id)
        if known is None and not own:
            # RLS hides another regency's ASN: HR of regency B cannot even learn that the id exists
            raise HTTPException(404, "Pegawai tidak ditemukan di kabupaten/kota Anda.")
        out: dict[str, Any] = {}
        for s in sections:
            rows = await conn.fetch(s.sql, asn_id)
            out[s.name] = [_plain(dict(r)) for r in rows]
        await audit.record(
            conn,
            actor=principal,
            action=audit.AuditAction.PERSONAL_DATA_EXPORT,
            subject_type="asn",
            subject_id=asn_id,
            regency_id=principal.regency_id,
            detail={"service": service, "rows": {k: len(v) for k, v in out.items()}},
        )
    return {
        "service": service,
        "asn_id": str(asn_id),
        "exported_at": now.isoformat(),
        "register_rows": sorted({s.register_row for s in sections}),
        "sections": out,
    }


EXPORT_POLICY: Final = Depends(require_roles(Role.ASN, Role.ATASAN, Role.ADMIN_BKPSDM, relation="self_or_regency_hr"))


def export_router(service: str, sections: Sequence[ExportSection]) -> APIRouter:
    """`GET /api/privacy/asn/{asn_id}`: this service's part of a data subject's access request (art. 7)."""
    router = APIRouter(prefix="/api/privacy", tags=["privacy"])

    @router.get(
        "/asn/{asn_id}",
        name=f"{service}_privacy_export",
        responses={403: {"description": "neither the ASN nor HR of their regency"}, 404: {"description": "unknown"}},
    )
    async def export(asn_id: UUID, pool: PoolDep, principal: Principal = EXPORT_POLICY) -> dict[str, Any]:
        """Every personal data item this service keeps about the ASN (docs/privacy.md register), as JSON."""
        return await export_personal_data(pool, principal, asn_id, sections, service=service)

    return router
