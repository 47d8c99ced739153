"""Registry of event types: type name → model → topic. Every published or consumed type is registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kinerja_shared.contracts.base import Event
from kinerja_shared.errors import PoisonMessage
from kinerja_shared.topics import BY_NAME

E = TypeVar("E", bound=Event)

_TYPES: dict[str, type[Event]] = {}


def event(
    type_: str, *, topic: str, source: str, key: str = "asn_id", subject: str | None = None
) -> Callable[[type[E]], type[E]]:
    """Register an event model under its versioned type name (e.g. id.kinerja.activity.reported.v1)."""

    def deco(cls: type[E]) -> type[E]:
        if not type_.startswith("id.kinerja.") or not type_.rsplit(".", 1)[-1].startswith("v"):
            raise ValueError(f"type {type_!r} must look like id.kinerja.<area>.<fact>.v<N>")
        if topic not in BY_NAME:
            raise ValueError(f"unknown topic {topic!r} for {type_}")
        if type_ in _TYPES and _TYPES[type_] is not cls:
            raise ValueError(f"event type {type_!r} registered twice")
        fields = cls.__pydantic_fields__
        if key not in fields or (subject is not None and subject not in fields):
            raise ValueError(f"{cls.__name__} lacks its key field {key!r} or subject field {subject!r}")
        cls.type = type_
        cls.topic = topic
        cls.source = source
        cls.key_field = key
        cls.subject_field = subject
        _TYPES[type_] = cls
        return cls

    return deco


def model_for(type_: str) -> type[Event]:
    try:
        return _TYPES[type_]
    except KeyError:
        raise PoisonMessage("unknown_type", f"no registered event type {type_!r}") from None


def all_types() -> dict[str, type[Event]]:
    """Every registered type (importing kinerja_shared.contracts registers them all)."""
    return dict(_TYPES)
