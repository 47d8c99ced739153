"""The public forms' per-source token bucket: burst, refill, Retry-After, and bounded memory without losing a flood."""

from __future__ import annotations

from kinerja_feedback.adapters.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_source_gets_its_burst_then_one_answer_per_refill_and_others_are_untouched() -> None:
    clock = Clock()
    limit = RateLimiter(rate_per_minute=30, burst=3, clock=clock)
    assert [limit.allow("203.0.113.66") for _ in range(5)] == [True, True, True, False, False]
    assert limit.retry_after("203.0.113.66") == 2  # 30 per minute: a token every 2 s
    assert limit.allow("10.0.0.1")  # another citizen is not affected
    clock.now = 2.0
    assert limit.allow("203.0.113.66") and not limit.allow("203.0.113.66")
    clock.now = 1000.0
    assert sum(limit.allow("203.0.113.66") for _ in range(10)) == 3  # refill stops at the burst


def test_memory_stays_bounded_and_an_active_flooder_is_not_the_one_forgotten() -> None:
    clock = Clock()
    limit = RateLimiter(rate_per_minute=6, burst=2, clock=clock, max_sources=100)
    assert limit.allow("abuser") and limit.allow("abuser") and not limit.allow("abuser")
    for i in range(1000):  # a viral QR code: many new addresses, the flooder keeps trying in between
        assert limit.allow(f"10.0.{i // 250}.{i % 250}")
        assert not limit.allow("abuser")
    assert len(limit) == 100
