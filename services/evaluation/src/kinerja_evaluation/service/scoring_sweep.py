"""Table R1 target_at_risk: from mid-period, the projected capaian at period end below 90% (**config**) notifies
the ASN and the superior (notify routes it). A worker job checks it on the clock, not per fact: the projection is
about time passing, and the deterministic id makes every later run a no-op for the same ASN and period."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg

from kinerja_evaluation.domain.capaian import DEFAULT_RULES, Direction
from kinerja_evaluation.domain.scoring_rules import IndicatorState, elapsed, hasil_capaian, period_label
from kinerja_evaluation.domain.skp import Periodicity, current_period
from kinerja_evaluation.domain.triggers import TriggerRules, projected_capaian, target_at_risk
from kinerja_evaluation.service.scoring_engine import EVALUATION_LINK, Request, _request
from kinerja_shared.db import ALL_REGENCIES, set_tenant
from kinerja_shared.logging import get_logger
from kinerja_shared.web import JAKARTA

log = get_logger(__name__)
MID_PERIOD = Decimal("0.5")


def projection(detail: dict[str, Any], share: Decimal) -> Decimal | None:
    """Projected hasil capaian at period end: confirmed indicators as they are, others extrapolated linearly."""
    states = []
    for i in detail.get("indicators", []):
        if i["confirmed"]:
            value = Decimal(i["capaian"])
        else:
            p = projected_capaian(Decimal(i["target"]), Decimal(i["progress"]), share, Direction(i["direction"]))
            if p is None:
                return None
            value = min(p, DEFAULT_RULES.cap)
        states.append(IndicatorState(rhk_id=i["rhk_id"], weight=Decimal(i["weight"]), capaian=value))
    return hasil_capaian(states)


async def sweep_targets(pool: asyncpg.Pool, today: date, *, page: int = 5000) -> int:
    """Request target_at_risk for every ASN whose current period is past its middle and projects below the bar."""
    periods = {current_period(today, p) for p in Periodicity}
    periods = {p for p in periods if elapsed(p, today) >= MID_PERIOD}
    staged = 0
    after: tuple[Any, ...] = ("00000000-0000-0000-0000-000000000000", "")
    while periods:
        async with pool.acquire() as conn, conn.transaction():
            await set_tenant(conn, ALL_REGENCIES)
            rows = await conn.fetch(
                """SELECT s.asn_id, s.period, s.regency_id, s.detail, c.at_risk_below
                   FROM scoring_score s LEFT JOIN scoring_config c USING (regency_id)
                   WHERE s.status = 'dihitung' AND s.period = ANY($1::text[])
                     AND (s.asn_id, s.period) > ($2::uuid, $3::text)
                   ORDER BY s.asn_id, s.period LIMIT $4""",
                sorted(periods),
                after[0],
                after[1],
                page,
            )
            if not rows:
                break
            after = (rows[-1]["asn_id"], rows[-1]["period"])
            requests = []
            for r in rows:
                value = projection(r["detail"], elapsed(r["period"], today))
                rules = TriggerRules(at_risk_below=r["at_risk_below"] or Decimal(90))
                if target_at_risk(value, rules):
                    requests.append(
                        Request(
                            "target_at_risk",
                            r["asn_id"],
                            r["regency_id"],
                            r["period"],
                            "",
                            {"periode": period_label(r["period"]), "proyeksi": str(value)},
                            EVALUATION_LINK,
                        )  # fmt: skip
                    )
            staged += await _request(conn, requests)
    return staged


async def run_sweeps(pool: asyncpg.Pool, stop: asyncio.Event, every_s: float = 3600.0) -> None:
    """The worker job: sweep now and then every hour until stopped; a failure is logged and retried next time."""
    from datetime import datetime

    while not stop.is_set():
        try:
            n = await sweep_targets(pool, datetime.now(JAKARTA).date())
            if n:
                log.info("target_at_risk requested", count=n)
        except Exception as e:  # noqa: BLE001 - a broken sweep must not stop the worker
            log.exception("target sweep failed", error=str(e))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)
