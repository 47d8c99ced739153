"""Issue 11 item 4: keyed pseudonyms of internal ids for public events, with key rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kinerja_shared.contracts.public import PerformancePublished
from kinerja_shared.pseudonym import (
    DEV_KEYS,
    PseudonymKeyError,
    PseudonymSettings,
    new_key_spec,
    parse_keys,
    pseudonymizer_from,
)

OLD = "2026a:" + base64.b64encode(bytes(range(32))).decode()
NEW = "2027a:" + base64.b64encode(bytes(range(100, 132))).decode()


def _p(spec: str, environment: str = "test"):  # type: ignore[no-untyped-def]
    return pseudonymizer_from(PseudonymSettings(keys=spec, environment=environment))


def test_pseudonym_is_keyed_hmac_and_fits_the_public_contract() -> None:
    p = _p(OLD)
    asn = uuid.uuid4()
    value = p.pseudonym(asn)
    expected = hmac.new(bytes(range(32)), b"kinerja.pseudonym.v1:asn:" + asn.bytes, hashlib.sha256).hexdigest()
    assert value == expected
    assert value != hashlib.sha256(asn.bytes).hexdigest()  # not a plain hash anyone with the id could recompute
    assert str(asn).replace("-", "") not in value
    event = PerformancePublished(
        regency_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        pseudonym=value,
        period="2026-Q3",
        predikat="Baik",
        unit_kind="puskesmas",
    )
    assert event.pseudonym == value


def test_kinds_and_keys_separate_pseudonyms() -> None:
    p = _p(f"{NEW},{OLD}")
    asn = uuid.uuid4()
    assert p.current.kid == "2027a"
    assert p.pseudonym(asn) != p.pseudonym(asn, kid="2026a")
    assert p.pseudonym(asn, kind="asn") != p.pseudonym(asn, kind="unit")


@settings(max_examples=200, deadline=None)
@given(st.uuids(), st.uuids())
def test_stable_per_subject_and_distinct_between_subjects(a: uuid.UUID, b: uuid.UUID) -> None:
    p = _p(OLD)
    assert p.pseudonym(a) == p.pseudonym(a)
    assert (p.pseudonym(a) == p.pseudonym(b)) == (a == b)


def test_rotation_links_old_to_new_and_resolves_both() -> None:
    before = _p(OLD)
    during = _p(f"{NEW},{OLD}")  # the new key in front, the old one kept for the rotation window
    after = _p(NEW)
    people = [uuid.uuid4() for _ in range(5)]
    published_before = {a: before.pseudonym(a) for a in people}
    links = list(during.rotation_links(people, old_kid="2026a"))
    assert [link.old for link in links] == [published_before[a] for a in people]
    assert [link.new for link in links] == [after.pseudonym(a) for a in people]
    # while both keys are configured, a pseudonym from either resolves to the person and says which key
    assert during.resolve(published_before[people[2]], people) == (people[2], "2026a")
    assert during.resolve(after.pseudonym(people[3]), people) == (people[3], "2027a")
    # once the old key is gone, old pseudonyms cannot be linked back any more
    assert after.resolve(published_before[people[2]], people) is None
    assert during.resolve("not-a-pseudonym", people) is None
    with pytest.raises(PseudonymKeyError):
        list(during.rotation_links(people, old_kid="2027a"))


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("", "must be set in production"),
        (DEV_KEYS, "weak or development"),
        ("k1:" + base64.b64encode(b"\x00" * 32).decode(), "weak"),
        ("k1:" + base64.b64encode(b"short").decode(), "at least 32"),
        ("k1:not base64!", "not valid base64"),
        ("k1", "kid:base64key"),
        (f"{OLD},{OLD}", "duplicate"),
    ],
)
def test_production_refuses_missing_weak_or_malformed_keys(spec: str, reason: str) -> None:
    with pytest.raises(PseudonymKeyError, match=reason):
        _p(spec, environment="production")


def test_development_falls_back_to_the_public_dev_key_and_secret_never_prints() -> None:
    p = _p("", environment="development")
    assert p.current.kid == "dev"
    assert base64.b64encode(p.current.secret).decode() not in repr(p.keys)
    assert "KINERJA_PSEUDONYM_KEYS" in PseudonymSettings.model_fields["keys"].validation_alias.choices  # type: ignore[union-attr]


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINERJA_PSEUDONYM_KEYS", f"{NEW},{OLD}")
    monkeypatch.setenv("KINERJA_ENV", "production")
    p = pseudonymizer_from(PseudonymSettings())
    assert [k.kid for k in p.keys] == ["2027a", "2026a"]
    assert "2027a" not in str(PseudonymSettings().keys)  # SecretStr hides the value


def test_new_key_command_makes_a_usable_production_key() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kinerja_shared.pseudonym", "new-key", "2028a"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()
    [key] = parse_keys(out)
    assert key.kid == "2028a" and len(key.secret) == 32
    assert _p(out, environment="production").current.kid == "2028a"
    assert new_key_spec("x") != new_key_spec("x")


def test_evaluations_public_events_use_the_configured_keys_and_rotate_per_regency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Evaluation publishes `PerformancePublished.pseudonym` via `pseudonymizer_from(PseudonymSettings())` with the
    regency in the HMAC kind (`asn.<regency_id>`): the rotation link table is made per regency with that kind."""
    from kinerja_evaluation.service import followup_common as fc

    regency, other = uuid.uuid4(), uuid.uuid4()
    people = [uuid.uuid4() for _ in range(4)]
    try:
        monkeypatch.setenv("KINERJA_PSEUDONYM_KEYS", OLD)
        fc.pseudonymizer.cache_clear()
        published_before = {a: fc.asn_pseudonym(fc.pseudonymizer(), regency, a) for a in people}
        assert published_before[people[0]] == _p(OLD).pseudonym(people[0], kind=f"asn.{regency}")
        monkeypatch.setenv("KINERJA_PSEUDONYM_KEYS", f"{NEW},{OLD}")
        fc.pseudonymizer.cache_clear()
        during = fc.pseudonymizer()
        published_after = {a: fc.asn_pseudonym(during, regency, a) for a in people}
        assert published_after[people[0]] == _p(NEW).pseudonym(people[0], kind=f"asn.{regency}")
        links = list(during.rotation_links(people, old_kid="2026a", kind=f"asn.{regency}"))
        assert [(link.old, link.new) for link in links] == [(published_before[a], published_after[a]) for a in people]
        # the default kind, or another regency's, would hand the agency a table that matches nothing
        wrong = {link.old for link in during.rotation_links(people, old_kid="2026a")}
        wrong |= {link.old for link in during.rotation_links(people, old_kid="2026a", kind=f"asn.{other}")}
        assert not wrong & set(published_before.values())
        assert during.resolve(published_before[people[1]], people, kind=f"asn.{regency}") == (people[1], "2026a")
    finally:
        monkeypatch.delenv("KINERJA_PSEUDONYM_KEYS", raising=False)
        fc.pseudonymizer.cache_clear()
