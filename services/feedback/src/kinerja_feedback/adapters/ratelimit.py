"""Per-source token buckets for the public forms (in the API process; each replica limits on its own)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


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
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, source: str) -> bool:
        now = self._clock()
        b = self._buckets.get(source)
        if b is None:
            if len(self._buckets) >= self._max:
                self._sweep(now)
            b = self._buckets[source] = _Bucket(self._burst, now)
        else:
            b.tokens = min(self._burst, b.tokens + (now - b.at) * self._rate)
            b.at = now
        if b.tokens >= 1.0:
            b.tokens -= 1.0
            return True
        return False

    def retry_after(self, source: str) -> int:
        """Whole seconds until the source has a token again (for the Retry-After header)."""
        b = self._buckets.get(source)
        if b is None or b.tokens >= 1.0:
            return 0
        return max(1, int((1.0 - b.tokens) / self._rate + 0.999))

    def _sweep(self, now: float) -> None:
        # full buckets carry no information; drop them (and, if still too many, the oldest half)
        full_after = self._burst / self._rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.at < full_after}
        if len(self._buckets) >= self._max:
            keep = sorted(self._buckets.items(), key=lambda kv: kv[1].at)[len(self._buckets) // 2 :]
            self._buckets = dict(keep)
