"""Organisation master data rules: NIP format, the roster file's rows, unit paths, the superior relation."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

NIP_PATTERN: Final = re.compile(r"^\d{18}$")
EMAIL_PATTERN: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UNIT_SEPARATOR: Final = ">"
MAX_UNIT_DEPTH: Final = 6
LOSSY_NUMBER_MARK: Final = "#angka:"  # set by the file reader on a spreadsheet number too long to be exact


class Gender(StrEnum):
    L = "L"
    P = "P"


class Location(StrEnum):
    URBAN = "perkotaan"
    RURAL = "perdesaan"


class UnitKind(StrEnum):
    OPD = "opd"
    BIDANG = "bidang"
    PUSKESMAS = "puskesmas"
    SEKOLAH = "sekolah"
    KECAMATAN = "kecamatan"
    KELURAHAN = "kelurahan"
    UPT = "upt"


# name prefixes a regency's unit names carry; the kind decides e.g. whether SKM/IKM applies (public-facing)
_KIND_BY_PREFIX: Final = (
    ("puskesmas", UnitKind.PUSKESMAS),
    ("sd ", UnitKind.SEKOLAH),
    ("smp ", UnitKind.SEKOLAH),
    ("sma ", UnitKind.SEKOLAH),
    ("smk ", UnitKind.SEKOLAH),
    ("sekolah", UnitKind.SEKOLAH),
    ("kecamatan", UnitKind.KECAMATAN),
    ("kelurahan", UnitKind.KELURAHAN),
    ("upt", UnitKind.UPT),
)
PUBLIC_FACING: Final = frozenset({UnitKind.PUSKESMAS, UnitKind.SEKOLAH, UnitKind.KECAMATAN, UnitKind.KELURAHAN})
PUBLIC_FACING_OPD: Final = ("dpmptsp", "dinas penanaman modal", "dinas kependudukan", "rsud")


def nip_problem(nip: str) -> str | None:
    """Why `nip` is not a well-formed NIP (PP 11/2017 layout), or None.

    18 digits: birth date YYYYMMDD, TMT YYYYMM (month 21 marks PPPK), gender 1/2, sequence 001–999.
    """
    if nip.startswith(LOSSY_NUMBER_MARK):
        return "NIP tersimpan sebagai angka di Excel sehingga digit terakhirnya berubah; format kolom NIP sebagai teks"
    if not NIP_PATTERN.match(nip):
        return "NIP harus 18 digit angka"
    try:
        born = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        return "8 digit pertama NIP bukan tanggal lahir yang sah"
    tmt_year, tmt_month = int(nip[8:12]), int(nip[12:14])
    if not (1 <= tmt_month <= 12 or tmt_month == 21) or tmt_year < born.year + 15:
        return "digit 9–14 NIP bukan TMT (tahun dan bulan) yang sah"
    if nip[14] not in "12":
        return "digit ke-15 NIP (jenis kelamin) harus 1 atau 2"
    if nip[15:18] == "000":
        return "nomor urut NIP tidak boleh 000"
    return None


def gender_of_nip(nip: str) -> Gender:
    return Gender.L if nip[14] == "1" else Gender.P


def unit_path(raw: str) -> tuple[str, ...]:
    """A unit path "Dinas Kesehatan > Puskesmas Muara Tebo" as its parts, whitespace tidied; empty if none."""
    parts = tuple(" ".join(p.split()) for p in raw.split(UNIT_SEPARATOR))
    return parts if all(parts) else ()


def unit_kind(name: str, depth: int) -> UnitKind:
    """A unit's kind from its name; a top-level unit without a known prefix is an OPD, deeper ones a bidang."""
    low = name.lower()
    for prefix, kind in _KIND_BY_PREFIX:
        if low.startswith(prefix):
            return kind
    return UnitKind.OPD if depth == 0 else UnitKind.BIDANG


def is_public_facing(name: str, kind: UnitKind) -> bool:
    return kind in PUBLIC_FACING or any(k in name.lower() for k in PUBLIC_FACING_OPD)


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One valid row of a regency's ASN roster (the BKPSDM export)."""

    line: int
    nip: str
    name: str
    email: str | None
    unit_path: tuple[str, ...]
    position_title: str
    position_class: int
    grade: str
    gender: Gender
    location: Location
    superior_nip: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class RowError:
    """A bad row: its line in the file (header is line 1), the column, and why, in Indonesian."""

    line: int
    column: str
    reason: str


# the columns of the roster file; aliases are the spellings regency exports use
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "nip": ("nip", "nip baru"),
    "nama": ("nama", "nama lengkap", "nama pegawai"),
    "email": ("email", "e-mail", "surel"),
    "unit_kerja": ("unit_kerja", "unit kerja", "unor", "satuan kerja"),
    "jabatan": ("jabatan", "nama jabatan"),
    "kelas_jabatan": ("kelas_jabatan", "kelas jabatan", "kelas"),
    "golongan": ("golongan", "gol", "golongan/ruang", "pangkat/golongan"),
    "jenis_kelamin": ("jenis_kelamin", "jenis kelamin", "jk"),
    "lokasi": ("lokasi", "lokasi kerja", "wilayah"),
    "nip_atasan": ("nip_atasan", "nip atasan", "nip atasan langsung"),
    "status": ("status", "status pegawai", "aktif"),
}
REQUIRED_COLUMNS: Final = (
    "nip", "nama", "unit_kerja", "jabatan", "kelas_jabatan", "golongan", "jenis_kelamin", "lokasi",
)  # fmt: skip
# PNS golongan/ruang (III/a) or PPPK golongan (I–XVII)
GRADE_PATTERN: Final = re.compile(
    r"^(I|II|III|IV)/[a-e]$|^(I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII|XIII|XIV|XV|XVI|XVII)$"
)
_GENDERS: Final = {
    "l": Gender.L,
    "laki-laki": Gender.L,
    "pria": Gender.L,
    "p": Gender.P,
    "perempuan": Gender.P,
    "wanita": Gender.P,
}
_LOCATIONS: Final = {
    "perkotaan": Location.URBAN,
    "kota": Location.URBAN,
    "urban": Location.URBAN,
    "perdesaan": Location.RURAL,
    "pedesaan": Location.RURAL,
    "desa": Location.RURAL,
    "rural": Location.RURAL,
}
_STATUS: Final = {
    "": True,
    "aktif": True,
    "ya": True,
    "1": True,
    "nonaktif": False,
    "tidak aktif": False,
    "tidak": False,
    "0": False,
    "pensiun": False,
}


def map_header(header: Iterable[str]) -> tuple[dict[str, int], list[RowError]]:
    """Column positions by canonical name; missing required columns are errors on line 1."""
    lookup = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
    positions: dict[str, int] = {}
    for i, raw in enumerate(header):
        name = lookup.get(" ".join(str(raw or "").strip().lower().replace("_", " ").split()))
        name = name or lookup.get(str(raw or "").strip().lower())
        if name is not None and name not in positions:
            positions[name] = i
    errors = [RowError(1, c, f"kolom {c} tidak ada di baris judul") for c in REQUIRED_COLUMNS if c not in positions]
    return positions, errors


def parse_row(line: int, values: Mapping[str, str]) -> tuple[RosterRow | None, list[RowError]]:
    """Check one row's fields; returns the row or every problem found in it."""
    errs: list[RowError] = []

    def bad(column: str, reason: str) -> None:
        errs.append(RowError(line, column, reason))

    def get(column: str) -> str:
        return " ".join(values.get(column, "").split())

    nip = get("nip").replace(" ", "")
    if (p := nip_problem(nip)) is not None:
        bad("nip", p)
    name = get("nama")
    if not name or len(name) > 200:
        bad("nama", "nama wajib diisi (maksimal 200 karakter)")
    email = get("email").lower() or None
    if email is not None and (not EMAIL_PATTERN.match(email) or len(email) > 200):
        bad("email", "alamat e-mail tidak sah")
    path = unit_path(get("unit_kerja"))
    if not path:
        bad("unit_kerja", "unit kerja wajib diisi, bagian dipisah '>' (mis. Dinas Kesehatan > Puskesmas X)")
    elif len(path) > MAX_UNIT_DEPTH or any(len(p) > 200 for p in path):
        bad("unit_kerja", f"unit kerja terlalu dalam (maksimal {MAX_UNIT_DEPTH} tingkat) atau namanya terlalu panjang")
    title = get("jabatan")
    if not title or len(title) > 200:
        bad("jabatan", "jabatan wajib diisi (maksimal 200 karakter)")
    klass = get("kelas_jabatan")
    position_class = int(klass) if klass.isdigit() else 0
    if not 1 <= position_class <= 17:
        bad("kelas_jabatan", "kelas jabatan harus bilangan bulat 1–17")
    grade = get("golongan").upper().replace(" ", "")
    grade = grade[:-1] + grade[-1].lower() if "/" in grade else grade
    if not GRADE_PATTERN.match(grade):
        bad("golongan", "golongan harus seperti III/a (PNS) atau IX (PPPK)")
    gender = _GENDERS.get(get("jenis_kelamin").lower())
    if gender is None:
        bad("jenis_kelamin", "jenis kelamin harus L atau P")
    elif not errs or all(e.column != "nip" for e in errs):
        if NIP_PATTERN.match(nip) and gender is not gender_of_nip(nip):
            bad("jenis_kelamin", "jenis kelamin tidak sesuai digit ke-15 NIP")
    location = _LOCATIONS.get(get("lokasi").lower())
    if location is None:
        bad("lokasi", "lokasi harus perkotaan atau perdesaan")
    superior = get("nip_atasan").replace(" ", "") or None
    if superior is not None:
        if (p := nip_problem(superior)) is not None:
            bad("nip_atasan", p.replace("NIP", "NIP atasan", 1))
        elif superior == nip:
            bad("nip_atasan", "NIP atasan sama dengan NIP pegawai sendiri")
    active = _STATUS.get(get("status").lower())
    if active is None:
        bad("status", "status harus aktif atau nonaktif")
    if errs:
        return None, errs
    assert gender is not None and location is not None and active is not None
    return (
        RosterRow(line, nip, name, email, path, title, position_class, grade, gender, location, superior, active),
        [],
    )


def check_roster(rows: Iterable[RosterRow], known_superiors: Mapping[str, str | None]) -> list[RowError]:
    """File-wide rules: NIP unique in the file, every superior known, no cycle in the superior relation.

    `known_superiors` maps NIPs already registered in the regency to their current superior's NIP; a row of the
    file replaces that NIP's entry.
    """
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    edges: dict[str, str | None] = dict(known_superiors)
    line_of: dict[str, int] = {}
    for r in rows:
        if r.nip in first_line:
            errors.append(RowError(r.line, "nip", f"NIP ganda: sudah ada di baris {first_line[r.nip]}"))
            continue
        first_line[r.nip] = r.line
        edges[r.nip] = r.superior_nip
        line_of[r.nip] = r.line
    for nip, line in line_of.items():
        sup = edges[nip]
        if sup is not None and sup not in edges:
            errors.append(RowError(line, "nip_atasan", "NIP atasan tidak ditemukan di berkas maupun data pegawai"))
    for cycle in find_cycles(edges):
        lines = sorted(line_of[n] for n in cycle if n in line_of)
        where = ", ".join(str(x) for x in lines) or "data tersimpan"
        for n in cycle:
            if n in line_of:
                errors.append(RowError(line_of[n], "nip_atasan", f"hubungan atasan melingkar (baris {where})"))
    return sorted(errors, key=lambda e: (e.line, e.column))


def find_cycles(superior_of: Mapping[str, str | None]) -> list[list[str]]:
    """Every cycle in the "is assessed by" relation, each as the members in order; iterative, O(n)."""
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = done
    cycles: list[list[str]] = []
    for start in superior_of:
        if start in state:
            continue
        walk: list[str] = []
        node: str | None = start
        while node is not None and node in superior_of and node not in state:
            state[node] = 1
            walk.append(node)
            node = superior_of[node]
        if node is not None and state.get(node) == 1:
            cycles.append(walk[walk.index(node) :])
        for n in walk:
            state[n] = 2
    return cycles
