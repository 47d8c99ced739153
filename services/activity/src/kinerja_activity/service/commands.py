"""What callers ask the activity service to do: pydantic v2 models validated at the edge (422 field + reason)."""

from __future__ import annotations

import hashlib
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kinerja_activity.domain.activity import ActivityDraft
from kinerja_activity.domain.attendance import AttendanceStatus

MAX_SYNC_ITEMS = 500
_WIB = timedelta(hours=7)


def _wib(value: time) -> time:
    # wall-clock Asia/Jakarta; an explicit offset is accepted only if it is WIB (+07:00)
    if value.tzinfo is not None:
        if value.utcoffset() != _WIB:
            raise ValueError("jam harus dalam WIB (+07:00) atau tanpa zona waktu")
        value = value.replace(tzinfo=None)
    return value.replace(microsecond=0)


class ActivityIn(BaseModel):
    """One daily activity as the ASN reports it (times are WIB wall clock on activity_date)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    id: UUID | None = Field(
        default=None, description="client-generated id (offline sync); the server makes one if absent"
    )
    activity_date: date
    start_time: time
    end_time: time
    description: str = Field(min_length=3, max_length=2000)
    quantity: Decimal = Field(default=Decimal(1), ge=0, le=1_000_000, max_digits=12, decimal_places=2)
    output: str = Field(default="kegiatan", min_length=1, max_length=200, description="satuan keluaran, e.g. pasien")
    indicator_id: UUID = Field(description="one of the ASN's approved SKP indicators (RHK)")

    _tz = field_validator("start_time", "end_time")(_wib)

    def draft(self) -> ActivityDraft:
        return ActivityDraft(
            self.activity_date,
            self.start_time,
            self.end_time,
            self.description,
            self.quantity,
            self.output,
            self.indicator_id,
        )

    def content_hash(self) -> str:
        """Fingerprint of the content, so a replayed item is told apart from a different one with the same id."""
        q = format(self.quantity.normalize(), "f")
        text = "\x1f".join(
            (
                self.activity_date.isoformat(),
                self.start_time.isoformat(),
                self.end_time.isoformat(),
                self.description,
                q,
                self.output,
                str(self.indicator_id),
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()


class SyncBatch(BaseModel):
    """Up to 500 activities recorded offline; items are validated one by one so one bad item spoils nothing."""

    model_config = ConfigDict(extra="forbid")

    items: list[dict[str, object]] = Field(min_length=1, max_length=MAX_SYNC_ITEMS)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    approve: bool
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _reason_for_rejection(self) -> Decision:
        if not self.approve and len(self.reason) < 3:
            raise ValueError("alasan penolakan wajib diisi (minimal 3 karakter)")
        return self


class BulkApprove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activity_ids: list[UUID] = Field(min_length=1, max_length=500)


Latitude = Annotated[Decimal, Field(ge=-90, le=90, max_digits=9, decimal_places=6)]
Longitude = Annotated[Decimal, Field(ge=-180, le=180, max_digits=10, decimal_places=6)]


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latitude: Latitude | None = None
    longitude: Longitude | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> CheckIn:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("lokasi harus berisi latitude dan longitude")
        return self


class LeaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    asn_id: UUID
    status: AttendanceStatus
    start_date: date
    end_date: date
    note: str = Field(default="", max_length=500)


class ApelIn(BaseModel):
    """Assembly attendance for one day: who attended and who did not."""

    model_config = ConfigDict(extra="forbid")

    work_date: date
    attended: list[UUID] = Field(default_factory=list, max_length=2000)
    missed: list[UUID] = Field(default_factory=list, max_length=2000)
