"""SKP use cases: draft, edit, submit, approve or send back, revise mid-year; one transaction each."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from uuid import UUID

import asyncpg

from kinerja_evaluation.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kinerja_evaluation.domain.skp import (
    BerAkhlak,
    IndicatorSpec,
    SkpStatus,
    approval_deadline,
    check_can_decide,
    check_can_edit,
    check_can_submit,
    check_comment,
    check_indicator,
    check_year_dates,
)
from kinerja_evaluation.service.access import (
    assessors_of,
    check_can_view,
    regency_of,
    require_asn,
    scope_of,
)
from kinerja_evaluation.service.models import (
    HistoryView,
    IndicatorView,
    RealisasiView,
    RhkIn,
    RhkView,
    SkpContentIn,
    SkpIn,
    SkpView,
)
from kinerja_evaluation.service.org import load_config, now_jakarta
from kinerja_shared import audit
from kinerja_shared.auth import Principal
from kinerja_shared.contracts.evaluation import (
    Aspect as EventAspect,
)
from kinerja_shared.contracts.evaluation import (
    Direction as EventDirection,
)
from kinerja_shared.contracts.evaluation import (
    IndicatorTarget,
    SkpApproved,
    SkpRevisionRequested,
    SkpSubmitted,
)
from kinerja_shared.db import tenant_transaction
from kinerja_shared.messaging import outbox

ACTIONS = {
    "created": "SKP dibuat",
    "edited": "Isi SKP diubah",
    "submitted": "Diajukan ke atasan",
    "approved": "Disetujui",
    "approved_late": "Disetujui (melewati batas waktu)",
    "revision_requested": "Dikembalikan untuk perbaikan",
    "revised": "Versi baru dibuka (perubahan di tengah tahun)",
    "superseded": "Diganti versi baru",
}


async def _history(
    conn: asyncpg.Connection, skp_id: UUID, regency_id: UUID, principal: Principal, action: str, now: datetime,
    comment: str = "",
) -> None:  # fmt: skip
    await conn.execute(
        """INSERT INTO skp_history (skp_id, regency_id, at, actor_id, actor_name, action, comment)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        skp_id,
        regency_id,
        now,
        principal.asn_id,
        principal.name,
        action,
        comment,
    )


async def _asn(conn: asyncpg.Connection, asn_id: UUID) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM asn WHERE asn_id = $1", asn_id)
    if row is None:
        raise NotFound("Data pegawai tidak ditemukan di kabupaten/kota ini.")
    return row


async def _skp(conn: asyncpg.Connection, skp_id: UUID, *, lock: bool = False) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM skp WHERE skp_id = $1" + (" FOR UPDATE" if lock else ""), skp_id)
    if row is None:
        raise NotFound("SKP tidak ditemukan.")
    return row


async def _check_content(conn: asyncpg.Connection, asn_id: UUID, year: int, rhks: Sequence[RhkIn], today: date) -> None:
    """Indicator rules and the cascade: an RHK may only support an RHK of the ASN's own assessor's SKP."""
    assessors = await assessors_of(conn, asn_id, today)
    for i, r in enumerate(rhks):
        for j, ind in enumerate(r.indicators):
            check_indicator(
                IndicatorSpec(ind.name, ind.target, ind.unit, ind.aspect, ind.direction.value, ind.weight),
                f"rhk.{i}.indicators.{j}",
            )
        if r.parent_rhk_id is not None:
            owner = await conn.fetchrow(
                """SELECT s.asn_id, s.year, s.status FROM rhk r JOIN skp s ON s.skp_id = r.skp_id
                   WHERE r.rhk_id = $1""",
                r.parent_rhk_id,
            )
            if owner is None or str(owner["asn_id"]) not in assessors:
                raise InvalidInput(
                    "RHK atasan yang diintervensi harus RHK milik atasan langsung Anda.",
                    field=f"rhk.{i}.parent_rhk_id",
                    reason="parent RHK does not belong to the direct superior",
                )
            if owner["year"] != year or owner["status"] == SkpStatus.SUPERSEDED:
                raise InvalidInput(
                    f"RHK atasan harus dari SKP atasan tahun {year} yang berlaku.",
                    field=f"rhk.{i}.parent_rhk_id",
                    reason="parent RHK is not in the superior's current SKP of the year",
                )


async def _write_rhks(
    conn: asyncpg.Connection, skp_id: UUID, regency_id: UUID, rhks: Sequence[RhkIn], start: int = 0
) -> list[UUID]:
    ids: list[UUID] = []
    ind_rows = []
    rhk_rows = []
    for i, r in enumerate(rhks, start=start):
        rhk_id = uuid.uuid4()
        ids.append(rhk_id)
        rhk_rows.append((rhk_id, skp_id, regency_id, i, r.kind.value, r.description, r.parent_rhk_id))
        for j, ind in enumerate(r.indicators):
            ind_rows.append(
                (
                    uuid.uuid4(), rhk_id, skp_id, regency_id, j, ind.name, ind.target, ind.unit, ind.aspect.value,
                    ind.direction.value, ind.weight,
                )
            )  # fmt: skip
    await conn.executemany(
        "INSERT INTO rhk (rhk_id, skp_id, regency_id, position, kind, description, parent_rhk_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        rhk_rows,
    )
    await conn.executemany(
        """INSERT INTO indicator (indicator_id, rhk_id, skp_id, regency_id, position, name, target, unit, aspect,
             direction, weight) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        ind_rows,
    )
    return ids


async def _write_expectations(
    conn: asyncpg.Connection, skp_id: UUID, regency_id: UUID, expectations: dict[BerAkhlak, str]
) -> None:
    await conn.executemany(
        """INSERT INTO skp_behavior (skp_id, regency_id, value, expectation) VALUES ($1, $2, $3, $4)
           ON CONFLICT (skp_id, value) DO UPDATE SET expectation = excluded.expectation""",
        [(skp_id, regency_id, v.value, " ".join(expectations.get(v, "").split())) for v in BerAkhlak],
    )


async def create_skp(pool: asyncpg.Pool, principal: Principal, body: SkpIn, *, now: datetime | None = None) -> UUID:
    """The ASN opens their SKP for a year as a draft (version 1), optionally with its content."""
    now = now or now_jakarta()
    asn_id, regency_id = require_asn(principal), regency_of(principal)
    start = body.period_start or date(body.year, 1, 1)
    end = body.period_end or date(body.year, 12, 31)
    check_year_dates(body.year, start, end, "period")
    async with tenant_transaction(pool, [regency_id]) as conn:
        asn = await _asn(conn, asn_id)
        if not asn["active"]:
            raise Conflict("Pegawai tidak aktif.")
        if await conn.fetchval("SELECT 1 FROM skp WHERE asn_id = $1 AND year = $2", asn_id, body.year):
            raise Conflict(f"SKP tahun {body.year} sudah ada; ubah drafnya atau buka versi baru.", field="year")
        await _check_content(conn, asn_id, body.year, body.rhk, now.date())
        skp_id = uuid.uuid4()
        await conn.execute(
            """INSERT INTO skp (skp_id, regency_id, asn_id, year, version, status, period_start, period_end,
                 created_at, updated_at) VALUES ($1, $2, $3, $4, 1, 'draft', $5, $6, $7, $7)""",
            skp_id,
            regency_id,
            asn_id,
            body.year,
            start,
            end,
            now,
        )
        await _write_rhks(conn, skp_id, regency_id, body.rhk)
        await _write_expectations(conn, skp_id, regency_id, body.expectations)
        await _history(conn, skp_id, regency_id, principal, "created", now)
    return skp_id


async def _editable(conn: asyncpg.Connection, principal: Principal, skp_id: UUID) -> asyncpg.Record:
    skp = await _skp(conn, skp_id, lock=True)
    if skp["asn_id"] != principal.asn_id:
        await check_can_view(conn, principal, skp["asn_id"], now_jakarta().date())
        raise NotAllowed("Hanya pemilik SKP yang dapat mengubahnya.")
    check_can_edit(SkpStatus(skp["status"]))
    return skp


async def replace_content(
    pool: asyncpg.Pool, principal: Principal, skp_id: UUID, body: SkpContentIn, *, now: datetime | None = None
) -> None:
    """Replace a draft's RHK, indicators and expectations; on any bad input nothing saved is lost."""
    now = now or now_jakarta()
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        skp = await _editable(conn, principal, skp_id)
        await _check_content(conn, skp["asn_id"], skp["year"], body.rhk, now.date())
        await _refuse_if_cascaded(conn, skp_id)
        await conn.execute("DELETE FROM rhk WHERE skp_id = $1", skp_id)
        await _write_rhks(conn, skp_id, skp["regency_id"], body.rhk)
        await _write_expectations(conn, skp_id, skp["regency_id"], body.expectations)
        await conn.execute("UPDATE skp SET updated_at = $2 WHERE skp_id = $1", skp_id, now)
        await _history(conn, skp_id, skp["regency_id"], principal, "edited", now)


async def _refuse_if_cascaded(conn: asyncpg.Connection, skp_id: UUID, rhk_id: UUID | None = None) -> None:
    used = await conn.fetchval(
        """SELECT count(*) FROM rhk c JOIN rhk p ON p.rhk_id = c.parent_rhk_id
           WHERE p.skp_id = $1 AND ($2::uuid IS NULL OR p.rhk_id = $2) AND c.skp_id <> $1""",
        skp_id,
        rhk_id,
    )
    if used:
        raise Conflict("RHK ini sudah diacu oleh RHK bawahan; minta bawahan melepas tautannya dahulu.", field="rhk")


async def add_rhk(
    pool: asyncpg.Pool, principal: Principal, skp_id: UUID, body: RhkIn, *, now: datetime | None = None
) -> UUID:
    now = now or now_jakarta()
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        skp = await _editable(conn, principal, skp_id)
        await _check_content(conn, skp["asn_id"], skp["year"], [body], now.date())
        position = await conn.fetchval("SELECT coalesce(max(position) + 1, 0) FROM rhk WHERE skp_id = $1", skp_id)
        [rhk_id] = await _write_rhks(conn, skp_id, skp["regency_id"], [body], start=position)
        await conn.execute("UPDATE skp SET updated_at = $2 WHERE skp_id = $1", skp_id, now)
    return rhk_id


async def delete_rhk(pool: asyncpg.Pool, principal: Principal, skp_id: UUID, rhk_id: UUID) -> None:
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        await _editable(conn, principal, skp_id)
        await _refuse_if_cascaded(conn, skp_id, rhk_id)
        if (await conn.execute("DELETE FROM rhk WHERE rhk_id = $1 AND skp_id = $2", rhk_id, skp_id)) == "DELETE 0":
            raise NotFound("RHK tidak ditemukan.")


async def add_indicator(
    pool: asyncpg.Pool, principal: Principal, skp_id: UUID, rhk_id: UUID, body: RhkIn, *, now: datetime | None = None
) -> None:
    """Add the indicators in `body.indicators` to an existing RHK of a draft."""
    now = now or now_jakarta()
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        skp = await _editable(conn, principal, skp_id)
        if not await conn.fetchval("SELECT 1 FROM rhk WHERE rhk_id = $1 AND skp_id = $2", rhk_id, skp_id):
            raise NotFound("RHK tidak ditemukan.")
        await _check_content(conn, skp["asn_id"], skp["year"], [body.model_copy(update={"parent_rhk_id": None})],
                             now.date())  # fmt: skip
        start = await conn.fetchval("SELECT coalesce(max(position) + 1, 0) FROM indicator WHERE rhk_id = $1", rhk_id)
        await conn.executemany(
            """INSERT INTO indicator (indicator_id, rhk_id, skp_id, regency_id, position, name, target, unit, aspect,
                 direction, weight) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
            [
                (
                    uuid.uuid4(), rhk_id, skp_id, skp["regency_id"], start + j, ind.name, ind.target, ind.unit,
                    ind.aspect.value, ind.direction.value, ind.weight,
                )
                for j, ind in enumerate(body.indicators)
            ],
        )  # fmt: skip


async def delete_indicator(pool: asyncpg.Pool, principal: Principal, skp_id: UUID, indicator_id: UUID) -> None:
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        await _editable(conn, principal, skp_id)
        done = await conn.execute("DELETE FROM indicator WHERE indicator_id = $1 AND skp_id = $2", indicator_id, skp_id)
        if done == "DELETE 0":
            raise NotFound("Indikator tidak ditemukan.")


async def set_expectations(
    pool: asyncpg.Pool, principal: Principal, skp_id: UUID, expectations: dict[BerAkhlak, str]
) -> None:
    """Ekspektasi khusus pimpinan per BerAKHLAK value; agreed with the superior, kept on the draft."""
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        skp = await _editable(conn, principal, skp_id)
        await _write_expectations(conn, skp_id, skp["regency_id"], expectations)


async def submit_skp(pool: asyncpg.Pool, principal: Principal, skp_id: UUID, *, now: datetime | None = None) -> None:
    """The ASN submits the draft to their direct (or acting) superior; publishes SkpSubmitted."""
    now = now or now_jakarta()
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        skp = await _editable(conn, principal, skp_id)
        counts = [
            r["n"]
            for r in await conn.fetch(
                "SELECT (SELECT count(*) FROM indicator i WHERE i.rhk_id = r.rhk_id) AS n FROM rhk r WHERE skp_id = $1",
                skp_id,
            )
        ]
        asn = await _asn(conn, skp["asn_id"])
        assessor = asn["superior_id"]
        if assessor is None:
            assessors = await assessors_of(conn, skp["asn_id"], now.date())
            assessor = UUID(min(assessors)) if assessors else None
        check_can_submit(SkpStatus(skp["status"]), len(counts), counts, assessor is not None)
        if not await conn.fetchval("SELECT 1 FROM rhk WHERE skp_id = $1 AND kind = 'utama'", skp_id):
            raise InvalidInput("SKP harus memiliki minimal satu RHK utama.", field="rhk")
        await conn.execute(
            "UPDATE skp SET status = 'submitted', superior_id = $2, submitted_at = $3, updated_at = $3"
            " WHERE skp_id = $1",
            skp_id,
            assessor,
            now,
        )
        await _history(conn, skp_id, skp["regency_id"], principal, "submitted", now)
        await outbox.add(
            conn,
            SkpSubmitted(
                regency_id=skp["regency_id"],
                occurred_at=now,
                skp_id=skp_id,
                asn_id=skp["asn_id"],
                superior_id=assessor,
                year=skp["year"],
                version=skp["version"],
            ),
        )
        await _audit(conn, principal, audit.AuditAction.SKP_SUBMIT, skp)


async def _audit(conn: asyncpg.Connection, principal: Principal, action: str, skp: asyncpg.Record) -> None:
    await audit.record(
        conn,
        actor=principal,
        action=action,
        subject_type="skp",
        subject_id=skp["skp_id"],
        regency_id=skp["regency_id"],
        detail={"asn_id": skp["asn_id"], "year": skp["year"], "version": skp["version"]},
    )


async def _decidable(conn: asyncpg.Connection, principal: Principal, skp_id: UUID, today: date) -> asyncpg.Record:
    skp = await _skp(conn, skp_id, lock=True)
    await check_can_view(conn, principal, skp["asn_id"], today)
    assessors = await assessors_of(conn, skp["asn_id"], today)
    actor = str(principal.asn_id) if principal.asn_id else None
    check_can_decide(SkpStatus(skp["status"]), str(skp["asn_id"]), actor, assessors)
    return skp


async def approve_skp(pool: asyncpg.Pool, principal: Principal, skp_id: UUID, *, now: datetime | None = None) -> None:
    """The assessor approves; an earlier approved version of the year is superseded. Publishes SkpApproved."""
    now = now or now_jakarta()
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        skp = await _decidable(conn, principal, skp_id, now.date())
        cfg = await load_config(conn, skp["regency_id"])
        deadline = approval_deadline(skp["year"], cfg.skp_deadline_month, cfg.skp_deadline_day)
        late = skp["version"] == 1 and now.date() > deadline
        previous = await conn.fetchrow(
            "SELECT skp_id FROM skp WHERE asn_id = $1 AND year = $2 AND status = 'approved' FOR UPDATE",
            skp["asn_id"],
            skp["year"],
        )
        if previous is not None:
            await conn.execute(
                "UPDATE skp SET status = 'superseded', period_end = $2, updated_at = $3 WHERE skp_id = $1",
                previous["skp_id"],
                max(skp["period_start"] - timedelta(days=1), date(skp["year"], 1, 1)),
                now,
            )
            await _history(conn, previous["skp_id"], skp["regency_id"], principal, "superseded", now)
        await conn.execute(
            "UPDATE skp SET status = 'approved', decided_at = $2, decided_by = $3, updated_at = $2 WHERE skp_id = $1",
            skp_id,
            now,
            principal.asn_id,
        )
        await _history(
            conn, skp_id, skp["regency_id"], principal, "approved_late" if late else "approved", now,
            f"Batas waktu {deadline.isoformat()}" if late else "",
        )  # fmt: skip
        rows = await conn.fetch(
            """SELECT i.* FROM indicator i JOIN rhk r ON r.rhk_id = i.rhk_id
               WHERE i.skp_id = $1 ORDER BY r.position, i.position""",
            skp_id,
        )
        assert principal.asn_id is not None  # check_can_decide refused callers without one
        await outbox.add(
            conn,
            SkpApproved(
                regency_id=skp["regency_id"],
                occurred_at=now,
                skp_id=skp_id,
                asn_id=skp["asn_id"],
                approver_id=principal.asn_id,
                year=skp["year"],
                version=skp["version"],
                indicators=tuple(
                    IndicatorTarget(
                        indicator_id=r["indicator_id"],
                        rhk_id=r["rhk_id"],
                        name=r["name"],
                        target=r["target"],
                        unit=r["unit"],
                        aspect=EventAspect(r["aspect"]),
                        direction=EventDirection(r["direction"]),
                        weight=r["weight"],
                    )
                    for r in rows
                ),
            ),
        )
        await _audit(conn, principal, audit.AuditAction.SKP_APPROVE, skp)


async def request_revision(
    pool: asyncpg.Pool, principal: Principal, skp_id: UUID, comment: str, *, now: datetime | None = None
) -> None:
    """The assessor sends the SKP back with a comment; publishes SkpRevisionRequested."""
    now = now or now_jakarta()
    text = check_comment(comment)
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        skp = await _decidable(conn, principal, skp_id, now.date())
        await conn.execute(
            "UPDATE skp SET status = 'revision_requested', decided_at = $2, decided_by = $3, updated_at = $2"
            " WHERE skp_id = $1",
            skp_id,
            now,
            principal.asn_id,
        )
        await _history(conn, skp_id, skp["regency_id"], principal, "revision_requested", now, text)
        assert principal.asn_id is not None
        await outbox.add(
            conn,
            SkpRevisionRequested(
                regency_id=skp["regency_id"],
                occurred_at=now,
                skp_id=skp_id,
                asn_id=skp["asn_id"],
                reviewer_id=principal.asn_id,
                year=skp["year"],
                version=skp["version"],
                comment=text,
            ),
        )
        await _audit(conn, principal, audit.AuditAction.SKP_REJECT, skp)


async def revise_skp(
    pool: asyncpg.Pool, principal: Principal, skp_id: UUID, reason: str, effective_from: date,
    *, now: datetime | None = None,
) -> UUID:  # fmt: skip
    """A mid-year change: a new draft version copied from the approved one; the approved one stays in force
    (and in history) until the new version is approved."""
    now = now or now_jakarta()
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        skp = await _skp(conn, skp_id, lock=True)
        if skp["asn_id"] != principal.asn_id:
            await check_can_view(conn, principal, skp["asn_id"], now.date())
            raise NotAllowed("Hanya pemilik SKP yang dapat membuka versi baru.")
        if skp["status"] != SkpStatus.APPROVED:
            raise Conflict("Versi baru hanya dapat dibuka dari SKP yang sudah disetujui.", field="status")
        if effective_from.year != skp["year"]:
            raise InvalidInput(
                f"Tanggal berlaku harus di tahun {skp['year']}.", field="effective_from", reason="outside the year"
            )
        if effective_from <= skp["period_start"]:
            raise InvalidInput("Tanggal berlaku harus setelah awal periode versi ini.", field="effective_from")
        if await conn.fetchval(
            "SELECT 1 FROM skp WHERE asn_id = $1 AND year = $2"
            " AND status IN ('draft', 'submitted', 'revision_requested')",
            skp["asn_id"],
            skp["year"],
        ):
            raise Conflict("Sudah ada versi baru yang sedang disusun.", field="status")
        new_id = uuid.uuid4()
        version = await conn.fetchval("SELECT max(version) + 1 FROM skp WHERE asn_id = $1 AND year = $2",
                                      skp["asn_id"], skp["year"])  # fmt: skip
        await conn.execute(
            """INSERT INTO skp (skp_id, regency_id, asn_id, year, version, status, period_start, period_end,
                 change_reason, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $9)""",
            new_id,
            skp["regency_id"],
            skp["asn_id"],
            skp["year"],
            version,
            effective_from,
            skp["period_end"],
            reason,
            now,
        )
        old_ids = [r["rhk_id"] for r in await conn.fetch("SELECT rhk_id FROM rhk WHERE skp_id = $1", skp_id)]
        new_ids = [uuid.uuid4() for _ in old_ids]
        await conn.execute(
            """INSERT INTO rhk (rhk_id, skp_id, regency_id, position, kind, description, parent_rhk_id, origin_rhk_id)
               SELECT m.new_id, $1, r.regency_id, r.position, r.kind, r.description, r.parent_rhk_id, r.rhk_id
               FROM unnest($2::uuid[], $3::uuid[]) AS m(old_id, new_id) JOIN rhk r ON r.rhk_id = m.old_id""",
            new_id,
            old_ids,
            new_ids,
        )
        await conn.execute(
            """INSERT INTO indicator (indicator_id, rhk_id, skp_id, regency_id, position, name, target, unit, aspect,
                 direction, weight)
               SELECT gen_random_uuid(), m.new_id, $1, i.regency_id, i.position, i.name, i.target, i.unit, i.aspect,
                 i.direction, i.weight
               FROM unnest($2::uuid[], $3::uuid[]) AS m(old_id, new_id) JOIN indicator i ON i.rhk_id = m.old_id""",
            new_id,
            old_ids,
            new_ids,
        )
        await conn.execute(
            """INSERT INTO skp_behavior (skp_id, regency_id, value, expectation)
               SELECT $2, regency_id, value, expectation FROM skp_behavior WHERE skp_id = $1""",
            skp_id,
            new_id,
        )
        await _history(conn, new_id, skp["regency_id"], principal, "revised", now, reason)
    return new_id


# ---- reading ---------------------------------------------------------------------------------------------------


async def get_skp(pool: asyncpg.Pool, principal: Principal, skp_id: UUID, *, today: date | None = None) -> SkpView:
    """An SKP with its RHK, indicators, expectations, history, realisasi and sibling versions, if the caller
    may see it (403), and only within the caller's regencies (404 otherwise)."""
    today = today or now_jakarta().date()
    scope = await scope_of(pool, principal)
    async with tenant_transaction(pool, scope) as conn:
        skp = await _skp(conn, skp_id)
        await check_can_view(conn, principal, skp["asn_id"], today)
        view = await _view(conn, skp)
        if skp["asn_id"] != principal.asn_id:  # someone else's SKP: who looked is accountable
            await _audit(conn, principal, audit.AuditAction.SKP_VIEW, skp)
        return view


async def _view(conn: asyncpg.Connection, skp: asyncpg.Record) -> SkpView:
    skp_id = skp["skp_id"]
    asn = await conn.fetchrow(
        "SELECT a.name, a.position_title, u.path FROM asn a JOIN unit u ON u.unit_id = a.unit_id WHERE a.asn_id = $1",
        skp["asn_id"],
    )
    superior_name = None
    if skp["superior_id"] is not None:
        superior_name = await conn.fetchval("SELECT name FROM asn WHERE asn_id = $1", skp["superior_id"])
    rhks = await conn.fetch(
        """SELECT r.*, p.description AS parent_description FROM rhk r LEFT JOIN rhk p ON p.rhk_id = r.parent_rhk_id
           WHERE r.skp_id = $1 ORDER BY r.kind = 'tambahan', r.position""",
        skp_id,
    )
    inds = await conn.fetch("SELECT * FROM indicator WHERE skp_id = $1 ORDER BY position", skp_id)
    by_rhk: dict[UUID, list[IndicatorView]] = {}
    for i in inds:
        by_rhk.setdefault(i["rhk_id"], []).append(
            IndicatorView(
                indicator_id=i["indicator_id"],
                name=i["name"],
                target=i["target"],
                unit=i["unit"],
                aspect=i["aspect"],
                direction=i["direction"],
                weight=i["weight"],
            )
        )
    cfg = await load_config(conn, skp["regency_id"])
    expectations = {
        BerAkhlak(r["value"]): r["expectation"]
        for r in await conn.fetch("SELECT value, expectation FROM skp_behavior WHERE skp_id = $1", skp_id)
    }
    return SkpView(
        skp_id=skp_id,
        regency_id=skp["regency_id"],
        asn_id=skp["asn_id"],
        asn_name=asn["name"],
        position_title=asn["position_title"],
        unit_path=asn["path"],
        year=skp["year"],
        version=skp["version"],
        status=skp["status"],
        period_start=skp["period_start"],
        period_end=skp["period_end"],
        change_reason=skp["change_reason"],
        superior_id=skp["superior_id"],
        superior_name=superior_name,
        submitted_at=skp["submitted_at"],
        decided_at=skp["decided_at"],
        deadline=approval_deadline(skp["year"], cfg.skp_deadline_month, cfg.skp_deadline_day),
        rhk=[
            RhkView(
                rhk_id=r["rhk_id"],
                kind=r["kind"],
                description=r["description"],
                parent_rhk_id=r["parent_rhk_id"],
                parent_description=r["parent_description"],
                indicators=by_rhk.get(r["rhk_id"], []),
            )
            for r in rhks
        ],
        expectations={v: expectations.get(v, "") for v in BerAkhlak},
        history=[
            HistoryView(
                at=h["at"],
                actor_name=h["actor_name"],
                action=ACTIONS.get(h["action"], h["action"]),
                comment=h["comment"],
            )  # fmt: skip
            for h in await conn.fetch(
                """SELECT h.* FROM skp_history h JOIN skp s ON s.skp_id = h.skp_id
                   WHERE s.asn_id = $1 AND s.year = $2 AND s.version <= $3 ORDER BY h.at, h.id""",
                skp["asn_id"],
                skp["year"],
                skp["version"],
            )
        ],
        realisasi=[
            RealisasiView(
                indicator_id=r["indicator_id"],
                period=r["period"],
                value=r["value"],
                evidence_links=list(r["evidence_links"]),
                note=r["note"],
                status=r["status"],
                capaian=r["capaian"],
                return_comment=r["return_comment"],
                reported_at=r["reported_at"],
            )
            for r in await conn.fetch("SELECT * FROM realisasi WHERE skp_id = $1 ORDER BY period", skp_id)
        ],
        versions=[
            (r["skp_id"], r["version"], SkpStatus(r["status"]))
            for r in await conn.fetch(
                "SELECT skp_id, version, status FROM skp WHERE asn_id = $1 AND year = $2 ORDER BY version",
                skp["asn_id"],
                skp["year"],
            )
        ],
    )


async def my_skp_id(pool: asyncpg.Pool, principal: Principal, year: int) -> UUID | None:
    """The ASN's SKP of the year to show first: the version being worked on, else the approved one."""
    asn_id = require_asn(principal)
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        found: UUID | None = await conn.fetchval(
            """SELECT skp_id FROM skp WHERE asn_id = $1 AND year = $2
               ORDER BY status IN ('draft','submitted','revision_requested') DESC, status = 'approved' DESC,
                        version DESC LIMIT 1""",
            asn_id,
            year,
        )
        return found


async def subordinates(
    pool: asyncpg.Pool, principal: Principal, year: int, *, today: date | None = None
) -> list[asyncpg.Record]:
    """The caller's direct subordinates (and those they act for today) with their SKP of the year."""
    today = today or now_jakarta().date()
    me = require_asn(principal)
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        return list(
            await conn.fetch(
                """WITH mine AS (
                       SELECT asn_id, false AS acting FROM asn WHERE superior_id = $1 AND active
                       UNION
                       SELECT asn_id, true FROM acting_superior
                       WHERE acting_superior_id = $1 AND $3::date BETWEEN valid_from AND valid_until
                   )
                   SELECT a.asn_id, a.name, a.position_title, bool_or(m.acting) AS acting,
                          s.skp_id, s.version, s.status, s.submitted_at
                   FROM mine m JOIN asn a ON a.asn_id = m.asn_id
                   LEFT JOIN LATERAL (
                       SELECT skp_id, version, status, submitted_at FROM skp
                       WHERE asn_id = a.asn_id AND year = $2
                       ORDER BY status = 'submitted' DESC, version DESC LIMIT 1
                   ) s ON true
                   GROUP BY a.asn_id, a.name, a.position_title, s.skp_id, s.version, s.status, s.submitted_at
                   ORDER BY s.status = 'submitted' DESC, a.name""",
                me,
                year,
                today,
            )
        )


async def superior_rhks(pool: asyncpg.Pool, principal: Principal, year: int) -> list[asyncpg.Record]:
    """RHK of the caller's assessors' current SKP of the year: what the caller's RHK may support."""
    asn_id = require_asn(principal)
    async with tenant_transaction(pool, [regency_of(principal)]) as conn:
        assessors = await assessors_of(conn, asn_id, now_jakarta().date())
        return list(
            await conn.fetch(
                """SELECT r.rhk_id, r.description, a.name AS owner FROM rhk r JOIN skp s ON s.skp_id = r.skp_id
                   JOIN asn a ON a.asn_id = s.asn_id
                   WHERE s.asn_id = ANY($1::uuid[]) AND s.year = $2 AND s.status <> 'superseded'
                   ORDER BY a.name, s.version DESC, r.position""",
                [UUID(a) for a in assessors],
                year,
            )
        )


async def cascade(pool: asyncpg.Pool, principal: Principal, unit_id: UUID, year: int) -> list[dict[str, object]]:
    """The cascade tree of a unit: the unit head's RHK (its IKU) down through every RHK that supports them.

    Heads are the unit's ASN whose superior sits outside the unit; each node is one RHK with its owner.
    """
    scope = await scope_of(pool, principal)
    async with tenant_transaction(pool, scope) as conn:
        if not await conn.fetchval("SELECT 1 FROM unit WHERE unit_id = $1", unit_id):
            raise NotFound("Unit tidak ditemukan.")
        rows = await conn.fetch(
            """WITH RECURSIVE units AS (
                   SELECT unit_id FROM unit WHERE unit_id = $1
                   UNION ALL SELECT u.unit_id FROM unit u JOIN units ON u.parent_id = units.unit_id
               ), current_skp AS (
                   SELECT DISTINCT ON (s.asn_id) s.* FROM skp s JOIN asn a ON a.asn_id = s.asn_id
                   WHERE s.year = $2 AND s.status <> 'superseded'
                   ORDER BY s.asn_id, s.status = 'approved' DESC, s.version DESC
               ), heads AS (
                   SELECT a.asn_id FROM asn a LEFT JOIN asn sup ON sup.asn_id = a.superior_id
                   WHERE a.unit_id = $1 AND (sup.asn_id IS NULL OR sup.unit_id <> $1)
               ), tree AS (
                   SELECT r.rhk_id, r.parent_rhk_id, r.description, r.kind, s.asn_id, 0 AS depth,
                          ARRAY[r.position, 0] AS sort
                   FROM rhk r JOIN current_skp s ON s.skp_id = r.skp_id
                   WHERE s.asn_id IN (SELECT asn_id FROM heads)
                   UNION ALL
                   SELECT c.rhk_id, c.parent_rhk_id, c.description, c.kind, s.asn_id, t.depth + 1,
                          t.sort || c.position
                   FROM tree t JOIN rhk c ON c.parent_rhk_id = t.rhk_id
                   JOIN current_skp s ON s.skp_id = c.skp_id
                   JOIN asn a ON a.asn_id = s.asn_id AND a.unit_id IN (SELECT unit_id FROM units)
                   WHERE t.depth < 10
               )
               SELECT t.*, a.name AS owner, a.position_title,
                      (SELECT coalesce(json_agg(json_build_object('name', i.name, 'target', i.target,
                                 'unit', i.unit, 'direction', i.direction) ORDER BY i.position), '[]')
                       FROM indicator i WHERE i.rhk_id = t.rhk_id) AS indicators
               FROM tree t JOIN asn a ON a.asn_id = t.asn_id ORDER BY t.sort""",
            unit_id,
            year,
        )
        return [dict(r) for r in rows]
