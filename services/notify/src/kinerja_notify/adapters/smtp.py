"""SMTP client (aiosmtplib): a small pool of kept-open connections, STARTTLS/implicit TLS and auth per settings."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime, formataddr, getaddresses, parseaddr

import aiosmtplib

from kinerja_notify.service.ports import OutgoingMail, SendOutcome
from kinerja_notify.settings import NotifySettings
from kinerja_shared.logging import get_logger

log = get_logger(__name__)


def _header_text(value: str) -> str:
    """RFC 2047 only when needed (Indonesian subjects are mostly ASCII); no CR/LF can ride along."""
    value = " ".join(value.split())
    if value.isascii():
        return value
    return Header(value, "utf-8").encode()


def _b64(text: str) -> str:
    return base64.encodebytes(text.encode()).decode().replace("\n", "\r\n")


def build_message(mail: OutgoingMail, sender: str, list_unsubscribe: str | None = None) -> bytes:
    """The MIME bytes: multipart/alternative, plain text then HTML, UTF-8 in base64.

    Written out directly: the `email` package's generator costs ~4 ms of CPU per message, which alone
    would cap a worker near 200 e-mails/s.
    """
    name, addr = parseaddr(sender)
    boundary = f"=_kinerja_{uuid.uuid4().hex}"
    lines = [
        f"From: {formataddr((name, addr), charset='utf-8')}",
        f"To: {_header_text(mail.to)}",
        f"Subject: {_header_text(mail.subject)}",
        f"Date: {format_datetime(datetime.now(UTC))}",
        f"Message-ID: {_header_text(mail.message_id)}",
        "MIME-Version: 1.0",
        "Auto-Submitted: auto-generated",  # RFC 3834: out-of-office replies should not answer
    ]
    if list_unsubscribe:
        lines.append(f"List-Unsubscribe: <{_header_text(list_unsubscribe)}>")
    lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
    for ctype, text in (("text/plain", mail.text), ("text/html", mail.html)):
        lines += ["", f"--{boundary}", f"Content-Type: {ctype}; charset=utf-8", "Content-Transfer-Encoding: base64", ""]
        lines.append(_b64(text).rstrip("\r\n"))
    lines += ["", f"--{boundary}--", ""]
    return "\r\n".join(lines).encode()


def sender_domain(sender: str) -> str:
    """The domain of the From address, for Message-IDs."""
    addr = getaddresses([sender])[0][1]
    return addr.rpartition("@")[2] or "kinerja.local"


class SmtpSender:
    """Sends over up to `connections` SMTP sessions at once, reusing each for many messages."""

    def __init__(self, settings: NotifySettings) -> None:
        self._s = settings
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(settings.email_connections)
        self.sender = settings.mail_from
        self.envelope_from = getaddresses([settings.mail_from])[0][1] or "noreply@kinerja.local"

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self._s
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_tls,
            start_tls=s.smtp_starttls,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            timeout=s.smtp_timeout_s,
        )
        await client.connect()
        return client

    async def send(self, mail: OutgoingMail, list_unsubscribe: str | None = None) -> SendOutcome:
        """One message; connection trouble is a transient failure (retried later), 5xx a permanent one."""
        data = build_message(mail, self.sender, list_unsubscribe)
        async with self._slots:
            client = self._idle.pop() if self._idle else None
            try:
                if client is None or not client.is_connected:
                    client = await self._connect()
                _, response = await client.sendmail(self.envelope_from, [mail.to], data)
            except aiosmtplib.SMTPRecipientsRefused as e:
                r = e.recipients[0]
                return self._keep(client, SendOutcome(False, r.code >= 500, r.code, r.message))
            except (
                aiosmtplib.SMTPServerDisconnected,
                aiosmtplib.SMTPConnectError,
                aiosmtplib.SMTPTimeoutError,
                OSError,
            ) as e:
                self._drop(client)
                return SendOutcome(False, False, None, f"{type(e).__name__}: {e}"[:500])
            except aiosmtplib.SMTPResponseException as e:
                return self._keep(client, SendOutcome(False, e.code >= 500, e.code, e.message))
            except aiosmtplib.SMTPException as e:
                self._drop(client)
                return SendOutcome(False, False, None, f"{type(e).__name__}: {e}"[:500])
            self._idle.append(client)
            return SendOutcome(True, False, 250, response[:500])

    def _keep(self, client: aiosmtplib.SMTP | None, outcome: SendOutcome) -> SendOutcome:
        if client is not None and client.is_connected:
            self._idle.append(client)  # the session survives a refused recipient (RSET is implicit next MAIL)
        return outcome

    def _drop(self, client: aiosmtplib.SMTP | None) -> None:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    async def send_many(self, mails: Sequence[OutgoingMail], list_unsubscribe: str | None = None) -> list[SendOutcome]:
        return list(await asyncio.gather(*(self.send(m, list_unsubscribe) for m in mails)))

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for c in idle:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(c.quit(), 2)
            with contextlib.suppress(Exception):
                c.close()


__all__ = ["OutgoingMail", "SendOutcome", "SmtpSender", "build_message", "sender_domain"]
