"""Base of every event model: explicit pydantic v2 schema, versioned type name, topic and key."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Event(BaseModel):
    """A fact one service tells the others. Subclasses set `type`, `topic`, `source` and `key_field`."""

    # extra="ignore": an older consumer must accept events from a newer producer that added optional fields
    model_config = ConfigDict(frozen=True, extra="ignore")

    type: ClassVar[str]
    topic: ClassVar[str]
    source: ClassVar[str]
    key_field: ClassVar[str] = "asn_id"
    subject_field: ClassVar[str | None] = None

    regency_id: UUID = Field(description="Tenant: the kabupaten/kota the fact belongs to")
    occurred_at: datetime = Field(description="When the fact happened (aware, Asia/Jakarta or UTC)")

    def partition_key(self) -> str:
        """Kafka key: an internal UUID (ASN or unit), never NIP/NIK, so one entity's events stay ordered."""
        return str(getattr(self, self.key_field))

    def subject(self) -> str | None:
        if self.subject_field is None:
            return None
        value: Any = getattr(self, self.subject_field)
        return None if value is None else str(value)
