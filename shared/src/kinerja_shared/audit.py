"""Append-only, hash-chained audit log: who viewed or changed SKPs, evaluations, predikat, TPP and complaints.

Each service database has one chain (table ``audit_log``, migration shared/0002_audit.sql). A row's hash is
``sha256(prev_hash || "\\n" || canonical JSON of the row)``, so changing, deleting or reordering any row
breaks every later link, and ``audit_head`` (the chain's end) shows rows cut off the end. `record` appends
inside the use case's own transaction, so the audit row commits or rolls back with the change it describes.

Rows carry internal UUIDs and the actor's IdP subject, never NIP/NIK, names or free text (``detail`` is
checked). Verify a database with::

    python -m kinerja_shared.audit verify --database-url postgresql://owner@host/db [--anchor SEQ:HASH]

A whole-chain rewrite by someone holding the owner role would re-hash consistently; against that, keep the
printed head (seq and hash) outside the database (ops ticket, daily log) and pass it back as ``--anchor``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, Protocol
from uuid import UUID

import asyncpg

GENESIS: Final = "0" * 64
_LOCK: Final = 0x61756469  # "audi": one appender per database at a time, held to the end of the transaction
_ACTION: Final = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")
_SUBJECT_TYPE: Final = re.compile(r"^[a-z][a-z_]*$")
# detail is for ids, states and numbers; these keys or shapes would be personal data
_PERSONAL_KEYS: Final = frozenset(
    {"nip", "nik", "name", "nama", "email", "phone", "telepon", "hp", "address", "alamat", "body", "comment"}
)
_PERSONAL_VALUE: Final = re.compile(r"\d{16,18}|[^@\s]+@[^@\s]+\.[a-z]{2,}|(\+62|\b0)8\d{7,12}", re.IGNORECASE)
# ids are not personal data, but a UUID's last group can read like a phone number ("08" + digits): drop them first
_UUID_TEXT: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_MAX_DETAIL_BYTES: Final = 4096


class AuditAction(StrEnum):
    """The actions services record (docs/security.md lists where); other dotted names are allowed too."""

    SKP_VIEW = "skp.view"
    SKP_CREATE = "skp.create"
    SKP_SUBMIT = "skp.submit"
    SKP_APPROVE = "skp.approve"
    SKP_REJECT = "skp.reject"
    REALISASI_CONFIRM = "realisasi.confirm"
    EVALUATION_VIEW = "evaluation.view"
    EVALUATION_SUBMIT = "evaluation.submit"
    PREDIKAT_CHANGE = "predikat.change"
    TPP_VIEW = "tpp.view"
    TPP_EXPORT = "tpp.export"
    COMPLAINT_VIEW = "complaint.view"
    COMPLAINT_RESPOND = "complaint.respond"
    PEER_SUMMARY_VIEW = "peer_feedback.view"
    ACTIVITY_VERIFY = "activity.verify"
    RETENTION_PURGE = "retention.purge"
    PERSONAL_DATA_EXPORT = "personal_data.export"
    PERSONAL_DATA_CORRECT = "personal_data.correct"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: the IdP subject and roles of a signed-in user, or ``system:<service>`` for a worker."""

    sub: str
    roles: frozenset[str] = frozenset()
    asn_id: UUID | None = None

    @classmethod
    def system(cls, service: str) -> Actor:
        return cls(sub=f"system:{service}", roles=frozenset({"system"}))


class _PrincipalLike(Protocol):
    """What `record` reads from kinerja_shared.auth.Principal (structural: no FastAPI import here)."""

    @property
    def sub(self) -> str: ...
    @property
    def roles(self) -> frozenset[Any]: ...
    @property
    def asn_id(self) -> UUID | None: ...


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: datetime
    regency_id: UUID | None
    actor_sub: str
    actor_roles: tuple[str, ...]
    actor_asn_id: UUID | None
    action: str
    subject_type: str
    subject_id: UUID
    detail: Mapping[str, Any]
    prev_hash: str
    hash: str = ""

    def canonical(self) -> bytes:
        """The row as hashed: sorted-key compact JSON; times in UTC with microseconds, as PostgreSQL keeps them."""
        body = {
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "regency_id": str(self.regency_id) if self.regency_id else None,
            "actor_sub": self.actor_sub,
            "actor_roles": sorted(self.actor_roles),
            "actor_asn_id": str(self.actor_asn_id) if self.actor_asn_id else None,
            "action": self.action,
            "subject_type": self.subject_type,
            "subject_id": str(self.subject_id),
            "detail": self.detail,
        }
        return _canonical_json(body).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.prev_hash.encode() + b"\n" + self.canonical()).hexdigest()


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _plain(value: Any) -> Any:
    # detail as it will read back from jsonb: Decimal/UUID/dates become strings, tuples lists
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, float):
        raise ValueError("audit detail: use Decimal or str for fractional numbers (floats do not hash stably)")
    if value is None or isinstance(value, bool | int | str):
        return value
    raise ValueError(f"audit detail: unsupported value type {type(value).__name__}")


def check_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    """`detail` as stored; refuses keys or values that look like personal data, and oversized details."""
    plain: dict[str, Any] = _plain(dict(detail))

    def walk(v: Any, path: str) -> None:
        if isinstance(v, dict):
            for k, sub in v.items():
                if k.lower() in _PERSONAL_KEYS:
                    raise ValueError(f"audit detail: {path}{k} would hold personal data; record ids instead")
                walk(sub, f"{path}{k}.")
        elif isinstance(v, list):
            for sub in v:
                walk(sub, path)
        elif isinstance(v, str) and _PERSONAL_VALUE.search(_UUID_TEXT.sub(" ", v)):
            raise ValueError(f"audit detail: {path.rstrip('.') or 'value'} looks like a NIP/NIK, e-mail or phone")

    walk(plain, "")
    if len(_canonical_json(plain).encode()) > _MAX_DETAIL_BYTES:
        raise ValueError(f"audit detail over {_MAX_DETAIL_BYTES} bytes")
    return plain


async def record(
    conn: asyncpg.Connection,
    *,
    actor: Actor | _PrincipalLike,
    action: str,
    subject_type: str,
    subject_id: UUID,
    regency_id: UUID | None,
    detail: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one audit row inside the caller's transaction (it must be in one) and return it.

    Appends are serialised per database by a transaction-scoped advisory lock, held until commit: call this
    as the last statement of the use case so the lock is held briefly.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("audit.record must run inside the use case's transaction")
    if not _ACTION.match(action):
        raise ValueError(f"audit action must be dotted lower-case like 'skp.approve', got {action!r}")
    if not _SUBJECT_TYPE.match(subject_type):
        raise ValueError(f"audit subject_type must be lower-case like 'skp', got {subject_type!r}")
    plain = check_detail(detail or {})
    when = (at or datetime.now(UTC)).astimezone(UTC)
    if when.tzinfo is None:
        raise ValueError("audit time must be timezone-aware")
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
    head = await conn.fetchrow("SELECT seq, hash FROM audit_head")
    if head is None:
        raise RuntimeError("audit_head is missing: the audit migration did not run or was tampered with")
    entry = AuditEntry(
        seq=head["seq"] + 1,
        at=when,
        regency_id=regency_id,
        actor_sub=str(actor.sub),
        actor_roles=tuple(sorted(str(r) for r in actor.roles)),
        actor_asn_id=actor.asn_id,
        action=str(action),
        subject_type=subject_type,
        subject_id=subject_id,
        detail=plain,
        prev_hash=head["hash"],
    )
    digest = entry.compute_hash()
    await conn.execute(
        """INSERT INTO audit_log (seq, at, regency_id, actor_sub, actor_roles, actor_asn_id, action,
                                  subject_type, subject_id, detail, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb, $11, $12)""",
        entry.seq,
        entry.at,
        entry.regency_id,
        entry.actor_sub,
        list(entry.actor_roles),
        entry.actor_asn_id,
        entry.action,
        entry.subject_type,
        entry.subject_id,
        _canonical_json(plain),
        entry.prev_hash,
        digest,
    )
    await conn.execute("UPDATE audit_head SET seq = $1, hash = $2", entry.seq, digest)
    return AuditEntry(**{**_fields(entry), "hash": digest})


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in AuditEntry.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    rows: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason,
        }


def _entry(row: asyncpg.Record) -> AuditEntry:
    detail = row["detail"]
    if isinstance(detail, str):  # a connection without the jsonb codec
        detail = json.loads(detail)
    return AuditEntry(
        seq=row["seq"],
        at=row["at"],
        regency_id=row["regency_id"],
        actor_sub=row["actor_sub"],
        actor_roles=tuple(row["actor_roles"]),
        actor_asn_id=row["actor_asn_id"],
        action=row["action"],
        subject_type=row["subject_type"],
        subject_id=row["subject_id"],
        detail=detail,
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


async def verify(conn: asyncpg.Connection, *, anchors: Sequence[tuple[int, str]] = ()) -> VerifyResult:
    """Walk the whole chain in seq order and report the first row that does not hold.

    Run as the owner (RLS is forced on the owner too, so this scopes the transaction to every regency) or a
    superuser. Detects a changed row (its hash), a deleted or reordered row (seq gap, prev_hash), rows cut
    off the end (audit_head), and, with `anchors` kept elsewhere, a rewritten chain.
    """
    want = dict(anchors)
    async with conn.transaction(readonly=True, isolation="repeatable_read"):
        await conn.execute("SELECT set_config('kinerja.regency_ids', '*', true)")
        head = await conn.fetchrow("SELECT seq, hash FROM audit_head")
        head_seq, head_hash = (int(head["seq"]), str(head["hash"])) if head else (-1, "")
        expected_seq, prev = 1, GENESIS
        rows = 0
        bad: tuple[int, str] | None = None
        async for row in conn.cursor("SELECT * FROM audit_log ORDER BY seq", prefetch=1000):
            rows += 1
            if bad is not None:
                continue
            e = _entry(row)
            if e.seq != expected_seq:
                bad = (min(e.seq, expected_seq), f"row {expected_seq} is missing (next row found is {e.seq})")
            elif e.prev_hash != prev:
                bad = (e.seq, "prev_hash does not match the previous row's hash (a row was removed or reordered)")
            elif e.compute_hash() != e.hash:
                bad = (e.seq, "row content does not match its hash (the row was modified)")
            elif e.seq in want and want[e.seq] != e.hash:
                bad = (e.seq, "hash differs from the anchor kept outside the database (the chain was rewritten)")
            expected_seq, prev = e.seq + 1, e.hash
    if bad is None and head is None:
        bad = (1, "audit_head is missing")
    if bad is None and (head_seq != expected_seq - 1 or head_hash != prev):
        bad = (
            min(head_seq, expected_seq - 1) + 1,
            f"the chain ends at row {expected_seq - 1} but audit_head says {head_seq} (rows were cut off the end)",
        )
    if bad is None:
        missing = [s for s in want if s >= expected_seq]
        if missing:
            bad = (min(missing), "an anchored row no longer exists")
    if bad is None:
        return VerifyResult(True, rows, head_seq, head_hash)
    return VerifyResult(False, rows, head_seq, head_hash, first_bad_seq=bad[0], reason=bad[1])


def _anchor(text: str) -> tuple[int, str]:
    seq, sep, digest = text.partition(":")
    if not sep or not seq.isdigit() or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise argparse.ArgumentTypeError("anchor must be SEQ:HASH (64 hex)")
    return int(seq), digest


async def _verify_url(url: str, anchors: Sequence[tuple[int, str]]) -> VerifyResult:
    conn = await asyncpg.connect(url)
    try:
        return await verify(conn, anchors=anchors)
    finally:
        await conn.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kinerja_shared.audit", description="audit log tools")
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="check the hash chain; exit 1 and name the first bad row if tampered")
    v.add_argument("--database-url", required=True, help="owner (or superuser) URL of the service database")
    v.add_argument("--anchor", action="append", type=_anchor, default=[], help="SEQ:HASH kept outside the database")
    args = parser.parse_args(argv)
    result = asyncio.run(_verify_url(args.database_url, args.anchor))
    sys.stdout.write(json.dumps(result.as_dict()) + "\n")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
