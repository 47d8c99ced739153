"""BKPSDM records many SKPs at once, already agreed between each ASN and their assessor (e.g. signed on paper, or
carried into the system when a regency starts): each is created, submitted and approved in one go, with the same
checks, history and events (SkpSubmitted, SkpApproved through the outbox) as the one-by-one workflow.

All or nothing per request: every bad item is reported (index, field, reason) and nothing is written. An ASN who
already has an SKP for the year is not an error: the item answers with that SKP as it stands, so a re-run is safe."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from kinerja_evaluation.domain.errors import InvalidInput
from kinerja_evaluation.domain.skp import (
    SkpStatus,
    approval_deadline,
    check_can_submit,
)
from kinerja_evaluation.service.access import assessors_of, require_admin
from kinerja_evaluation.service.bulk import check_plan
from kinerja_evaluation.service.models import SkpIn
from kinerja_evaluation.service.org import load_config, now_jakarta
from kinerja_evaluation.service.skp import _write_expectations, _write_rhks
from kinerja_shared import audit
from kinerja_shared.auth import Principal
from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.evaluation import Aspect as EventAspect
from kinerja_shared.contracts.evaluation import Direction as EventDirection
from kinerja_shared.contracts.evaluation import IndicatorTarget, SkpApproved, SkpSubmitted
from kinerja_shared.db import tenant_transaction
from kinerja_shared.messaging import outbox

MAX_ITEMS = 500
NOTE = "dicatat massal oleh BKPSDM (disepakati pegawai dan atasan)"


class BulkRefused(InvalidInput):
    """Some items are bad: every one is listed, nothing was written."""

    def __init__(self, errors: list[tuple[int, str, str]]) -> None:
        super().__init__(f"{len(errors)} butir ditolak; tidak ada SKP yang dicatat.", field="items")
        self.errors = errors


@dataclass
class BulkItemResult:
    asn_id: UUID
    skp_id: UUID
    status: str
    created: bool
    rhk: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class BulkApproved:
    created: int = 0
    existing: int = 0
    items: list[BulkItemResult] = field(default_factory=list)


def _check_plan(plan: SkpIn) -> tuple[date, date]:
    """The pure checks of create + submit: the import's plan checks (dates, indicators), plus one RHK utama and each
    RHK measured."""
    start, end = check_plan(plan)
    check_can_submit(SkpStatus.DRAFT, len(plan.rhk), [len(r.indicators) for r in plan.rhk], True)
    if not any(r.kind.value == "utama" for r in plan.rhk):
        raise InvalidInput("SKP harus memiliki minimal satu RHK utama.", field="rhk")
    return start, end


async def bulk_approved_skps(
    pool: asyncpg.Pool, principal: Principal, items: Sequence[tuple[UUID, SkpIn]], *, now: datetime | None = None
) -> BulkApproved:
    regency_id = require_admin(principal)
    now = now or now_jakarta()
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"Paling banyak {MAX_ITEMS} SKP per permintaan.", field="items")
    errors: list[tuple[int, str, str]] = []
    dates: dict[int, tuple[date, date]] = {}
    seen: dict[tuple[UUID, int], int] = {}
    for n, (asn_id, plan) in enumerate(items):
        try:
            dates[n] = _check_plan(plan)
        except InvalidInput as e:
            errors.append((n, e.field, e.reason))
        if (asn_id, plan.year) in seen:
            errors.append((n, "asn_id", f"pegawai yang sama sudah ada di butir {seen[(asn_id, plan.year)]}"))
        seen.setdefault((asn_id, plan.year), n)
    if errors:
        raise BulkRefused(errors)
    out = BulkApproved()
    async with tenant_transaction(pool, [regency_id]) as conn:
        ids = [a for a, _ in items]
        # lock the ASN rows (in one order: no deadlock): the same items sent twice at once (a client retrying a
        # slow request) wait here, then find the SKPs the first one wrote instead of colliding on (asn, year)
        people = {r["asn_id"]: r for r in await conn.fetch(
            """SELECT asn_id, active, superior_id FROM asn WHERE asn_id = ANY($1::uuid[]) AND regency_id = $2
               ORDER BY asn_id FOR UPDATE""",
            ids, regency_id)}  # fmt: skip
        existing = {(r["asn_id"], r["year"]): r for r in await conn.fetch(
            """SELECT DISTINCT ON (asn_id, year) asn_id, year, skp_id, status FROM skp
               WHERE asn_id = ANY($1::uuid[]) ORDER BY asn_id, year, version DESC""", ids)}  # fmt: skip
        assessor: dict[int, UUID] = {}
        for n, (asn_id, plan) in enumerate(items):
            if (asn_id, plan.year) in existing:
                continue
            p = people.get(asn_id)
            if p is None or not p["active"]:
                errors.append((n, "asn_id", "pegawai tidak ditemukan atau tidak aktif di kabupaten/kota ini"))
                continue
            a = p["superior_id"]
            if a is None:
                acting = await assessors_of(conn, asn_id, now.date())
                a = UUID(min(acting)) if acting else None
            if a is None:
                errors.append((n, "asn_id", "pegawai belum memiliki atasan langsung (pejabat penilai)"))
                continue
            assessor[n] = a
        if errors:
            raise BulkRefused(errors)
        cfg = await load_config(conn, regency_id)
        events: list[Event] = []
        history: list[tuple[UUID, UUID, datetime, str, str, str]] = []
        new: dict[UUID, tuple[int, UUID]] = {}  # skp_id → (year, assessor)
        for n, (asn_id, plan) in enumerate(items):
            known = existing.get((asn_id, plan.year))
            if known is not None:
                out.existing += 1
                out.items.append(BulkItemResult(asn_id, known["skp_id"], known["status"], False))
                continue
            skp_id, start, end, sup = uuid.uuid4(), *dates[n], assessor[n]
            late = now.date() > approval_deadline(plan.year, cfg.skp_deadline_month, cfg.skp_deadline_day)
            await conn.execute(
                """INSERT INTO skp (skp_id, regency_id, asn_id, year, version, status, period_start, period_end,
                     superior_id, submitted_at, decided_at, decided_by, created_at, updated_at)
                   VALUES ($1, $2, $3, $4, 1, 'approved', $5, $6, $7, $8, $8, $7, $8, $8)""",
                skp_id, regency_id, asn_id, plan.year, start, end, sup, now,
            )  # fmt: skip
            await _write_rhks(conn, skp_id, regency_id, plan.rhk)
            await _write_expectations(conn, skp_id, regency_id, plan.expectations)
            for action in ("created", "submitted", "approved_late" if late else "approved"):
                history.append((skp_id, regency_id, now, principal.name, action, NOTE))
            events.append(SkpSubmitted(regency_id=regency_id, occurred_at=now, skp_id=skp_id, asn_id=asn_id,
                                       superior_id=sup, year=plan.year, version=1))  # fmt: skip
            new[skp_id] = (plan.year, sup)
            out.created += 1
            out.items.append(BulkItemResult(asn_id, skp_id, "approved", True))
        await conn.executemany(
            """INSERT INTO skp_history (skp_id, regency_id, at, actor_name, action, comment)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            history,
        )
        # the indicators of every SKP in the answer (new and existing), so a caller needs no read per ASN
        rows = await conn.fetch(
            """SELECT i.*, r.position AS rhk_position FROM indicator i JOIN rhk r ON r.rhk_id = i.rhk_id
               WHERE i.skp_id = ANY($1::uuid[]) ORDER BY i.skp_id, r.position, i.position""",
            [x.skp_id for x in out.items],
        )
        by_skp: dict[UUID, list[asyncpg.Record]] = {}
        for r in rows:
            by_skp.setdefault(r["skp_id"], []).append(r)
        for x in out.items:
            rhk: dict[UUID, dict[str, Any]] = {}
            for r in by_skp.get(x.skp_id, []):
                rhk.setdefault(r["rhk_id"], {"rhk_id": r["rhk_id"], "indicators": []})["indicators"].append(
                    {k: r[k] for k in ("indicator_id", "name", "target", "unit", "aspect", "direction", "weight")}
                )
            x.rhk = list(rhk.values())
            if x.skp_id in new:
                year, sup = new[x.skp_id]
                events.append(
                    SkpApproved(
                        regency_id=regency_id, occurred_at=now, skp_id=x.skp_id, asn_id=x.asn_id, approver_id=sup,
                        year=year, version=1,
                        indicators=tuple(
                            IndicatorTarget(indicator_id=r["indicator_id"], rhk_id=r["rhk_id"], name=r["name"],
                                            target=r["target"], unit=r["unit"], aspect=EventAspect(r["aspect"]),
                                            direction=EventDirection(r["direction"]), weight=r["weight"])
                            for r in by_skp.get(x.skp_id, [])
                        ),
                    )
                )  # fmt: skip
        if events:
            await outbox.add_many(conn, events)
        if out.created:
            await audit.record(
                conn, actor=principal, action=audit.AuditAction.SKP_APPROVE, subject_type="skp_bulk",
                subject_id=regency_id, regency_id=regency_id,
                detail={"created": out.created, "existing": out.existing, "note": NOTE},
            )  # fmt: skip
    return out
