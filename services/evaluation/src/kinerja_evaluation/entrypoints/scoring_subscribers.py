"""The scoring engine's Kafka handler: one function for every fact it reads, so a whole batch is applied at once.

The runtime's dispatcher groups consecutive events by handler; one handler for all types keeps a mixed batch
(activity, attendance, feedback, evaluation and org facts interleaved) in a single set-based pass.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence

import asyncpg

from kinerja_evaluation.domain.scoring_rules import ImpossibleFact
from kinerja_evaluation.service.scoring_engine import SCORED_TYPES, apply_facts
from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.org import ActingSuperiorAssigned, AsnUpserted, RegencyUpserted, UnitUpserted
from kinerja_shared.errors import PermanentHandlerError
from kinerja_shared.messaging.consumer import BatchHandler, Received
from kinerja_shared.readmodels.org import apply_org_facts

ORG_TYPES: tuple[type[Event], ...] = (RegencyUpserted, UnitUpserted, AsnUpserted, ActingSuperiorAssigned)


async def on_scoring_facts(conn: asyncpg.Connection, batch: Sequence[Received]) -> None:
    """Org facts first (the shared org_* read model), then every scoring fact of the batch in one pass."""
    org = [r for r in batch if isinstance(r.event, ORG_TYPES)]
    if org:
        await apply_org_facts(conn, org)
    try:
        await apply_facts(conn, [r.event for r in batch], [r.event_id for r in batch])
    except ImpossibleFact as e:
        # alone (the consumer retries a failed batch event by event) this names the one impossible fact
        raise PermanentHandlerError(f"impossible fact: {e}") from e


def scoring_handlers() -> dict[type[Event], BatchHandler]:
    # wired once at startup: what is alive now (modules, settings, the app) lives as long as the process, so the
    # cyclic collector need not walk it again on every collection of a batch's garbage
    gc.freeze()
    return dict.fromkeys((*ORG_TYPES, *SCORED_TYPES), on_scoring_facts)
