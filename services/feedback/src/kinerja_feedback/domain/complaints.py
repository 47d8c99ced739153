"""Complaints (pengaduan) per Table C1: tracking code, working-day deadlines, unit response, citizen verdict."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

from kinerja_feedback.domain.errors import Conflict, InvalidInput
from kinerja_feedback.domain.workdays import add_working_days, working_days_between

# Crockford-style alphabet without 0/O, 1/I/L, U: readable over the phone
_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
TRACKING_RE: Final = re.compile(r"^ADU-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$")


def tracking_code(random_bytes: bytes) -> str:
    """A code like ADU-7K3M-9QXP from 8 random bytes (~39 bits): hard to guess, easy to read out."""
    if len(random_bytes) < 8:
        raise ValueError("need 8 random bytes")
    chars = "".join(_ALPHABET[b % len(_ALPHABET)] for b in random_bytes[:8])
    return f"ADU-{chars[:4]}-{chars[4:]}"


def normalize_tracking_code(text: str) -> str:
    """Accepts lower case, spaces and missing dashes as people type them; InvalidInput if not a code."""
    raw = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    if raw.startswith("ADU"):
        raw = raw[3:]
    code = f"ADU-{raw[:4]}-{raw[4:]}"
    if len(raw) != 8 or not TRACKING_RE.match(code):
        raise InvalidInput("Kode pelacakan tidak dikenali.", field="kode", reason="bad tracking code")
    return code


class Status(StrEnum):
    DIAJUKAN = "diajukan"  # filed, waiting for the unit
    DIPROSES = "diproses"  # the unit responded and works on it
    SELESAI = "selesai"  # the unit says resolved; the citizen may confirm or reopen
    DITUTUP = "ditutup"  # the citizen confirmed

    @property
    def label(self) -> str:
        return _STATUS_LABEL[self]


_STATUS_LABEL: Final = {
    Status.DIAJUKAN: "Diajukan",
    Status.DIPROSES: "Sedang diproses",
    Status.SELESAI: "Selesai (menunggu konfirmasi pelapor)",
    Status.DITUTUP: "Ditutup",
}


@dataclass(frozen=True, slots=True)
class Deadlines:
    response_due: date
    resolution_due: date


def deadlines(filed_on: date, *, response_days: int, resolution_days: int, holidays: Collection[date]) -> Deadlines:
    """Table C1: respond within `response_days`, resolve within `resolution_days` working days (config 5, 14)."""
    return Deadlines(
        add_working_days(filed_on, response_days, holidays),
        add_working_days(filed_on, resolution_days, holidays),
    )


@dataclass(frozen=True, slots=True)
class Complaint:
    """State of one complaint; transitions return a new value or raise Conflict."""

    complaint_id: UUID
    unit_id: UUID
    filed_on: date
    response_due: date
    resolution_due: date
    status: Status = Status.DIAJUKAN
    assigned_asn_id: UUID | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    reopen_count: int = 0

    def assign(self, asn_id: UUID) -> Complaint:
        if self.status is Status.DITUTUP:
            raise Conflict("Pengaduan sudah ditutup.")
        return replace(self, assigned_asn_id=asn_id)

    def respond(self, at: datetime) -> tuple[Complaint, bool]:
        """A reply from the unit; returns the new state and whether it was the first response."""
        if self.status in (Status.SELESAI, Status.DITUTUP):
            raise Conflict("Pengaduan sudah diselesaikan; tunggu konfirmasi atau pembukaan kembali oleh pelapor.")
        first = self.first_response_at is None
        return replace(self, status=Status.DIPROSES, first_response_at=self.first_response_at or at), first

    def resolve(self, at: datetime) -> Complaint:
        if self.status in (Status.SELESAI, Status.DITUTUP):
            raise Conflict("Pengaduan sudah diselesaikan.")
        if self.first_response_at is None:
            raise Conflict("Beri tanggapan kepada pelapor sebelum menyelesaikan pengaduan.")
        return replace(self, status=Status.SELESAI, resolved_at=at)

    def confirm(self) -> Complaint:
        if self.status is not Status.SELESAI:
            raise Conflict("Pengaduan belum dinyatakan selesai oleh unit.")
        return replace(self, status=Status.DITUTUP)

    def reopen(self) -> Complaint:
        if self.status is not Status.SELESAI:
            raise Conflict("Hanya pengaduan yang dinyatakan selesai yang dapat dibuka kembali.")
        return replace(self, status=Status.DIPROSES, resolved_at=None, reopen_count=self.reopen_count + 1)

    def response_overdue(self, today: date) -> bool:
        return self.first_response_at is None and today > self.response_due

    def resolution_overdue(self, today: date) -> bool:
        return self.status in (Status.DIAJUKAN, Status.DIPROSES) and today > self.resolution_due

    def overdue(self, today: date) -> bool:
        """Flagged when a deadline passed with the step still undone (Table C1)."""
        return self.response_overdue(today) or self.resolution_overdue(today)


def elapsed_working_days(filed_on: date, done_on: date, holidays: Collection[date]) -> int:
    return working_days_between(filed_on, done_on, holidays)
