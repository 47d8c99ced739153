"""CloudEvents 1.0 envelope in Kafka binary content mode: attributes as ce_* headers, data as the value."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from pydantic import ValidationError

from kinerja_shared.contracts.base import Event
from kinerja_shared.errors import PoisonMessage

SPECVERSION: Final = "1.0"
CONTENT_TYPE: Final = "application/json"
Headers = Sequence[tuple[str, bytes]]

_REQUIRED: Final = frozenset({"ce_id", "ce_source", "ce_type", "ce_specversion"})


@dataclass(slots=True)  # not frozen: frozen __init__ costs ~3 µs per record on the consumer's hot path
class Envelope:
    """One CloudEvent as it travels on Kafka; `data` is the JSON body. Treat as immutable."""

    id: str
    source: str
    type: str
    data: bytes
    key: str
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    subject: str | None = None
    regency: str | None = None
    traceparent: str | None = None
    specversion: str = SPECVERSION
    datacontenttype: str = CONTENT_TYPE

    @classmethod
    def wrap(cls, event: Event, *, event_id: uuid.UUID | None = None, traceparent: str | None = None) -> Envelope:
        """Envelope for a new fact; the id is the dedupe key consumers keep in their inbox."""
        return cls(
            id=str(event_id or uuid.uuid4()),
            source=event.source,
            type=event.type,
            data=event.model_dump_json().encode(),
            key=event.partition_key(),
            time=event.occurred_at,
            subject=event.subject(),
            regency=str(event.regency_id),
            traceparent=traceparent,
        )

    def headers(self) -> list[tuple[str, bytes]]:
        """Kafka headers per the CloudEvents Kafka protocol binding (binary mode)."""
        h = [
            ("ce_specversion", self.specversion.encode()),
            ("ce_id", self.id.encode()),
            ("ce_source", self.source.encode()),
            ("ce_type", self.type.encode()),
            ("ce_time", _rfc3339(self.time).encode()),
            ("content-type", self.datacontenttype.encode()),
        ]
        if self.subject is not None:
            h.append(("ce_subject", self.subject.encode()))
        if self.regency is not None:
            h.append(("ce_regency", self.regency.encode()))
        if self.traceparent is not None:
            h.append(("ce_traceparent", self.traceparent.encode()))
        return h

    @classmethod
    def from_kafka(cls, key: bytes | None, value: bytes | None, headers: Headers) -> Envelope:
        """Decode a record; anything that is not a CloudEvent we can read is poison."""
        try:
            hs = {k: v.decode() for k, v in headers if k[:3] == "ce_" or k == "content-type"}
        except UnicodeDecodeError as e:
            raise PoisonMessage("undecodable", f"header is not UTF-8: {e}") from e
        if not hs.keys() >= _REQUIRED:
            missing = sorted(_REQUIRED - hs.keys())
            raise PoisonMessage("not_cloudevent", f"missing headers {', '.join(missing)}")
        if hs["ce_specversion"] != SPECVERSION:
            raise PoisonMessage("unsupported_specversion", hs["ce_specversion"])
        if value is None:
            raise PoisonMessage("undecodable", "empty value")
        raw_time = hs.get("ce_time")
        try:
            time = datetime.fromisoformat(raw_time) if raw_time is not None else None  # 3.11 reads "Z"
        except ValueError as e:
            raise PoisonMessage("undecodable", f"bad ce_time {raw_time!r}") from e
        return cls(
            id=hs["ce_id"],
            source=hs["ce_source"],
            type=hs["ce_type"],
            data=value,
            key=key.decode(errors="replace") if key is not None else "",
            time=time or datetime.now(UTC),
            subject=hs.get("ce_subject"),
            regency=hs.get("ce_regency"),
            traceparent=hs.get("ce_traceparent"),
            datacontenttype=hs.get("content-type", CONTENT_TYPE),
        )

    def event_uuid(self) -> uuid.UUID:
        try:
            return uuid.UUID(self.id)
        except ValueError as e:
            raise PoisonMessage("bad_event_id", f"ce_id is not a UUID: {self.id!r}") from e

    def decode(self) -> Event:
        """The typed event, validated against its registered model."""
        from kinerja_shared.contracts.registry import model_for

        model = model_for(self.type)
        if not self.datacontenttype.startswith(CONTENT_TYPE):
            raise PoisonMessage("unsupported_content_type", self.datacontenttype)
        try:
            return model.model_validate_json(self.data)
        except ValidationError as e:
            if any(err["type"] == "json_invalid" for err in e.errors()):
                raise PoisonMessage("undecodable", f"value is not JSON: {e.errors()[0]['msg']}") from e
            raise PoisonMessage("schema_invalid", _summary(e)) from e


def _rfc3339(t: datetime) -> str:
    if t.tzinfo is None:
        raise ValueError("event time must be timezone-aware")
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _summary(e: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in e.errors()[:5]]
    return "; ".join(parts)
