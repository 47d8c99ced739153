"""Routing per DOMAIN.md Table R1 (who is notified) and the e-mail channel preferences."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from kinerja_notify.domain.errors import UnknownKind
from kinerja_notify.domain.routing import (
    JAKARTA,
    R1,
    Audience,
    EmailMode,
    Subject,
    acting_on,
    digest_due,
    email_mode,
    recipients,
    route_for,
    safe_link,
)

ASN, SUP, ACTING, HEAD, HR1, HR2 = (uuid.uuid4() for _ in range(6))
FULL = Subject(ASN, superior_id=SUP, unit_head_id=HEAD)


# Table R1, "result" column: who each trigger notifies
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("verification_pending", {SUP: Audience.SUPERIOR}),
        ("target_at_risk", {ASN: Audience.SELF, SUP: Audience.SUPERIOR}),
        (
            "mentoring_needed",
            {ASN: Audience.SELF, SUP: Audience.SUPERIOR, HR1: Audience.HR_ADMIN, HR2: Audience.HR_ADMIN},
        ),
        (
            "award_candidate",
            {ASN: Audience.SELF, SUP: Audience.SUPERIOR, HR1: Audience.HR_ADMIN, HR2: Audience.HR_ADMIN},
        ),
        ("sanction_review", {HEAD: Audience.UNIT_HEAD, HR1: Audience.HR_ADMIN, HR2: Audience.HR_ADMIN}),
        ("evaluation_finalized", {ASN: Audience.SELF}),
    ],
)
def test_table_r1_recipients(kind: str, expected: dict[uuid.UUID, Audience]) -> None:
    assert recipients(route_for(kind), FULL, [HR1, HR2]) == expected


def test_table_r1_has_exactly_the_six_triggers() -> None:
    assert set(R1) == {
        "verification_pending",
        "target_at_risk",
        "mentoring_needed",
        "award_candidate",
        "sanction_review",
        "evaluation_finalized",
    }


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(UnknownKind):
        route_for("lottery_won")


def test_acting_superior_wins_over_the_definitive_one() -> None:
    subject = Subject(ASN, superior_id=SUP, acting_superior_id=ACTING)
    assert recipients(route_for("verification_pending"), subject, []) == {ACTING: Audience.SUPERIOR}


def test_one_person_with_two_roles_is_told_once_as_the_first_role() -> None:
    # the superior is also a BKPSDM admin; the ASN heads their own unit (no "unit head" message to self)
    subject = Subject(ASN, superior_id=SUP, unit_head_id=ASN)
    assert recipients(route_for("mentoring_needed"), subject, [SUP, HR1]) == {
        ASN: Audience.SELF,
        SUP: Audience.SUPERIOR,
        HR1: Audience.HR_ADMIN,
    }
    assert recipients(route_for("sanction_review"), subject, [HR1]) == {HR1: Audience.HR_ADMIN}


def test_unknown_superior_falls_back_to_hr_admins() -> None:
    assert recipients(route_for("verification_pending"), Subject(ASN), [HR1]) == {HR1: Audience.HR_ADMIN}
    assert recipients(route_for("verification_pending"), Subject(ASN), []) == {}


def test_acting_on_picks_the_assignment_valid_that_day() -> None:
    spans = [(SUP, date(2026, 1, 1), date(2026, 3, 31)), (ACTING, date(2026, 3, 1), date(2026, 6, 30))]
    assert acting_on(spans, date(2026, 2, 1)) == SUP
    assert acting_on(spans, date(2026, 3, 15)) == ACTING  # overlap: the later appointment
    assert acting_on(spans, date(2026, 7, 1)) is None


def test_email_mode_user_then_regency_then_r1_default() -> None:
    assert email_mode("verification_pending") is EmailMode.DIGEST
    assert email_mode("mentoring_needed") is EmailMode.INSTANT
    regency = {"mentoring_needed": EmailMode.DIGEST}
    assert email_mode("mentoring_needed", None, regency) is EmailMode.DIGEST
    assert email_mode("mentoring_needed", {"mentoring_needed": EmailMode.OFF}, regency) is EmailMode.OFF
    assert email_mode("target_at_risk", {"mentoring_needed": EmailMode.OFF}, regency) is EmailMode.INSTANT


def test_digest_leaves_at_the_next_seven_oclock_jakarta() -> None:
    evening = datetime(2026, 11, 27, 20, 0, tzinfo=JAKARTA)
    assert digest_due(evening) == datetime(2026, 11, 28, 7, 0, tzinfo=JAKARTA)
    early = datetime(2026, 11, 27, 6, 59, tzinfo=JAKARTA)
    assert digest_due(early) == datetime(2026, 11, 27, 7, 0, tzinfo=JAKARTA)
    assert digest_due(datetime(2026, 11, 27, 0, 0, tzinfo=UTC)) == datetime(2026, 11, 28, 7, 0, tzinfo=JAKARTA)
    with pytest.raises(ValueError):
        digest_due(datetime(2026, 11, 27, 8, 0))  # noqa: DTZ001 - naive on purpose


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("/evaluation/pembinaan", "/evaluation/pembinaan"),
        ("https://evil.example/", "/x/"),
        ("//evil.example/", "/x/"),
        ("/\\evil.example", "/x/"),
        (None, "/x/"),
    ],
)
def test_deep_links_stay_inside_kinerja(link: str | None, expected: str) -> None:
    assert safe_link(link, "/x/") == expected
