"""CloudEvents 1.0 Kafka binary mode: our envelope against the reference `cloudevents` package."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.v1.event import CloudEvent

from kinerja_shared.contracts import Envelope
from kinerja_shared.contracts.activity import ActivityReported
from kinerja_shared.errors import PoisonMessage


def _event() -> ActivityReported:
    return ActivityReported(
        regency_id=uuid.uuid4(),
        occurred_at=datetime(2026, 11, 29, 7, 30, tzinfo=UTC),
        activity_id=uuid.uuid4(),
        asn_id=uuid.uuid4(),
        activity_date=date(2026, 11, 29),
        minutes=90,
        output="Laporan pelayanan",
    )


def test_round_trip_keeps_every_attribute_and_the_data() -> None:
    ev = _event()
    env = Envelope.wrap(ev, traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    back = Envelope.from_kafka(env.key.encode(), env.data, env.headers())
    assert back == env
    assert back.decode() == ev
    assert env.key == str(ev.asn_id)  # keyed by the ASN's internal UUID
    assert env.subject == str(ev.activity_id)


def test_reference_library_reads_our_headers() -> None:
    ev = _event()
    env = Envelope.wrap(ev)
    msg = ce_kafka.KafkaMessage(headers=dict(env.headers()), key=env.key.encode(), value=env.data)
    ce = ce_kafka.from_binary_event(msg)
    assert ce.get_id() == env.id
    assert ce.get_type() == "id.kinerja.activity.reported.v1"
    assert ce.get_source() == "/kinerja/activity"
    assert ce.get_specversion() == "1.0"
    assert ce.get_time() == ev.occurred_at
    assert ce.get_subject() == str(ev.activity_id)
    assert ce.get_extension("regency") == str(ev.regency_id)
    assert ce.get_extension("partitionkey") == str(ev.asn_id)
    assert ce.get_data()["minutes"] == 90


def test_we_read_the_reference_librarys_messages() -> None:
    ev = _event()
    ce = CloudEvent(
        attributes={
            "type": ActivityReported.type,
            "source": "/kinerja/activity",
            "id": str(uuid.uuid4()),
            "time": ev.occurred_at,
            "datacontenttype": "application/json",
            "regency": str(ev.regency_id),
            "partitionkey": str(ev.asn_id),
        },
        data=ev.model_dump(mode="json"),
    )
    msg = ce_kafka.to_binary_event(ce)
    env = Envelope.from_kafka(
        msg.key if isinstance(msg.key, bytes) else (msg.key or "").encode(),
        msg.value,
        list(msg.headers.items()),
    )
    assert env.decode() == ev
    assert env.regency == str(ev.regency_id)


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        ([], b"{}", "not_cloudevent"),
        (
            [
                ("ce_id", b"x"),
                ("ce_source", b"/s"),
                ("ce_type", b"id.kinerja.nope.v1"),
                ("ce_specversion", b"1.0"),
            ],
            b"{}",
            "unknown_type",
        ),
        (
            [("ce_id", b"x"), ("ce_source", b"/s"), ("ce_type", b"t"), ("ce_specversion", b"0.3")],
            b"{}",
            "unsupported_specversion",
        ),
    ],
)
def test_poison_is_named(headers: list[tuple[str, bytes]], value: bytes, reason: str) -> None:
    with pytest.raises(PoisonMessage) as e:
        Envelope.from_kafka(b"k", value, headers).decode()
    assert e.value.reason == reason


def test_bad_json_and_schema_invalid_are_told_apart() -> None:
    env = Envelope.wrap(_event())
    with pytest.raises(PoisonMessage) as e:
        Envelope.from_kafka(b"k", b"{not json", env.headers()).decode()
    assert e.value.reason == "undecodable"
    with pytest.raises(PoisonMessage) as e:
        Envelope.from_kafka(b"k", env.data.replace(b'"minutes":90', b'"minutes":-5'), env.headers()).decode()
    assert e.value.reason == "schema_invalid"
    assert "minutes" in e.value.detail


def test_naive_times_are_refused() -> None:
    ev = _event().model_copy(update={"occurred_at": datetime(2026, 1, 1, 8, 0)})
    with pytest.raises(ValueError, match="timezone-aware"):
        Envelope.wrap(ev).headers()
