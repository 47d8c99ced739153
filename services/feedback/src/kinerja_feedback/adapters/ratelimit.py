"""Per-source token buckets for the public forms, in the API process's memory (no database, no Redis).

O(1) per request and bounded memory: buckets live in an LRU (OrderedDict); at `max_sources` the least recently
seen source is forgotten, which only ever gives it a fresh, full bucket. Each API replica (and each uvicorn
worker) limits on its own, so a source's real budget is the per-replica budget times the replicas its requests
are spread over; the front door's balancing keeps that factor small and a flood still meets 429s on every one.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    """`allow(source)` spends one token; tokens refill at `rate_per_minute` up to `burst`."""

    def __init__(
        self,
        *,
        rate_per_minute: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_sources: int = 200_000,
    ) -> None:
        self._rate = rate_per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._max = max_sources
        # source -> [tokens, last refill]; a list, not a dataclass, to keep the hot path to a few opcodes
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()

    def allow(self, source: str) -> bool:
        now = self._clock()
        b = self._buckets.get(source)
        if b is None:
            if len(self._buckets) >= self._max:
                self._buckets.popitem(last=False)
            b = self._buckets[source] = [self._burst, now]
        else:
            self._buckets.move_to_end(source)
            b[0] = min(self._burst, b[0] + (now - b[1]) * self._rate)
            b[1] = now
        if b[0] >= 1.0:
            b[0] -= 1.0
            return True
        return False

    def retry_after(self, source: str) -> int:
        """Whole seconds until the source has a token again (for the Retry-After header)."""
        b = self._buckets.get(source)
        if b is None or b[0] >= 1.0:
            return 0
        return max(1, int((1.0 - b[0]) / self._rate + 0.999))

    def __len__(self) -> int:
        return len(self._buckets)
