"""Event contracts: importing this package registers every event type."""

from kinerja_shared.contracts import activity, evaluation, feedback, notification, org, public, score
from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.envelope import Envelope
from kinerja_shared.contracts.registry import all_types, model_for

__all__ = [
    "Envelope",
    "Event",
    "activity",
    "all_types",
    "evaluation",
    "feedback",
    "model_for",
    "notification",
    "org",
    "public",
    "score",
]
