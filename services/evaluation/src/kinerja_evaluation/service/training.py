"""Competency development (Table D1): catalogue, enrolment, attendance, completion with JP, recommendations from
gaps, and the regency's equal-access report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from kinerja_evaluation.domain.behaviour import VALUE_LABEL
from kinerja_evaluation.domain.development import (
    AsnJp,
    Course,
    GroupShare,
    equal_access,
    overall,
    recommendations,
)
from kinerja_evaluation.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kinerja_evaluation.service import rules as rules_service
from kinerja_evaluation.service.access import regency_of, require_admin
from kinerja_evaluation.service.followup_common import check_can_view_asn, now_jakarta
from kinerja_shared.auth import PROVINCE_ROLES, Principal, Role
from kinerja_shared.db import tenant_transaction

KINDS = {"klasikal": "Klasikal", "e_learning": "E-learning", "coaching": "Coaching", "mentoring": "Mentoring"}
TOPICS = {v.value: f"Perilaku {lbl}" for v, lbl in VALUE_LABEL.items()} | {"hasil_kerja": "Hasil kerja"}


@dataclass(frozen=True, slots=True)
class CourseIn:
    title: str
    kind: str
    jp: int
    sessions: int = 1
    topics: tuple[str, ...] = ()
    starts_on: date | None = None


async def add_course(pool: asyncpg.Pool, who: Principal, body: CourseIn) -> UUID:
    regency = require_admin(who)
    if not body.title.strip():
        raise InvalidInput("Judul pelatihan wajib diisi.", field="title", reason="judul kosong")
    if body.kind not in KINDS:
        raise InvalidInput("Jenis pelatihan tidak dikenali.", field="kind", reason="jenis tidak dikenali")
    if not 1 <= body.jp <= 200:
        raise InvalidInput("JP antara 1 dan 200.", field="jp", reason="JP harus 1 sampai 200")
    if not 1 <= body.sessions <= 100:
        raise InvalidInput("Jumlah sesi antara 1 dan 100.", field="sessions", reason="sesi harus 1 sampai 100")
    unknown = [t for t in body.topics if t not in TOPICS]
    if unknown:
        raise InvalidInput(
            "Topik tidak dikenali.", field="topics", reason="topik tidak dikenali: " + ", ".join(unknown)
        )
    cid = uuid.uuid4()
    async with tenant_transaction(pool, [regency]) as conn:
        await conn.execute(
            """INSERT INTO course (course_id, regency_id, title, kind, jp, sessions, topics, starts_on)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
            cid,
            regency,
            body.title.strip()[:200],
            body.kind,
            body.jp,
            body.sessions,
            list(body.topics),
            body.starts_on,
        )
    return cid


async def catalogue(pool: asyncpg.Pool, who: Principal) -> list[dict[str, Any]]:
    regency = regency_of(who)
    async with tenant_transaction(pool, [regency]) as conn:
        rows = await conn.fetch(
            """SELECT c.*, (SELECT count(*) FROM enrolment e WHERE e.course_id = c.course_id AND e.status <> 'batal')
                      AS enrolled FROM course c WHERE c.active ORDER BY c.starts_on NULLS LAST, c.title"""
        )
    return [dict(r) for r in rows]


async def enrol(pool: asyncpg.Pool, who: Principal, course_id: UUID, asn_id: UUID | None = None) -> None:
    """An ASN enrols themself; BKPSDM may enrol anyone of the regency."""
    regency = regency_of(who)
    target = asn_id or who.asn_id
    if target is None:
        raise NotAllowed("Pilih pegawai yang didaftarkan.")
    if target != who.asn_id and not who.has_role(Role.ADMIN_BKPSDM):
        raise NotAllowed("Hanya BKPSDM yang dapat mendaftarkan pegawai lain.")
    now = now_jakarta()
    async with tenant_transaction(pool, [regency]) as conn:
        c = await conn.fetchrow("SELECT * FROM course WHERE course_id = $1 AND active", course_id)
        if c is None:
            raise NotFound("Pelatihan tidak ditemukan.")
        if not await conn.fetchval("SELECT 1 FROM asn WHERE asn_id = $1 AND active", target):
            raise NotFound("Pegawai tidak ditemukan.")
        year = (c["starts_on"] or now.date()).year
        done = await conn.fetchval(
            """INSERT INTO enrolment (course_id, asn_id, regency_id, year, enrolled_at) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (course_id, asn_id) DO UPDATE SET status = 'terdaftar'
               WHERE enrolment.status = 'batal' RETURNING 1""",
            course_id,
            target,
            regency,
            year,
            now,
        )
        if done is None:
            raise Conflict("Pegawai sudah terdaftar pada pelatihan ini.")


async def record_attendance(pool: asyncpg.Pool, who: Principal, course_id: UUID, asn_id: UUID, sessions: int) -> None:
    regency = require_admin(who)
    async with tenant_transaction(pool, [regency]) as conn:
        c = await conn.fetchrow("SELECT sessions FROM course WHERE course_id = $1", course_id)
        if c is None:
            raise NotFound("Pelatihan tidak ditemukan.")
        if not 0 <= sessions <= c["sessions"]:
            raise InvalidInput(
                "Jumlah sesi hadir melebihi sesi pelatihan.",
                field="sessions",
                reason=f"sesi hadir harus 0 sampai {c['sessions']}",
            )
        done = await conn.fetchval(
            """UPDATE enrolment SET attended = $3 WHERE course_id = $1 AND asn_id = $2 AND status = 'terdaftar'
               RETURNING 1""",
            course_id,
            asn_id,
            sessions,
        )
        if done is None:
            raise NotFound("Pendaftaran aktif tidak ditemukan.")


async def complete(
    pool: asyncpg.Pool, who: Principal, course_id: UUID, asn_id: UUID, *, now: datetime | None = None
) -> int:
    """Completion credits the course's JP once every session was attended."""
    regency = require_admin(who)
    async with tenant_transaction(pool, [regency]) as conn:
        row = await conn.fetchrow(
            """SELECT e.status, e.attended, c.sessions, c.jp FROM enrolment e JOIN course c USING (course_id)
               WHERE e.course_id = $1 AND e.asn_id = $2 FOR UPDATE OF e""",
            course_id,
            asn_id,
        )
        if row is None:
            raise NotFound("Pendaftaran tidak ditemukan.")
        if row["status"] != "terdaftar":
            raise Conflict("Pendaftaran ini sudah selesai atau dibatalkan.")
        if row["attended"] < row["sessions"]:
            raise InvalidInput(
                "Kehadiran belum lengkap.",
                field="attended",
                reason=f"hadir {row['attended']} dari {row['sessions']} sesi",
            )
        await conn.execute(
            """UPDATE enrolment SET status = 'selesai', completed_at = $3, jp = $4
               WHERE course_id = $1 AND asn_id = $2""",
            course_id,
            asn_id,
            now or now_jakarta(),
            row["jp"],
        )
    jp: int = row["jp"]
    return jp


async def development_of(pool: asyncpg.Pool, who: Principal, asn_id: UUID, year: int) -> dict[str, Any]:
    """JP this year against the right, enrolments, and courses recommended from the latest evaluation's gaps."""
    regency = regency_of(who)
    async with tenant_transaction(pool, [regency]) as conn:
        await check_can_view_asn(conn, who, asn_id, now_jakarta().date())
        cur = await rules_service.current(conn, regency)
        enrolments = await conn.fetch(
            """SELECT e.*, c.title, c.kind, c.jp AS course_jp, c.sessions
               FROM enrolment e JOIN course c USING (course_id)
               WHERE e.asn_id = $1 AND e.year = $2 ORDER BY e.enrolled_at""",
            asn_id,
            year,
        )
        latest = await conn.fetchrow(
            """SELECT ratings, hasil_rating FROM scoring_evaluation WHERE asn_id = $1
               ORDER BY submitted_at DESC LIMIT 1""",
            asn_id,
        )
        courses = await conn.fetch("SELECT course_id, title, jp, topics FROM course WHERE active")
    weak: list[str] = []
    failing = False
    if latest is not None:
        ratings = latest["ratings"]
        items = ratings if isinstance(ratings, list) else [{"value": k, "rating": v} for k, v in ratings.items()]
        weak = [i["value"] for i in items if i.get("rating") == "di_bawah_ekspektasi"]
        failing = latest["hasil_rating"] == "di_bawah_ekspektasi"
    taken = [str(e["course_id"]) for e in enrolments if e["status"] != "batal"]
    recs = recommendations(
        weak,
        failing,
        [Course(str(c["course_id"]), c["title"], c["jp"], frozenset(c["topics"])) for c in courses],
        taken=taken,
        value_labels={v.value: lbl for v, lbl in VALUE_LABEL.items()},
    )
    jp = sum(e["jp"] for e in enrolments if e["status"] == "selesai")
    return {
        "year": year,
        "jp": jp,
        "right": cur.rules.jp_right,
        "enrolments": [dict(e) for e in enrolments],
        "recommendations": [
            {"course_id": r.course.course_id, "title": r.course.title, "jp": r.course.jp, "because": list(r.because)}
            for r in recs
        ],
    }


async def equal_access_report(pool: asyncpg.Pool, who: Principal, year: int) -> dict[str, Any]:
    if not who.has_role(Role.ADMIN_BKPSDM, *PROVINCE_ROLES):
        raise NotAllowed("Laporan kesetaraan akses untuk BKPSDM dan provinsi.")
    regency = regency_of(who) if who.regency_id else None
    if regency is None:
        raise NotAllowed("Pilih kabupaten/kota.")
    async with tenant_transaction(pool, [regency]) as conn:
        cur = await rules_service.current(conn, regency)
        rows = await conn.fetch(
            """SELECT split_part(u.path, ' > ', 1) AS unit, a.grade, a.gender, a.location,
                      COALESCE(sum(e.jp) FILTER (WHERE e.status = 'selesai'), 0)::int AS jp
               FROM asn a JOIN unit u ON u.unit_id = a.unit_id
               LEFT JOIN enrolment e ON e.asn_id = a.asn_id AND e.year = $1
               WHERE a.active GROUP BY a.asn_id, u.path, a.grade, a.gender, a.location""",
            year,
        )
    data = [
        AsnJp(
            r["unit"],
            r["grade"],
            "Perempuan" if r["gender"] == "P" else "Laki-laki",
            r["location"].capitalize(),
            r["jp"],
        )
        for r in rows
    ]
    right = cur.rules.jp_right

    def js(g: GroupShare) -> dict[str, Any]:
        return {
            "group": g.group,
            "total": g.total,
            "reached": g.reached,
            "share": str(g.share),
            "mean_jp": str(g.mean_jp),
        }

    return {
        "year": year,
        "right": right,
        "overall": js(overall(data, right)),
        "dimensions": {d: [js(g) for g in groups] for d, groups in equal_access(data, right).items()},
    }
