"""SSRF guard, retry schedule, the endpoint circuit and the per-domain e-mail rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kinerja_notify.domain.errors import UnsafeWebhookTarget
from kinerja_notify.domain.ratelimit import DomainRateLimiter
from kinerja_notify.domain.webhooks import Circuit, check_addresses, parse_target, retry_delay

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://bkn.go.id/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://user:pw@bkn.go.id/",
        "https:///x",
        "http://bkn.go.id:99999/",
    ],
)
def test_only_plain_http_urls(url: str) -> None:
    with pytest.raises(UnsafeWebhookTarget):
        parse_target(url)


def test_target_parts() -> None:
    assert parse_target("https://hook.bkn.go.id/kinerja") == ("https", "hook.bkn.go.id", 443)
    assert parse_target("http://10.0.0.1:8080/x") == ("http", "10.0.0.1", 8080)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "fd00::1",
    ],
)
def test_private_and_loopback_refused_in_production(address: str) -> None:
    with pytest.raises(UnsafeWebhookTarget, match="privat"):
        check_addresses("h", [address], allow_private=False)
    check_addresses("h", [address], allow_private=True)  # test/development mode


def test_every_resolved_address_must_be_public() -> None:
    check_addresses("bkn.go.id", ["103.7.12.10"], allow_private=False)
    with pytest.raises(UnsafeWebhookTarget):
        check_addresses("rebind.example", ["103.7.12.10", "127.0.0.1"], allow_private=False)
    with pytest.raises(UnsafeWebhookTarget, match="resolve"):
        check_addresses("nx.example", [], allow_private=True)


def test_backoff_doubles_with_jitter_and_caps() -> None:
    assert retry_delay(1, base_s=10, max_s=3600, jitter=0.0) == 5
    assert retry_delay(1, base_s=10, max_s=3600, jitter=0.999) == pytest.approx(10, abs=0.01)
    assert retry_delay(4, base_s=10, max_s=3600, jitter=0.5) == 60  # 80 s: 40 fixed + 20 random
    assert retry_delay(20, base_s=10, max_s=3600, jitter=1.0) == 3600


def test_circuit_opens_after_threshold_and_closes_on_success() -> None:
    pause = timedelta(minutes=5)
    c = Circuit().after([False] * 4, threshold=5, pause=pause, now=NOW)
    assert c.consecutive_failures == 4 and not c.is_open(NOW)
    c = c.after([False], threshold=5, pause=pause, now=NOW)
    assert c.is_open(NOW) and c.paused_until == NOW + pause
    later = NOW + pause
    assert c.half_open(5, later)
    c = c.after([False], threshold=5, pause=pause, now=later)  # a failed probe doubles the pause
    assert c.paused_until == later + 2 * pause
    c = c.after([True], threshold=5, pause=pause, now=later)
    assert c == Circuit(0, None)


def test_a_batch_of_failures_opens_the_circuit_once() -> None:
    pause = timedelta(minutes=5)
    c = Circuit().after([False] * 50, threshold=5, pause=pause, now=NOW)
    assert c == Circuit(5, NOW + pause)


def test_domain_rate_limit() -> None:
    lim = DomainRateLimiter(rate=2, burst=2)
    assert lim.take("bkpsdm.tebokab.go.id", 0.0) == 0
    assert lim.take("BKPSDM.tebokab.go.id", 0.0) == 0
    assert lim.take("bkpsdm.tebokab.go.id", 0.0) == pytest.approx(0.5)
    assert lim.take("gmail.com", 0.0) == 0  # other domains are not held back
    assert lim.take("bkpsdm.tebokab.go.id", 0.5) == 0
