"""Per-domain send rate for e-mail: a token bucket per recipient domain, time passed in."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DomainRateLimiter:
    """At most `rate` messages per second per domain, with bursts up to `burst` (one process's share).

    Big providers throttle or block senders that burst; a regency's own mail server is often small.
    """

    rate: float
    burst: float
    _tokens: dict[str, float] = field(default_factory=dict)
    _seen: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("rate must be > 0 and burst ≥ 1")

    def take(self, domain: str, now: float) -> float:
        """0.0 when a message to `domain` may go now (and counts it), else seconds until it may."""
        d = domain.lower()
        tokens = min(self.burst, self._tokens.get(d, self.burst) + (now - self._seen.get(d, now)) * self.rate)
        self._seen[d] = now
        if tokens >= 1:
            self._tokens[d] = tokens - 1
            return 0.0
        self._tokens[d] = tokens
        return (1 - tokens) / self.rate
