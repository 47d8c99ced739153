"""Webhook rules: which targets we may call (SSRF guard), retry schedule, and the endpoint's circuit."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from kinerja_notify.domain.errors import UnsafeWebhookTarget


def parse_target(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable URL shape: http(s), a host, no credentials, no fragment."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as e:
        raise UnsafeWebhookTarget(f"URL tidak sah: {e}") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeWebhookTarget("URL webhook harus memakai http atau https")
    if not parts.hostname:
        raise UnsafeWebhookTarget("URL webhook harus memuat nama host")
    if parts.username or parts.password:
        raise UnsafeWebhookTarget("URL webhook tidak boleh memuat nama pengguna atau kata sandi")
    if parts.fragment:
        raise UnsafeWebhookTarget("URL webhook tidak boleh memuat fragmen (#)")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address (not private, loopback, link-local, CGNAT, …)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_addresses(host: str, addresses: Iterable[str], *, allow_private: bool) -> None:
    """Refuse a target resolving to any non-public address (all of them must be public), unless allowed."""
    resolved = list(addresses)
    if not resolved:
        raise UnsafeWebhookTarget(f"nama host {host!r} tidak dapat di-resolve")
    if allow_private:
        return
    bad = [a for a in resolved if not is_public_address(a)]
    if bad:
        raise UnsafeWebhookTarget(
            f"{host!r} menunjuk ke alamat privat/loopback ({', '.join(sorted(set(bad)))}); tidak diizinkan"
        )


def retry_delay(attempt: int, *, base_s: float, max_s: float, jitter: float) -> float:
    """Seconds before retry number `attempt` (1 = first retry): base·2^(n-1), capped, "equal jitter".

    `jitter` in [0, 1) comes from the caller's random source; half the delay is fixed, half random, so
    endpoints that failed together do not all come back at once.
    """
    if attempt < 1:
        raise ValueError("attempt starts at 1")
    delay: float = min(max_s, base_s * 2.0 ** (attempt - 1))
    return delay / 2 + delay / 2 * jitter


@dataclass(frozen=True, slots=True)
class Circuit:
    """An endpoint's circuit: failures in a row, and until when it is paused (open)."""

    consecutive_failures: int = 0
    paused_until: datetime | None = None

    def is_open(self, now: datetime) -> bool:
        return self.paused_until is not None and self.paused_until > now

    def half_open(self, threshold: int, now: datetime) -> bool:
        """Pause over but the last results failed: let one delivery probe the endpoint."""
        return self.consecutive_failures >= threshold and not self.is_open(now)

    def after(self, outcomes: Sequence[bool], *, threshold: int, pause: timedelta, now: datetime) -> Circuit:
        """The circuit after these attempt outcomes (True = delivered), in order.

        A success closes it; `threshold` failures in a row open it for `pause`, and each failed probe
        after that doubles the pause (up to 24 h).
        """
        failures = self.consecutive_failures
        paused = self.paused_until
        opened = False
        for ok in outcomes:
            if ok:
                failures, paused, opened = 0, None, False
                continue
            if opened:
                continue  # the rest of a batch sent before the circuit opened are not probes
            failures += 1
            if failures >= threshold:
                factor = 2 ** min(failures - threshold, 8)
                paused = now + min(pause * factor, timedelta(hours=24))
                opened = True
        return Circuit(failures, paused)
