"""Organisation use cases: regencies and their config, the roster import, units, acting superiors."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import TypeAdapter, ValidationError
from pydantic.networks import EmailStr

from kinerja_evaluation.adapters.roster_file import read_rows
from kinerja_evaluation.domain.errors import Conflict, InvalidInput, NotFound
from kinerja_evaluation.domain.org import (
    LOSSY_NUMBER_MARK,
    RosterRow,
    RowError,
    check_roster,
    is_public_facing,
    map_header,
    parse_row,
    unit_kind,
)
from kinerja_evaluation.domain.skp import Periodicity
from kinerja_evaluation.service.access import require_admin
from kinerja_shared import audit
from kinerja_shared.auth import Principal
from kinerja_shared.contracts.org import (
    ActingSuperiorAssigned,
    AsnUpserted,
    Gender,
    Location,
    RegencyUpserted,
    UnitUpserted,
)
from kinerja_shared.db import tenant_transaction
from kinerja_shared.logging import get_logger
from kinerja_shared.messaging import outbox
from kinerja_shared.web import JAKARTA

log = get_logger(__name__)
_EMAIL = TypeAdapter(EmailStr)


def now_jakarta() -> datetime:
    return datetime.now(JAKARTA)


# ---- regencies and config -------------------------------------------------------------------------------------


async def upsert_regency(
    pool: asyncpg.Pool,
    *,
    regency_id: UUID,
    province_id: UUID,
    province_name: str,
    name: str,
    code: str,
    now: datetime | None = None,
) -> bool:
    """Register or rename a regency (the tenant) and its province; publishes RegencyUpserted when it changed."""
    now = now or now_jakarta()
    async with tenant_transaction(pool, [regency_id]) as conn:
        await conn.execute(
            """INSERT INTO province (province_id, name) VALUES ($1, $2)
               ON CONFLICT (province_id) DO UPDATE SET name = excluded.name, updated_at = now()
               WHERE province.name IS DISTINCT FROM excluded.name""",
            province_id,
            province_name,
        )
        changed = await conn.fetchval(
            """INSERT INTO regency (regency_id, province_id, name, code) VALUES ($1, $2, $3, $4)
               ON CONFLICT (regency_id) DO UPDATE SET province_id = excluded.province_id, name = excluded.name,
                 code = excluded.code, updated_at = now()
               WHERE (regency.province_id, regency.name, regency.code)
                     IS DISTINCT FROM (excluded.province_id, excluded.name, excluded.code)
               RETURNING true""",
            regency_id,
            province_id,
            name,
            code,
        )
        await conn.execute("INSERT INTO regency_config (regency_id) VALUES ($1) ON CONFLICT DO NOTHING", regency_id)
        if changed:
            await outbox.add(
                conn,
                RegencyUpserted(
                    regency_id=regency_id,
                    occurred_at=now,
                    province_id=province_id,
                    province_name=province_name,
                    name=name,
                    code=code,
                ),
            )
    return bool(changed)


@dataclass(frozen=True, slots=True)
class RegencyConfig:
    regency_id: UUID
    periodicity: Periodicity = Periodicity.QUARTERLY
    skp_deadline_month: int = 1
    skp_deadline_day: int = 31
    capaian_cap: Decimal = Decimal(120)
    rating_above_from: Decimal = Decimal(110)
    rating_below_under: Decimal = Decimal(90)


async def load_config(conn: asyncpg.Connection, regency_id: UUID) -> RegencyConfig:
    row = await conn.fetchrow("SELECT * FROM regency_config WHERE regency_id = $1", regency_id)
    if row is None:
        return RegencyConfig(regency_id)
    return RegencyConfig(
        regency_id,
        Periodicity(row["periodicity"]),
        row["skp_deadline_month"],
        row["skp_deadline_day"],
        row["capaian_cap"],
        row["rating_above_from"],
        row["rating_below_under"],
    )


async def get_config(pool: asyncpg.Pool, principal: Principal) -> RegencyConfig:
    regency_id = require_admin(principal)
    async with tenant_transaction(pool, [regency_id]) as conn:
        return await load_config(conn, regency_id)


async def update_config(pool: asyncpg.Pool, principal: Principal, cfg: RegencyConfig) -> RegencyConfig:
    """The HR admin sets the regency's periodicity, SKP deadline, capaian cap and rating thresholds."""
    regency_id = require_admin(principal)
    try:
        date(2024, cfg.skp_deadline_month, cfg.skp_deadline_day)  # a leap year accepts 29 February
    except ValueError as e:
        raise InvalidInput("Tanggal batas persetujuan SKP tidak sah.", field="skp_deadline_day") from e
    if cfg.capaian_cap < 100:
        raise InvalidInput("Batas atas capaian minimal 100.", field="capaian_cap")
    if not Decimal(0) < cfg.rating_below_under <= cfg.rating_above_from:
        raise InvalidInput("Ambang 'di bawah' harus > 0 dan ≤ ambang 'di atas'.", field="rating_below_under")
    async with tenant_transaction(pool, [regency_id]) as conn:
        if not await conn.fetchval("SELECT 1 FROM regency WHERE regency_id = $1", regency_id):
            raise NotFound("Kabupaten/kota belum terdaftar.")
        await conn.execute(
            """INSERT INTO regency_config AS c (regency_id, periodicity, skp_deadline_month, skp_deadline_day,
                 capaian_cap, rating_above_from, rating_below_under) VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (regency_id) DO UPDATE SET periodicity = excluded.periodicity,
                 skp_deadline_month = excluded.skp_deadline_month, skp_deadline_day = excluded.skp_deadline_day,
                 capaian_cap = excluded.capaian_cap, rating_above_from = excluded.rating_above_from,
                 rating_below_under = excluded.rating_below_under, updated_at = now()""",
            regency_id,
            cfg.periodicity.value,
            cfg.skp_deadline_month,
            cfg.skp_deadline_day,
            cfg.capaian_cap,
            cfg.rating_above_from,
            cfg.rating_below_under,
        )
        return await load_config(conn, regency_id)


# ---- roster import --------------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What an import did, or why it did nothing: every bad row with its line and reason."""

    import_id: UUID
    accepted: bool
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["import_id"] = str(self.import_id)
        return d


_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


def _email_ok(email: str, domains: dict[str, bool]) -> bool:
    """The address as AsnUpserted's EmailStr accepts it: a dot-atom local part, and a domain that pydantic's
    validator accepts, checked once per domain (a roster has a handful of domains and thousands of people)."""
    local, _, domain = email.rpartition("@")
    if not local or len(local) > 64 or not _LOCAL_PART.match(local):
        return False
    if domain not in domains:
        try:
            _EMAIL.validate_python(f"a@{domain}")
            domains[domain] = True
        except ValidationError:
            domains[domain] = False
    return domains[domain]


def _parse(filename: str, content: bytes) -> tuple[list[RosterRow], list[RowError], set[str]]:
    """Valid rows, errors, and the NIPs of rejected rows (so rows naming them as superior are not blamed too)."""
    header, body = read_rows(filename, content)
    positions, errors = map_header(header)
    if errors:
        return [], errors, set()
    valid: list[RosterRow] = []
    rejected: set[str] = set()
    domains: dict[str, bool] = {}
    for line, cells in body:
        values = {name: (cells[i] if i < len(cells) else "") for name, i in positions.items()}
        row, errs = parse_row(line, values)
        if row is not None and row.email is not None and not _email_ok(row.email, domains):
            row, errs = None, [RowError(line, "email", "alamat e-mail tidak sah")]
        if row is not None:
            valid.append(row)
        else:
            rejected.add("".join(values.get("nip", "").split()).removeprefix(LOSSY_NUMBER_MARK))
        errors += errs
    return valid, errors, rejected


_STAGE_COLUMNS = (
    "line",
    "nip",
    "name",
    "email",
    "path",
    "position_title",
    "position_class",
    "grade",
    "gender",
    "location",
    "superior_nip",
    "active",
)


async def import_roster(
    pool: asyncpg.Pool, principal: Principal, filename: str, content: bytes, *, now: datetime | None = None
) -> ImportReport:
    """Import the regency's ASN roster, all or nothing: every bad row is reported and then nothing changes.

    A re-import updates ASN by NIP; rows identical to what is stored change nothing and publish nothing.
    """
    regency_id = require_admin(principal)
    now = now or now_jakarta()
    rows, errors, rejected = await asyncio.to_thread(_parse, filename, content)
    report = ImportReport(uuid.uuid4(), accepted=False, rows=len(rows) + len({e.line for e in errors if e.line > 1}))
    async with tenant_transaction(pool, [regency_id]) as conn:
        if not await conn.fetchval("SELECT 1 FROM regency WHERE regency_id = $1", regency_id):
            raise NotFound("Kabupaten/kota belum terdaftar; hubungi admin provinsi.")
        # one import per regency at a time, so two files never interleave their upserts
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text, 7))", regency_id)
        known = {
            r["nip"]: r["superior_nip"]
            for r in await conn.fetch(
                """SELECT a.nip, s.nip AS superior_nip FROM asn a LEFT JOIN asn s ON s.asn_id = a.superior_id
                   WHERE a.regency_id = $1""",
                regency_id,
            )
        }
        if not any(e.line == 1 for e in errors):
            errors += check_roster(rows, dict.fromkeys(rejected) | known)
        if errors:
            report.errors = sorted(errors, key=lambda e: (e.line, e.column))
        else:
            await _apply(conn, regency_id, rows, report, now)
            report.accepted = True
        await conn.execute(
            """INSERT INTO org_import (import_id, regency_id, filename, imported_by, accepted, rows, created, updated,
                 unchanged, units_created, errors) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
            report.import_id,
            regency_id,
            filename[:200],
            principal.sub,
            report.accepted,
            report.rows,
            report.created,
            report.updated,
            report.unchanged,
            report.units_created,
            [asdict(e) for e in report.errors[:5000]],
        )
        if report.accepted and report.updated:  # master data corrected at the source (UU PDP art. 6)
            await audit.record(
                conn,
                actor=principal,
                action=audit.AuditAction.PERSONAL_DATA_CORRECT,
                subject_type="org_import",
                subject_id=report.import_id,
                regency_id=regency_id,
                detail={"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
            )
    log.info(
        "roster import",
        accepted=report.accepted,
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        errors=len(report.errors),
    )
    return report


async def _ensure_units(
    conn: asyncpg.Connection, regency_id: UUID, paths: set[tuple[str, ...]], now: datetime
) -> tuple[dict[str, UUID], list[UnitUpserted]]:
    """Unit ids by path, creating the units (and their parents) a roster names but the regency lacks."""
    wanted: set[tuple[str, ...]] = set()
    for p in paths:
        wanted.update(p[: i + 1] for i in range(len(p)))
    existing = {
        r["path"]: r["unit_id"]
        for r in await conn.fetch("SELECT path, unit_id FROM unit WHERE regency_id = $1", regency_id)
    }
    events: list[UnitUpserted] = []
    new_rows = []
    for p in sorted(wanted, key=len):
        key = " > ".join(p)
        if key in existing:
            continue
        unit_id = uuid.uuid4()
        parent = existing[" > ".join(p[:-1])] if len(p) > 1 else None
        kind = unit_kind(p[-1], len(p) - 1)
        public = is_public_facing(p[-1], kind)
        existing[key] = unit_id
        new_rows.append((unit_id, regency_id, parent, key, p[-1], kind.value, public))
        events.append(
            UnitUpserted(
                regency_id=regency_id,
                occurred_at=now,
                unit_id=unit_id,
                parent_id=parent,
                name=p[-1],
                kind=kind.value,
                public_facing=public,
            )
        )
    if new_rows:
        await conn.executemany(
            "INSERT INTO unit (unit_id, regency_id, parent_id, path, name, kind, public_facing)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            new_rows,
        )
    return existing, events


async def _apply(
    conn: asyncpg.Connection, regency_id: UUID, rows: Sequence[RosterRow], report: ImportReport, now: datetime
) -> None:
    units, unit_events = await _ensure_units(conn, regency_id, {r.unit_path for r in rows}, now)
    report.units_created = len(unit_events)
    await conn.execute(
        """CREATE TEMP TABLE _roster (line int, nip text, name text, email text, path text, position_title text,
             position_class int, grade text, gender text, location text, superior_nip text, active bool,
             asn_id uuid, unit_id uuid, superior_id uuid, is_new bool NOT NULL DEFAULT false) ON COMMIT DROP"""
    )
    await conn.copy_records_to_table(
        "_roster",
        columns=_STAGE_COLUMNS,
        records=[
            (
                r.line,
                r.nip,
                r.name,
                r.email,
                " > ".join(r.unit_path),
                r.position_title,
                r.position_class,
                r.grade,
                r.gender.value,
                r.location.value,
                r.superior_nip,
                r.active,
            )
            for r in rows
        ],
    )
    await conn.execute("CREATE INDEX ON _roster (nip); ANALYZE _roster")
    await conn.execute(
        """UPDATE _roster s SET asn_id = a.asn_id FROM asn a WHERE a.regency_id = $1 AND a.nip = s.nip""", regency_id
    )
    await conn.execute("UPDATE _roster SET asn_id = gen_random_uuid(), is_new = true WHERE asn_id IS NULL")
    await conn.execute(
        "UPDATE _roster s SET unit_id = u.unit_id FROM unit u WHERE u.regency_id = $1 AND u.path = s.path", regency_id
    )
    await conn.execute(
        """UPDATE _roster s SET superior_id = x.asn_id
           FROM (SELECT nip, asn_id FROM _roster
                 UNION ALL SELECT nip, asn_id FROM asn WHERE regency_id = $1 AND nip NOT IN (SELECT nip FROM _roster)) x
           WHERE x.nip = s.superior_nip""",
        regency_id,
    )
    created = await conn.fetch(
        """INSERT INTO asn (asn_id, regency_id, nip, name, email, unit_id, position_title, position_class, grade,
             gender, location, superior_id, active, updated_at)
           SELECT asn_id, $1, nip, name, email, unit_id, position_title, position_class, grade, gender, location,
             superior_id, active, $2 FROM _roster WHERE is_new
           RETURNING asn_id""",
        regency_id,
        now,
    )
    updated = await conn.fetch(
        """UPDATE asn a SET name = s.name, email = s.email, unit_id = s.unit_id, position_title = s.position_title,
             position_class = s.position_class, grade = s.grade, gender = s.gender, location = s.location,
             superior_id = s.superior_id, active = s.active, updated_at = $2
           FROM _roster s
           WHERE NOT s.is_new AND a.asn_id = s.asn_id AND a.regency_id = $1
             AND (a.name, a.email, a.unit_id, a.position_title, a.position_class, a.grade, a.gender, a.location,
                  a.superior_id, a.active)
                 IS DISTINCT FROM (s.name, s.email, s.unit_id, s.position_title, s.position_class, s.grade, s.gender,
                  s.location, s.superior_id, s.active)
           RETURNING a.asn_id""",
        regency_id,
        now,
    )
    report.created, report.updated = len(created), len(updated)
    report.unchanged = len(rows) - report.created - report.updated
    changed = [r["asn_id"] for r in created] + [r["asn_id"] for r in updated]
    events: list[UnitUpserted | AsnUpserted] = list(unit_events)
    if changed:
        for r in await conn.fetch(
            """SELECT s.asn_id, s.name, s.email, s.unit_id, s.position_title, s.grade, s.position_class,
                      s.superior_id, s.gender, s.location, s.active
               FROM _roster s WHERE s.asn_id = ANY($1::uuid[]) ORDER BY s.line""",
            changed,
        ):
            # model_construct: every field was validated above (row rules, _email_ok); validating 70,000
            # e-mail addresses again costs half a millisecond each
            events.append(
                AsnUpserted.model_construct(
                    regency_id=regency_id,
                    occurred_at=now,
                    asn_id=r["asn_id"],
                    name=r["name"],
                    email=r["email"],
                    unit_id=r["unit_id"],
                    position_title=r["position_title"],
                    grade=r["grade"],
                    position_class=r["position_class"],
                    superior_id=r["superior_id"],
                    gender=Gender(r["gender"]),
                    location=Location(r["location"]),
                    active=r["active"],
                )
            )
    if events:
        await outbox.add_many(conn, events)
    del units


# ---- units, people, acting superiors --------------------------------------------------------------------------


async def list_units(pool: asyncpg.Pool, regency_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    async with tenant_transaction(pool, regency_ids) as conn:
        return list(
            await conn.fetch(
                """SELECT u.unit_id, u.regency_id, u.parent_id, u.path, u.name, u.kind, u.public_facing,
                          (SELECT count(*) FROM asn a WHERE a.unit_id = u.unit_id AND a.active) AS people
                   FROM unit u ORDER BY u.path"""
            )
        )


async def create_unit(
    pool: asyncpg.Pool,
    principal: Principal,
    *,
    name: str,
    kind: str,
    parent_id: UUID | None,
    public_facing: bool | None,
    now: datetime | None = None,
) -> UUID:
    """The HR admin adds a unit under a parent (or a new OPD at the top)."""
    regency_id = require_admin(principal)
    now = now or now_jakarta()
    name = " ".join(name.split())
    if not name or len(name) > 200 or ">" in name:
        raise InvalidInput("Nama unit wajib diisi, maksimal 200 karakter, tanpa tanda '>'.", field="name")
    async with tenant_transaction(pool, [regency_id]) as conn:
        if not await conn.fetchval("SELECT 1 FROM regency WHERE regency_id = $1", regency_id):
            # the regency is onboarded first (kinerja-ops onboard-regency or a roster import)
            raise Conflict(
                "Kabupaten/kota Anda belum terdaftar; impor data pegawai terlebih dahulu.", field="regency_id"
            )
        parent_path = None
        if parent_id is not None:
            parent_path = await conn.fetchval("SELECT path FROM unit WHERE unit_id = $1", parent_id)
            if parent_path is None:
                raise InvalidInput("Unit induk tidak ditemukan.", field="parent_id")
        path = f"{parent_path} > {name}" if parent_path else name
        if await conn.fetchval("SELECT 1 FROM unit WHERE regency_id = $1 AND path = $2", regency_id, path):
            raise InvalidInput("Unit dengan nama ini sudah ada di bawah induk yang sama.", field="name")
        depth = path.count(">")
        unit_k = kind or unit_kind(name, depth).value
        public = public_facing if public_facing is not None else is_public_facing(name, unit_kind(name, depth))
        unit_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO unit (unit_id, regency_id, parent_id, path, name, kind, public_facing)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            unit_id,
            regency_id,
            parent_id,
            path,
            name,
            unit_k,
            public,
        )
        await outbox.add(
            conn,
            UnitUpserted(
                regency_id=regency_id,
                occurred_at=now,
                unit_id=unit_id,
                parent_id=parent_id,
                name=name,
                kind=unit_k,
                public_facing=public,
            ),
        )
    return unit_id


async def who_assesses_whom(pool: asyncpg.Pool, regency_ids: Sequence[UUID], today: date) -> list[asyncpg.Record]:
    """Every ASN with their unit, direct superior and any acting superior valid today."""
    async with tenant_transaction(pool, regency_ids) as conn:
        return list(
            await conn.fetch(
                """SELECT a.asn_id, a.nip, a.name, a.position_title, a.active, u.path AS unit_path,
                          s.asn_id AS superior_id, s.name AS superior_name,
                          x.acting_superior_id, p.name AS acting_name, x.valid_from, x.valid_until
                   FROM asn a JOIN unit u ON u.unit_id = a.unit_id
                   LEFT JOIN asn s ON s.asn_id = a.superior_id
                   LEFT JOIN acting_superior x
                     ON x.asn_id = a.asn_id AND $1::date BETWEEN x.valid_from AND x.valid_until
                   LEFT JOIN asn p ON p.asn_id = x.acting_superior_id
                   ORDER BY u.path, a.name""",
                today,
            )
        )


async def assign_acting_superior(
    pool: asyncpg.Pool,
    principal: Principal,
    *,
    asn_id: UUID,
    acting_superior_id: UUID,
    valid_from: date,
    valid_until: date,
    now: datetime | None = None,
) -> None:
    """A Plt/Plh assesses the ASN between two dates (inclusive), in one calendar year."""
    regency_id = require_admin(principal)
    now = now or now_jakarta()
    if valid_until < valid_from:
        raise InvalidInput("Tanggal selesai sebelum tanggal mulai.", field="valid_until")
    if valid_until.year != valid_from.year:
        raise InvalidInput("Penugasan Plt/Plh harus dalam satu tahun yang sama.", field="valid_until")
    if asn_id == acting_superior_id:
        raise InvalidInput("Pegawai tidak dapat menjadi Plt atasan bagi dirinya sendiri.", field="acting_superior_id")
    async with tenant_transaction(pool, [regency_id]) as conn:
        found = await conn.fetchval(
            "SELECT count(*) FROM asn WHERE asn_id = ANY($1::uuid[]) AND active", [asn_id, acting_superior_id]
        )
        if found != 2:
            raise InvalidInput("Pegawai atau Plt atasan tidak ditemukan di kabupaten/kota ini.", field="asn_id")
        await conn.execute(
            """INSERT INTO acting_superior (asn_id, acting_superior_id, regency_id, valid_from, valid_until)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (asn_id, acting_superior_id, valid_from) DO UPDATE SET valid_until = excluded.valid_until""",
            asn_id,
            acting_superior_id,
            regency_id,
            valid_from,
            valid_until,
        )
        await outbox.add(
            conn,
            ActingSuperiorAssigned(
                regency_id=regency_id,
                occurred_at=now,
                asn_id=asn_id,
                acting_superior_id=acting_superior_id,
                valid_from=valid_from,
                valid_until=valid_until,
            ),
        )


async def recent_imports(pool: asyncpg.Pool, regency_id: UUID, limit: int = 10) -> list[asyncpg.Record]:
    async with tenant_transaction(pool, [regency_id]) as conn:
        return list(
            await conn.fetch(
                "SELECT * FROM org_import WHERE regency_id = $1 ORDER BY imported_at DESC LIMIT $2", regency_id, limit
            )
        )
