"""Bahasa Indonesia texts per notification type and audience, with their required variables.

Templates use `{name}` placeholders. Each request's `params` fill them; `nama` (the subject's name) comes from
the org read model. A placeholder without a value is an error (MissingTemplateVariable → DLQ), never a blank.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from kinerja_notify.domain.errors import MissingTemplateVariable, UnknownKind
from kinerja_notify.domain.routing import Audience

BULAN: Final = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
_ROMAWI: Final = ("I", "II", "III", "IV")
_PERIOD: Final = re.compile(r"^(\d{4})-(?:M(0[1-9]|1[0-2])|Q([1-4])|(Y))$")


@dataclass(frozen=True, slots=True)
class Template:
    title: str
    body: str


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    body: str


# who is told about themselves ("self") and who about someone else ("other": superior, unit head, BKPSDM)
TEMPLATES: Final[Mapping[str, Mapping[str, Template]]] = {
    "verification_pending": {
        "other": Template(
            "Kegiatan menunggu verifikasi",
            "{jumlah} kegiatan {nama} menunggu verifikasi Anda lebih dari 2 hari kerja.",
        ),
    },
    "target_at_risk": {
        "self": Template(
            "Target kinerja berisiko",
            "Proyeksi capaian Anda pada akhir periode {periode} di bawah 90%. Tinjau rencana aksi bersama atasan Anda.",
        ),
        "other": Template(
            "Target kinerja {nama} berisiko",
            "Proyeksi capaian {nama} pada akhir periode {periode} di bawah 90%. Diskusikan rencana aksi bersamanya.",
        ),
    },
    "mentoring_needed": {
        "self": Template(
            "Rencana pembinaan dibuka",
            "Predikat kinerja Anda periode {periode} memerlukan pembinaan. Rencana pembinaan (mentor, sasaran, "
            "dan pelatihan yang disarankan) telah dibuka untuk Anda.",
        ),
        "other": Template(
            "Pembinaan untuk {nama}",
            "Predikat kinerja {nama} periode {periode} memerlukan pembinaan. Rencana pembinaan telah dibuka; "
            "mohon ditindaklanjuti.",
        ),
    },
    "award_candidate": {
        "self": Template(
            "Anda kandidat penghargaan",
            "Selamat! Kinerja Anda periode {periode} menjadikan Anda kandidat penghargaan. Sertifikat dan usulan "
            "insentif terbit setelah disetujui BKPSDM.",
        ),
        "other": Template(
            "{nama} kandidat penghargaan",
            "{nama} menjadi kandidat penghargaan untuk periode {periode}. Mohon tinjau dan setujui usulannya.",
        ),
    },
    "sanction_review": {
        "other": Template(
            "Peninjauan kasus kinerja {nama}",
            "Kasus peninjauan BKPSDM untuk {nama} periode {periode} telah dibuka. Tidak ada sanksi otomatis; "
            "mohon lakukan peninjauan.",
        ),
    },
    "evaluation_finalized": {
        "self": Template(
            "Hasil evaluasi periode {periode} sudah final",
            "Hasil evaluasi kinerja Anda periode {periode} sudah final. Lihat hasil, penjelasannya, dan batas "
            "waktu pengajuan keberatan.",
        ),
    },
}


def period_label(code: str) -> str:
    """A period code as people say it: 2026-M01 → Januari 2026, 2026-Q3 → Triwulan III 2026, 2026-Y → Tahun 2026."""
    m = _PERIOD.match(code)
    if not m:
        return code
    year, month, quarter, whole = m.groups()
    if month:
        return f"{BULAN[int(month) - 1]} {year}"
    if quarter:
        return f"Triwulan {_ROMAWI[int(quarter) - 1]} {year}"
    assert whole
    return f"Tahun {year}"


def variables(template: Template) -> set[str]:
    """Placeholder names used by a template."""
    names: set[str] = set()
    for text in (template.title, template.body):
        names |= {f for _, f, _, _ in string.Formatter().parse(text) if f}
    return names


def render(kind: str, audience: Audience, params: Mapping[str, str], *, subject_name: str | None) -> Message:
    """The message one recipient sees; MissingTemplateVariable names every placeholder left without a value."""
    variants = TEMPLATES.get(kind)
    if variants is None:
        raise UnknownKind(f"tidak ada templat untuk jenis {kind!r}")
    template = variants["self"] if audience is Audience.SELF and "self" in variants else variants.get("other")
    if template is None:
        template = variants["self"]
    values = dict(params)
    if subject_name:
        values.setdefault("nama", subject_name)
    elif "nama" in variables(template):
        values.setdefault("nama", "seorang pegawai")  # org data may lag the request; the text stays true
    if "periode" in values:
        values["periode"] = period_label(values["periode"])
    missing = sorted(v for v in variables(template) if not values.get(v, "").strip())
    if missing:
        raise MissingTemplateVariable(f"templat {kind} ({audience.value}) memerlukan: {', '.join(missing)}")
    return Message(template.title.format(**values), template.body.format(**values))


def check_request(kind: str, audiences: set[Audience], params: Mapping[str, str]) -> None:
    """Fail early (before any write) when a request can never be rendered for one of its audiences."""
    for audience in audiences:
        render(kind, audience, params, subject_name="x")
