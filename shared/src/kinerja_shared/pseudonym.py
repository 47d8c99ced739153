"""Keyed pseudonyms of internal UUIDs for events that leave the province (kinerja.public.*).

A pseudonym is HMAC-SHA256(key, label || uuid bytes) as 64 hex digits: stable for one key, so an agency can
follow one ASN across periods, but neither reversible nor linkable to the internal id without the key
(UU PDP 27/2022 art. 16: pseudonymisation). A plain hash of the UUID would not do: anyone holding an internal
id (it is in internal events) could recompute it.

Keys come from ``KINERJA_PSEUDONYM_KEYS`` as ``kid:base64key,kid:base64key`` with the current key first.
Rotation (docs/security.md): add the new key in front, keep the old one behind it for the rotation window,
hand each agency the old→new link table from `rotation_links`, then remove the old key. Pseudonyms made with
an old key can still be resolved back (`resolve`) while that key is configured.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final
from uuid import UUID

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from kinerja_shared.settings import Environment

MIN_KEY_BYTES: Final = 32  # HMAC-SHA256: a key shorter than the hash output weakens it
PSEUDONYM: Final = re.compile(r"^[0-9a-f]{64}$")
_KID: Final = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
# domain separation: the same key never yields the same value for different kinds of subject
_LABEL: Final = b"kinerja.pseudonym.v1:"
# a fixed, public key for development and tests only; refused in production
DEV_KEYS: Final = "dev:" + base64.b64encode(hashlib.sha256(b"kinerja development pseudonym key").digest()).decode()


class PseudonymKeyError(ValueError):
    """The configured keys are missing, malformed or too weak."""


@dataclass(frozen=True, slots=True)
class PseudonymKey:
    kid: str
    secret: bytes

    def __repr__(self) -> str:  # never print the secret
        return f"PseudonymKey(kid={self.kid!r}, bytes={len(self.secret)})"


@dataclass(frozen=True, slots=True)
class RotationLink:
    """One subject's pseudonym under the old key and the new one (what an agency needs to relink its data)."""

    old: str
    new: str


class Pseudonymizer:
    """Pseudonyms with the current key; resolution and rotation links over every configured key."""

    def __init__(self, keys: Sequence[PseudonymKey]) -> None:
        if not keys:
            raise PseudonymKeyError("at least one pseudonym key is required")
        kids = [k.kid for k in keys]
        if len(set(kids)) != len(kids):
            raise PseudonymKeyError(f"duplicate pseudonym key ids: {kids}")
        secrets = [k.secret for k in keys]
        if len(set(secrets)) != len(secrets):
            raise PseudonymKeyError("two key ids share one secret")
        self.keys: tuple[PseudonymKey, ...] = tuple(keys)
        self._by_kid = {k.kid: k for k in keys}

    @property
    def current(self) -> PseudonymKey:
        return self.keys[0]

    def key(self, kid: str) -> PseudonymKey:
        try:
            return self._by_kid[kid]
        except KeyError:
            raise PseudonymKeyError(f"no pseudonym key {kid!r} configured") from None

    def pseudonym(self, subject_id: UUID, *, kid: str | None = None, kind: str = "asn") -> str:
        """64 hex digits for `subject_id` under the current key (or `kid`); `kind` separates subject types."""
        key = self.current if kid is None else self.key(kid)
        return _hmac(key.secret, kind, subject_id)

    def all_pseudonyms(self, subject_id: UUID, *, kind: str = "asn") -> dict[str, str]:
        """The subject's pseudonym under every configured key, by key id."""
        return {k.kid: _hmac(k.secret, kind, subject_id) for k in self.keys}

    def resolve(self, pseudonym: str, candidates: Iterable[UUID], *, kind: str = "asn") -> tuple[UUID, str] | None:
        """(subject id, key id) of the candidate whose pseudonym under any configured key is `pseudonym`.

        For a data subject's access request or an agency's query about a published record; linear in the
        candidates (callers narrow them first, e.g. to one regency and period).
        """
        if not PSEUDONYM.match(pseudonym):
            return None
        for subject_id in candidates:
            for k in self.keys:
                if hmac.compare_digest(_hmac(k.secret, kind, subject_id), pseudonym):
                    return subject_id, k.kid
        return None

    def rotation_links(
        self, subject_ids: Iterable[UUID], *, old_kid: str, new_kid: str | None = None, kind: str = "asn"
    ) -> Iterator[RotationLink]:
        """old → new pseudonym for each subject: the link table given to agencies when a key is rotated."""
        old = self.key(old_kid)
        new = self.current if new_kid is None else self.key(new_kid)
        if old.kid == new.kid:
            raise PseudonymKeyError("old and new key are the same")
        for subject_id in subject_ids:
            yield RotationLink(_hmac(old.secret, kind, subject_id), _hmac(new.secret, kind, subject_id))


def _hmac(secret: bytes, kind: str, subject_id: UUID) -> str:
    msg = _LABEL + kind.encode() + b":" + subject_id.bytes
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()


def parse_keys(spec: str) -> list[PseudonymKey]:
    """``kid:base64key,kid:base64key`` (current first) → keys; malformed or short keys are refused."""
    keys = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        kid, sep, encoded = part.partition(":")
        if not sep or not _KID.match(kid):
            raise PseudonymKeyError(f"pseudonym key entry must be 'kid:base64key' (kid [A-Za-z0-9_.-]), got {kid!r}")
        try:
            secret = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise PseudonymKeyError(f"pseudonym key {kid!r} is not valid base64") from None
        if len(secret) < MIN_KEY_BYTES:
            raise PseudonymKeyError(f"pseudonym key {kid!r} has {len(secret)} bytes; at least {MIN_KEY_BYTES} needed")
        keys.append(PseudonymKey(kid, secret))
    if not keys:
        raise PseudonymKeyError("no pseudonym keys given")
    return keys


def _weak(secret: bytes) -> bool:
    # a key of one repeated byte, or the published development key, protects nothing
    return len(set(secret)) < 8 or secret in {k.secret for k in parse_keys(DEV_KEYS)}


class PseudonymSettings(BaseSettings):
    """KINERJA_PSEUDONYM_KEYS (current first) and the environment, which decides whether a dev key may do."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    environment: Environment = Field(default="development", validation_alias=AliasChoices("KINERJA_ENV"))
    keys: SecretStr | None = Field(default=None, validation_alias=AliasChoices("KINERJA_PSEUDONYM_KEYS"))


def pseudonymizer_from(settings: PseudonymSettings) -> Pseudonymizer:
    """The configured pseudonymizer. Production refuses a missing, weak or development key; elsewhere a
    missing setting falls back to the public development key (pseudonyms are then not secret)."""
    spec = settings.keys.get_secret_value() if settings.keys is not None else ""
    if not spec.strip():
        if settings.environment == "production":
            raise PseudonymKeyError("KINERJA_PSEUDONYM_KEYS must be set in production")
        spec = DEV_KEYS
    keys = parse_keys(spec)
    if settings.environment == "production":
        weak = [k.kid for k in keys if _weak(k.secret)]
        if weak:
            raise PseudonymKeyError(f"weak or development pseudonym keys refused in production: {weak}")
    return Pseudonymizer(keys)


def new_key_spec(kid: str) -> str:
    """A fresh ``kid:base64key`` entry (32 random bytes) for the key rotation runbook."""
    import secrets

    if not _KID.match(kid):
        raise PseudonymKeyError(f"bad key id {kid!r}")
    return f"{kid}:{base64.b64encode(secrets.token_bytes(MIN_KEY_BYTES)).decode()}"


if __name__ == "__main__":  # python -m kinerja_shared.pseudonym new-key 2027a
    import sys

    if len(sys.argv) != 3 or sys.argv[1] != "new-key":
        sys.exit("usage: python -m kinerja_shared.pseudonym new-key <kid>")
    sys.stdout.write(new_key_spec(sys.argv[2]) + "\n")
