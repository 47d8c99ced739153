"""What the dispatchers need from the outside world; adapters (SMTP, HTTP) satisfy these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    to: str
    subject: str
    text: str
    html: str
    message_id: str  # <id@domain>, stable per delivery: a resend after a crash carries the same one


@dataclass(frozen=True, slots=True)
class SendOutcome:
    ok: bool
    permanent: bool = False  # 5xx: the address or message is refused for good (a bounce)
    code: int | None = None
    message: str = ""


class MailSender(Protocol):
    async def send_many(self, mails: Sequence[OutgoingMail], list_unsubscribe: str | None = None) -> list[SendOutcome]:
        """Send each message; one outcome per message, in order."""
        ...


@dataclass(frozen=True, slots=True)
class PostOutcome:
    status: int | None  # HTTP status, None when no response came (timeout, refused, SSRF guard)
    error: str | None
    response: str  # first bytes of the body, for the delivery log
    duration_ms: int
    retry_after_s: float | None = None


class WebhookPoster(Protocol):
    async def post(self, url: str, body: str, headers: Mapping[str, str]) -> PostOutcome:
        """POST one signed body; never raises for network trouble (it is an outcome)."""
        ...
