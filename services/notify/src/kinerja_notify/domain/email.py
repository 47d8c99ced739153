"""E-mail texts (plain + HTML) for one notification or a daily digest; stdlib only, escaped by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from kinerja_notify.domain.messages import Message


@dataclass(frozen=True, slots=True)
class EmailContent:
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class DigestItem:
    title: str
    body: str
    url: str


_STYLE = "font-family:system-ui,Arial,sans-serif;font-size:16px;line-height:1.5;color:#1b1f24;max-width:36rem"


def _footer_text(settings_url: str) -> str:
    return f"\n--\nKinerja — manajemen kinerja ASN\nAtur pemberitahuan e-mail: {settings_url}\n"


def _footer_html(settings_url: str) -> str:
    return (
        '<hr><p style="font-size:13px;color:#59636e">Kinerja — manajemen kinerja ASN<br>'
        f'<a href="{escape(settings_url)}">Atur pemberitahuan e-mail</a></p>'
    )


def compose(recipient_name: str, message: Message, url: str, settings_url: str) -> EmailContent:
    """One notification as an e-mail: greeting, the message, one button to the page that explains it."""
    greeting = f"Yth. {recipient_name}," if recipient_name else "Yth. Bapak/Ibu,"
    text = f"{greeting}\n\n{message.body}\n\nBuka: {url}\n" + _footer_text(settings_url)
    html = (
        f'<!doctype html><html lang="id"><body><div style="{_STYLE}">'
        f'<p>{escape(greeting)}</p><h2 style="font-size:18px">{escape(message.title)}</h2>'
        f"<p>{escape(message.body)}</p>"
        f'<p><a href="{escape(url)}" style="display:inline-block;padding:10px 16px;background:#0b6bcb;'
        f'color:#fff;border-radius:6px;text-decoration:none">Buka di Kinerja</a></p>'
        f"{_footer_html(settings_url)}</div></body></html>"
    )
    return EmailContent(f"[Kinerja] {message.title}", text, html)


def compose_digest(recipient_name: str, items: Sequence[DigestItem], settings_url: str) -> EmailContent:
    """The daily digest: every item queued for one person since the last one, oldest first."""
    greeting = f"Yth. {recipient_name}," if recipient_name else "Yth. Bapak/Ibu,"
    n = len(items)
    lines = [f"{greeting}\n", f"Ringkasan harian: {n} pemberitahuan baru.\n"]
    cells = []
    for it in items:
        lines.append(f"• {it.title}\n  {it.body}\n  {it.url}\n")
        cells.append(
            f'<li style="margin-bottom:12px"><a href="{escape(it.url)}"><strong>{escape(it.title)}</strong></a>'
            f"<br>{escape(it.body)}</li>"
        )
    html = (
        f'<!doctype html><html lang="id"><body><div style="{_STYLE}"><p>{escape(greeting)}</p>'
        f"<p>Ringkasan harian: {n} pemberitahuan baru.</p><ul>{''.join(cells)}</ul>"
        f"{_footer_html(settings_url)}</div></body></html>"
    )
    return EmailContent(
        f"[Kinerja] Ringkasan harian: {n} pemberitahuan", "\n".join(lines) + _footer_text(settings_url), html
    )
