"""SMTP client (aiosmtplib): a small pool of kept-open connections, STARTTLS/implicit TLS and auth per settings."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

import aiosmtplib

from kinerja_notify.service.ports import OutgoingMail, SendOutcome
from kinerja_notify.settings import NotifySettings
from kinerja_shared.logging import get_logger

log = get_logger(__name__)


def build_message(mail: OutgoingMail, sender: str, list_unsubscribe: str | None = None) -> EmailMessage:
    """HTML with a plain-text alternative, UTF-8, with the headers mail providers expect."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = mail.message_id
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies should not answer
    if list_unsubscribe:
        msg["List-Unsubscribe"] = f"<{list_unsubscribe}>"
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    return msg


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
        data = build_message(mail, self.sender, list_unsubscribe).as_bytes()
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
