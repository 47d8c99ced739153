"""A personal-data scanner for tests (UU PDP 27/2022): NIP, NIK, e-mail, phone numbers and known names in
Kafka records (key, headers, value) and log lines.

Patterns are shaped, not just digit counts, so ids and timestamps do not trip them: a NIP is 18 digits
``yyyymmdd`` (birth) + ``yyyymm`` (TMT; month 21 for PPPK) + sex digit + 3-digit number; a NIK is 16 digits
with a province code and a birth date (day + 40 for women). Digits inside a longer run, a UUID, a hex string or
a decimal fraction are never matched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

_EDGE_BEFORE: Final = r"(?<![\w.\-+])"
_EDGE_AFTER: Final = r"(?![\w\-])"
NIP: Final = re.compile(
    _EDGE_BEFORE
    + r"(?:19[4-9]\d|20[0-1]\d)(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"  # birth date
    + r"\s?(?:19[6-9]\d|20[0-3]\d)(?:0[1-9]|1[0-2]|21)"  # TMT (month 21: PPPK)
    + r"\s?[12]\s?\d{3}"
    + _EDGE_AFTER
)
NIK: Final = re.compile(
    _EDGE_BEFORE
    + r"(?:1[1-9]|[2-8]\d|9[0-6])\d{4}"  # province, regency, district
    + r"(?:0[1-9]|[12]\d|3[01]|4[1-9]|[56]\d|7[01])(?:0[1-9]|1[0-2])\d{2}"  # ddmmyy, women +40
    + r"\d{4}"
    + _EDGE_AFTER
)
EMAIL: Final = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
PHONE: Final = re.compile(_EDGE_BEFORE + r"(?:\+62|62|0)[\s-]?8\d{1,3}(?:[\s-]?\d{3,4}){2}\d{0,2}" + _EDGE_AFTER)
KINDS: Final = ("nip", "nik", "email", "phone", "name")


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # nip | nik | email | phone | name
    source: str  # "kafka" or "log"
    where: str  # topic@partition:offset or log file:line
    part: str  # key | header:<name> | value | line
    event_type: str  # ce_type of the record ("" for logs)
    excerpt: str  # masked, so test output does not spread what it found

    def __str__(self) -> str:
        kind = f" {self.event_type}" if self.event_type else ""
        return f"{self.kind} in {self.source} {self.where} {self.part}{kind}: {self.excerpt}"


class RecordLike(Protocol):
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


def _mask(text: str) -> str:
    return text[:3] + "…" + f"({len(text)})"


class PiiScanner:
    """Finds personal data in text; `allow(finding)` may pass findings that are there by design."""

    def __init__(self, names: Iterable[str] = (), allow: Callable[[Finding], bool] | None = None) -> None:
        cleaned = sorted({n.strip() for n in names if len(n.strip()) >= 5}, key=len, reverse=True)
        self._names = (
            re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in cleaned) + r")(?!\w)", re.IGNORECASE)
            if cleaned
            else None
        )
        self._allow = allow or (lambda _f: False)
        self.scanned = {"records": 0, "log_lines": 0, "strings": 0}

    def find(self, text: str) -> Iterator[tuple[str, str]]:
        """(kind, matched text) for every piece of personal data in `text`."""
        for kind, pattern in (("nip", NIP), ("nik", NIK), ("email", EMAIL), ("phone", PHONE)):
            for m in pattern.finditer(text):
                yield kind, m.group(0)
        if self._names is not None:
            for m in self._names.finditer(text):
                yield "name", m.group(0)

    def _strings(self, raw: bytes) -> Iterator[str]:
        text = raw.decode("utf-8", errors="replace")
        try:
            value = json.loads(text)
        except ValueError:
            yield text
            return
        # JSON: every string and number on its own (\u escapes decoded, no match across two fields)
        yield from _leaves(value)

    def scan_text(self, text: str, *, source: str, where: str, part: str, event_type: str = "") -> list[Finding]:
        self.scanned["strings"] += 1
        out = []
        for kind, match in self.find(text):
            f = Finding(kind, source, where, part, event_type, _mask(match))
            if not self._allow(f):
                out.append(f)
        return out

    def scan_record(self, record: RecordLike) -> list[Finding]:
        """Key, every header (name and value) and the value of one Kafka record."""
        self.scanned["records"] += 1
        where = f"{record.topic}@{record.partition}:{record.offset}"
        headers = list(record.headers or [])
        event_type = next((v.decode("utf-8", "replace") for k, v in headers if k == "ce_type"), "")
        out: list[Finding] = []
        kw = {"source": "kafka", "where": where, "event_type": event_type}
        if record.key:
            out += self.scan_text(record.key.decode("utf-8", "replace"), part="key", **kw)
        for name, value in headers:
            out += self.scan_text(name, part=f"header:{name}", **kw)
            out += self.scan_text(value.decode("utf-8", "replace"), part=f"header:{name}", **kw)
        if record.value:
            for s in self._strings(record.value):
                out += self.scan_text(s, part="value", **kw)
        return out

    def scan_lines(self, lines: Iterable[str], *, where: str) -> list[Finding]:
        out: list[Finding] = []
        for number, line in enumerate(lines, 1):
            self.scanned["log_lines"] += 1
            for s in self._strings(line.encode()):  # JSON log lines: each field on its own, escapes decoded
                out += self.scan_text(s, source="log", where=f"{where}:{number}", part="line")
        return out


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, str):
        yield value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield str(value)
