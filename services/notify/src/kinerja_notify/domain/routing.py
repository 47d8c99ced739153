"""Who hears about a notification and how: Table R1 of DOMAIN.md as data, plus channel preferences.

`asn_id` of a NotificationRequested is the ASN the notification is *about* (the subject); the audiences below
say who is told. In-app is always on; e-mail is per type: off, instant, or in the daily digest, chosen by the
user, else by the regency's default, else by the type's default here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Final
from uuid import UUID
from zoneinfo import ZoneInfo

from kinerja_notify.domain.errors import UnknownKind

JAKARTA: Final = ZoneInfo("Asia/Jakarta")


class Audience(StrEnum):
    """A role relative to the subject ASN; the order is precedence when one person holds several."""

    SELF = "self"  # the ASN the notification is about
    SUPERIOR = "superior"  # atasan langsung, or the acting one (Plt/Plh) on that day
    UNIT_HEAD = "unit_head"  # head of the subject's unit
    HR_ADMIN = "hr_admin"  # the regency's BKPSDM admins registered in notify


class EmailMode(StrEnum):
    OFF = "off"
    INSTANT = "instant"
    DIGEST = "digest"  # once a day, at DIGEST_HOUR Asia/Jakarta


EMAIL_MODE_LABELS: Final = {
    EmailMode.OFF: "Tidak dikirim",
    EmailMode.INSTANT: "Segera",
    EmailMode.DIGEST: "Ringkasan harian",
}


@dataclass(frozen=True, slots=True)
class Route:
    """One row of Table R1 as notify delivers it."""

    kind: str
    label: str  # shown on the preferences page
    audiences: tuple[Audience, ...]
    default_email: EmailMode
    default_link: str


# DOMAIN.md Table R1 — follow-up triggers and who is notified ("result" column)
R1: Final[Mapping[str, Route]] = {
    r.kind: r
    for r in (
        # "a subordinate's activity waits > 2 working days → superior notified"
        Route(
            "verification_pending", "Kegiatan menunggu verifikasi", (Audience.SUPERIOR,), EmailMode.DIGEST, "/activity/"
        ),
        # "projected capaian at period end < 90% at mid-period → ASN and superior notified"
        Route(
            "target_at_risk",
            "Target kinerja berisiko",
            (Audience.SELF, Audience.SUPERIOR),
            EmailMode.INSTANT,
            "/evaluation/",
        ),
        # "pembinaan plan opened …, ASN + superior + BKPSDM notified"
        Route(
            "mentoring_needed",
            "Pembinaan kinerja",
            (Audience.SELF, Audience.SUPERIOR, Audience.HR_ADMIN),
            EmailMode.INSTANT,
            "/evaluation/",
        ),
        # "nominated; certificate … after BKPSDM approval": the ASN, the superior, and BKPSDM who approves
        Route(
            "award_candidate",
            "Kandidat penghargaan",
            (Audience.SELF, Audience.SUPERIOR, Audience.HR_ADMIN),
            EmailMode.INSTANT,
            "/evaluation/",
        ),
        # "BKPSDM case opened; no automatic sanction": BKPSDM and the unit head, not broadcast to the ASN
        Route(
            "sanction_review",
            "Peninjauan kasus kinerja",
            (Audience.HR_ADMIN, Audience.UNIT_HEAD),
            EmailMode.INSTANT,
            "/evaluation/",
        ),
        # "ASN sees result, explanation and objection window"
        Route("evaluation_finalized", "Hasil evaluasi final", (Audience.SELF,), EmailMode.INSTANT, "/evaluation/"),
    )
}


def route_for(kind: str) -> Route:
    """The R1 row of `kind`, or UnknownKind (the request goes to the DLQ with that reason)."""
    try:
        return R1[kind]
    except KeyError:
        raise UnknownKind(f"jenis notifikasi tidak dikenal: {kind!r}") from None


@dataclass(frozen=True, slots=True)
class Subject:
    """What the org read model knows of the subject ASN (all None when the ASN is not known yet)."""

    asn_id: UUID
    superior_id: UUID | None = None
    acting_superior_id: UUID | None = None  # valid on the notification's day; wins over superior_id
    unit_head_id: UUID | None = None


def recipients(route: Route, subject: Subject, hr_admins: Iterable[UUID]) -> dict[UUID, Audience]:
    """Each person to tell, once, with the audience they are told as (SELF before SUPERIOR before …).

    When none of the row's audiences resolves to anyone (e.g. the superior is not known yet), the regency's
    HR admins are told instead, so a follow-up never silently disappears.
    """
    admins = list(dict.fromkeys(hr_admins))
    found: dict[UUID, Audience] = {}

    def add(person: UUID | None, audience: Audience) -> None:
        if person is not None and person not in found:
            found[person] = audience

    wanted = set(route.audiences)
    for audience in Audience:  # precedence order
        if audience not in wanted:
            continue
        if audience is Audience.SELF:
            add(subject.asn_id, audience)
        elif audience is Audience.SUPERIOR:
            add(subject.acting_superior_id or subject.superior_id, audience)
        elif audience is Audience.UNIT_HEAD and subject.unit_head_id != subject.asn_id:
            add(subject.unit_head_id, audience)
        elif audience is Audience.HR_ADMIN:
            for a in admins:
                add(a, audience)
    if not found:
        for a in admins:
            add(a, Audience.HR_ADMIN)
    return found


def email_mode(
    kind: str, user: Mapping[str, EmailMode] | None = None, regency: Mapping[str, EmailMode] | None = None
) -> EmailMode:
    """The e-mail channel for one recipient: their own choice, else the regency default, else R1's default."""
    if user and kind in user:
        return user[kind]
    if regency and kind in regency:
        return regency[kind]
    return route_for(kind).default_email


DIGEST_HOUR: Final = 7  # the daily digest leaves at 07:00 WIB, before the working day starts


def digest_due(now: datetime, hour: int = DIGEST_HOUR) -> datetime:
    """When an item queued for the digest at `now` is sent: the next `hour`:00 Asia/Jakarta (aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(JAKARTA)
    due = datetime.combine(local.date(), time(hour), tzinfo=JAKARTA)
    if due <= local:
        due = datetime.combine(local.date() + timedelta(days=1), time(hour), tzinfo=JAKARTA)
    return due


def acting_on(assignments: Sequence[tuple[UUID, date, date]], day: date) -> UUID | None:
    """The acting superior (Plt/Plh) valid on `day`; the latest-starting one if assignments overlap."""
    valid = [a for a in assignments if a[1] <= day <= a[2]]
    return max(valid, key=lambda a: a[1])[0] if valid else None


def safe_link(link: str | None, default: str) -> str:
    """A deep link inside Kinerja: a path such as /evaluation/pembinaan; anything else falls back to default.

    An absolute or protocol-relative URL from an event would make the inbox an open redirect.
    """
    if link and link.startswith("/") and not link.startswith("//") and "\\" not in link and "\n" not in link:
        return link
    return default
