"""SKM survey intake (Table Q1): validate, refuse repeats per device/contact, store + outbox, in batches.

A viral QR code means thousands of answers a second. Each answer waits for its own commit, but answers arriving
while a commit is in flight share the next transaction (group commit): one multi-row insert each of guard keys,
responses and outbox rows. Latency stays one commit at low load; throughput grows with load. A batch that fails
on one answer's data is split until the bad answer is alone, so only its caller gets the error.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

import asyncpg

from kinerja_feedback.adapters import postgres as db
from kinerja_feedback.domain.config import ContactMode
from kinerja_feedback.domain.errors import InvalidInput
from kinerja_feedback.domain.ikm import validate_answers
from kinerja_feedback.domain.periods import period_of
from kinerja_feedback.service.common import Directory
from kinerja_shared.contracts.feedback import SurveySubmitted
from kinerja_shared.db import tenant_transaction
from kinerja_shared.messaging import outbox
from kinerja_shared.web import JAKARTA

SUGGESTION_MAX: Final = 2000

AGE_BANDS: Final = ("<20", "20-29", "30-39", "40-49", "50-59", "60+")
GENDERS: Final = ("L", "P")
EDUCATIONS: Final = ("SD", "SMP", "SMA", "D1-D3", "D4-S1", "S2-S3")


class Refusal(StrEnum):
    DEVICE = "device"
    CONTACT = "contact"


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    """What the public form sends (already decoded), with the keyed hashes of device token and contact."""

    unit_id: UUID
    answers: Sequence[int]
    device_hash: bytes | None
    contact_hash: bytes | None = None
    age_band: str | None = None
    gender: str | None = None
    education: str | None = None
    service_used: str | None = None
    suggestion: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    accepted: bool
    response_id: UUID | None
    period: str
    refused: Refusal | None = None


@dataclass(slots=True)
class _Prepared:
    response_id: UUID
    regency_id: UUID
    unit_id: UUID
    period: str
    answers: tuple[int, ...]
    guards: list[tuple[str, bytes]]
    answer: SurveyAnswer
    at: datetime
    traceparent: str | None = None
    done: asyncio.Future[Outcome] | None = field(repr=False, default=None)


def _choice(value: str | None, allowed: Sequence[str], name: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in allowed:
        raise InvalidInput(f"Pilihan {name} tidak dikenal.", field=name, reason=f"must be one of {', '.join(allowed)}")
    return value


def _text(value: str | None, name: str, limit: int) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > limit:
        raise InvalidInput(
            f"Teks terlalu panjang (maksimal {limit} karakter).", field=name, reason=f"longer than {limit}"
        )
    if "\x00" in value:  # PostgreSQL text cannot hold it
        raise InvalidInput("Teks berisi karakter yang tidak diizinkan.", field=name, reason="contains a NUL character")
    return value.strip()  # stored as given (pages escape it), only trimmed


async def write_batch(pool: asyncpg.Pool, batch: Sequence[_Prepared]) -> list[Outcome]:
    """One transaction for many answers: claim guards, store accepted responses and their events together."""
    regencies = sorted({p.regency_id for p in batch})
    outcomes: dict[UUID, Outcome] = {}
    # a repeat inside the same batch loses to the first one, as it would across batches
    seen: set[tuple[UUID, str, str, bytes]] = set()
    live: list[_Prepared] = []
    for p in batch:
        keys = [(p.unit_id, p.period, kind, h) for kind, h in p.guards]
        dup = next((k for k in keys if k in seen), None)
        if dup is not None:
            outcomes[p.response_id] = Outcome(False, None, p.period, Refusal(dup[2]))
            continue
        seen.update(keys)
        live.append(p)
    async with tenant_transaction(pool, regencies) as conn:
        guard_rows = [(p.unit_id, p.period, kind, h, p.regency_id, p.response_id) for p in live for kind, h in p.guards]
        claimed = await db.insert_guards(conn, guard_rows)
        accepted: list[_Prepared] = []
        partial: list[UUID] = []
        for p in live:
            mine = claimed.get(p.response_id, set())
            lost = [kind for kind, _ in p.guards if kind not in mine]
            if not lost:
                accepted.append(p)
                continue
            # every key of a response must be new; a device key won while its contact key lost is given back
            if mine:
                partial.append(p.response_id)
            outcomes[p.response_id] = Outcome(False, None, p.period, Refusal(lost[0]))
        await db.release_guards(conn, partial)
        await db.insert_responses(
            conn,
            [
                (
                    p.response_id,
                    p.regency_id,
                    p.unit_id,
                    p.period,
                    list(p.answers),
                    p.answer.age_band,
                    p.answer.gender,
                    p.answer.education,
                    p.answer.service_used,
                    p.answer.suggestion,
                    p.at,
                )
                for p in accepted
            ],
        )
        await outbox.add_batch(
            conn,
            [
                SurveySubmitted(
                    regency_id=p.regency_id,
                    occurred_at=p.at,
                    response_id=p.response_id,
                    unit_id=p.unit_id,
                    period=p.period,
                    answers=p.answers,
                )
                for p in accepted
            ],
            traceparents=[p.traceparent for p in accepted],
        )
    for p in accepted:
        outcomes[p.response_id] = Outcome(True, p.response_id, p.period)
    return [outcomes[p.response_id] for p in batch]


class SurveyIntake:
    """The public survey's front: checks an answer, then lets it ride the next group commit."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        directory: Directory,
        *,
        batch_max: int = 500,
        writers: int = 2,
        group_commit: bool = True,
    ) -> None:
        self._pool = pool
        self._directory = directory
        self._batch_max = batch_max
        self._group_commit = group_commit  # off: one transaction per answer (the baseline the bench compares)
        self._max_writers = writers  # two commits in flight: one batch is built while the other waits on PostgreSQL
        self._queue: list[_Prepared] = []
        self._writers: set[asyncio.Task[None]] = set()

    async def prepare(self, answer: SurveyAnswer, at: datetime) -> _Prepared:
        """Validate against Table Q1 and the regency's settings; InvalidInput names the field."""
        answers = validate_answers(answer.answers)
        unit = await self._directory.require_unit(answer.unit_id, public_facing=True)
        cfg = await self._directory.config(unit.regency_id)
        guards: list[tuple[str, bytes]] = []
        if cfg.once_per_device:
            if answer.device_hash is None:
                raise InvalidInput(
                    "Aktifkan cookie pada peramban untuk mengisi survei.", field="device", reason="no device token"
                )
            guards.append(("device", answer.device_hash))
        if cfg.contact_mode is ContactMode.REQUIRED and answer.contact_hash is None:
            raise InvalidInput("Nomor HP atau e-mail wajib diisi.", field="contact", reason="contact required")
        if cfg.contact_mode is not ContactMode.OFF and answer.contact_hash is not None:
            guards.append(("contact", answer.contact_hash))
        clean = SurveyAnswer(
            unit_id=answer.unit_id,
            answers=answers,
            device_hash=answer.device_hash,
            contact_hash=answer.contact_hash,
            age_band=_choice(answer.age_band, AGE_BANDS, "age_band"),
            gender=_choice(answer.gender, GENDERS, "gender"),
            education=_choice(answer.education, EDUCATIONS, "education"),
            service_used=_text(answer.service_used, "service_used", 120),
            suggestion=_text(answer.suggestion, "suggestion", SUGGESTION_MAX),
        )
        local = at.astimezone(JAKARTA)
        return _Prepared(
            uuid.uuid4(), unit.regency_id, unit.unit_id, period_of(local, cfg.survey_period), answers, guards, clean, at
        )

    async def submit(self, answer: SurveyAnswer, at: datetime, *, trace_id: str | None = None) -> Outcome:
        """Accept or refuse one answer; returns after its transaction committed (durable) or raises.

        `trace_id` (the request's) goes into the event's traceparent: the writer task runs in another context.
        """
        p = await self.prepare(answer, at)
        if trace_id is not None and len(trace_id) == 32:
            p.traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
        return await self.commit(p)

    async def commit(self, p: _Prepared) -> Outcome:
        """Let a prepared answer ride the next group commit; returns once that transaction committed."""
        if not self._group_commit:
            return (await write_batch(self._pool, [p]))[0]
        done: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        p.done = done
        self._queue.append(p)
        if len(self._writers) < self._max_writers:
            task = asyncio.create_task(self._drain(), name="survey-writer")
            self._writers.add(task)
            task.add_done_callback(self._writers.discard)
        # shielded: a client hanging up must not cancel a write other answers share
        return await asyncio.shield(done)

    async def _drain(self) -> None:
        # runs while answers wait, then ends: no task outlives the traffic
        while self._queue:
            batch, self._queue = self._queue[: self._batch_max], self._queue[self._batch_max :]
            await self._write(batch)

    async def _write(self, batch: list[_Prepared]) -> None:
        try:
            results = await write_batch(self._pool, batch)
        except Exception as e:
            if len(batch) > 1 and _caused_by_a_row(e):
                # the transaction rolled back whole: retry the halves until the answer that broke it is alone
                half = len(batch) // 2
                await self._write(batch[:half])
                await self._write(batch[half:])
                return
            for p in batch:  # the database is down, or this one answer cannot be stored: its waiters learn it
                if p.done is not None and not p.done.done():
                    p.done.set_exception(e)
            return
        for p, r in zip(batch, results, strict=True):
            if p.done is not None and not p.done.done():
                p.done.set_result(r)


def _caused_by_a_row(e: Exception) -> bool:
    """A data (22xxx) or constraint (23xxx) error, or a value the driver could not encode: one answer's fault."""
    if isinstance(e, asyncpg.PostgresError):
        return str(getattr(e, "sqlstate", "") or "")[:2] in {"22", "23"}
    return isinstance(e, ValueError | TypeError)
