"""Keyed hashes of device tokens and citizen contacts: enough to refuse a repeat, useless to identify anyone."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets


def new_device_token() -> str:
    return secrets.token_urlsafe(24)


def device_hash(key: bytes, token: str) -> bytes:
    return hmac.new(key, b"device:" + token.encode(), hashlib.sha256).digest()


def normalize_contact(contact: str) -> str:
    """E-mail in lower case; a phone number as its digits with 08… and +628… the same."""
    c = contact.strip().lower()
    if "@" in c:
        return c
    digits = re.sub(r"\D", "", c)
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    return digits


def contact_hash(key: bytes, contact: str) -> bytes:
    return hmac.new(key, b"contact:" + normalize_contact(contact).encode(), hashlib.sha256).digest()
