"""The demo province's shape: Provinsi Jambi, its 11 regencies/cities, and a synthetic (clearly fake) roster.

Everything is derived from fixed seeds, so a re-run produces the same NIPs, units and ids: the services then
recognise what they already have (roster import by NIP, client ids for activities, device tokens for surveys).
Names end in "(contoh)" and e-mails use the kinerja-demo.id domain, so no one mistakes them for real people.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final
from uuid import NAMESPACE_URL, UUID, uuid5

PROVINCE_CODE: Final = "15"
PROVINCE_NAME: Final = "Provinsi Jambi"
PROVINCE_ID: Final = uuid5(NAMESPACE_URL, "kinerja-demo:provinsi:15")


@dataclass(frozen=True, slots=True)
class Regency:
    code: str  # Kemendagri, e.g. 15.08
    name: str
    seat: str  # ibu kota, used in unit names

    @property
    def regency_id(self) -> UUID:
        return uuid5(NAMESPACE_URL, f"kinerja-demo:kabupaten:{self.code}")

    @property
    def short(self) -> str:
        return self.name.removeprefix("Kabupaten ").removeprefix("Kota ")


# DOMAIN.md "Demo province"; Kemendagri codes of Provinsi Jambi
REGENCIES: Final = (
    Regency("15.08", "Kabupaten Tebo", "Muara Tebo"),  # first: the demo logins live here
    Regency("15.71", "Kota Jambi", "Jambi"),
    Regency("15.72", "Kota Sungai Penuh", "Sungai Penuh"),
    Regency("15.04", "Kabupaten Batanghari", "Muara Bulian"),
    Regency("15.09", "Kabupaten Bungo", "Muara Bungo"),
    Regency("15.01", "Kabupaten Kerinci", "Siulak"),
    Regency("15.02", "Kabupaten Merangin", "Bangko"),
    Regency("15.05", "Kabupaten Muaro Jambi", "Sengeti"),
    Regency("15.03", "Kabupaten Sarolangun", "Sarolangun"),
    Regency("15.07", "Kabupaten Tanjung Jabung Barat", "Kuala Tungkal"),
    Regency("15.06", "Kabupaten Tanjung Jabung Timur", "Muara Sabak"),
)

FIRST: Final = ("Siti", "Budi", "Ahmad", "Dewi", "Rina", "Agus", "Nur", "Hendra", "Yuli", "Rudi", "Fitri", "Dedi",
                "Sri", "Eko", "Wahyu", "Indah", "Joko", "Lestari", "Rahmat", "Maya", "Fauzi", "Nanda", "Rizki",
                "Putri", "Arif", "Melati", "Yusuf", "Ratna")  # fmt: skip
LAST: Final = ("Rahmawati", "Santoso", "Hidayat", "Lestari", "Saputra", "Wulandari", "Siregar", "Nasution",
               "Harahap", "Pratama", "Kurniawan", "Susanti", "Hasibuan", "Putri", "Syahputra", "Jambak", "Kerinci",
               "Mardiah", "Effendi", "Zulkarnain")  # fmt: skip
GRADES: Final = ("II/c", "III/a", "III/b", "III/c", "III/d", "IV/a", "IX", "X")


@dataclass(frozen=True, slots=True)
class Area:
    """One kind of work with its OPD, its sub-units, staff title and the evaluation service's example SKP."""

    opd: str
    sub: str  # sub-unit name stem
    staff_title: str
    example: str  # key of GET /evaluation/api/skp/examples
    share: float  # of the regency's ASN
    output: str  # activity output unit


AREAS: Final = (
    Area("Dinas Kesehatan", "Puskesmas", "Perawat Ahli Pertama", "puskesmas_staff", 0.35, "pasien"),
    Area("Dinas Pendidikan", "SD Negeri", "Guru Ahli Pertama", "teacher", 0.38, "jam pelajaran"),
    Area("Dinas Pendidikan", "Bidang Pembinaan Sekolah Dasar", "Analis Kebijakan", "education_officer", 0.07,
         "dokumen"),
    Area("Dinas Perhubungan", "Bidang Lalu Lintas", "Pengelola Lalu Lintas", "transport_officer", 0.08, "laporan"),
    Area("DPMPTSP", "Bidang Pelayanan Perizinan", "Petugas Perizinan", "permit_officer", 0.12, "berkas"),
)  # fmt: skip


@dataclass(slots=True)
class Person:
    nip: str
    name: str
    email: str
    unit: str  # path, parts separated by " > "
    title: str
    klass: int
    grade: str
    female: bool
    rural: bool
    superior_nip: str
    example: str | None  # None: no SKP (the Sekda has no superior to approve it)
    output: str = "kegiatan"
    is_head: bool = False

    def row(self) -> dict[str, str]:
        return {
            "nip": self.nip, "nama": self.name, "email": self.email, "unit_kerja": self.unit,
            "jabatan": self.title, "kelas_jabatan": str(self.klass), "golongan": self.grade,
            "jenis_kelamin": "P" if self.female else "L", "lokasi": "perdesaan" if self.rural else "perkotaan",
            "nip_atasan": self.superior_nip, "status": "aktif",
        }  # fmt: skip


@dataclass(slots=True)
class Roster:
    regency: Regency
    people: list[Person] = field(default_factory=list)

    def csv(self) -> bytes:
        cols = ("nip", "nama", "email", "unit_kerja", "jabatan", "kelas_jabatan", "golongan", "jenis_kelamin",
                "lokasi", "nip_atasan", "status")  # fmt: skip
        lines = [";".join(cols)]
        for p in self.people:
            r = p.row()
            lines.append(";".join(r[c] for c in cols))
        return ("\n".join(lines) + "\n").encode()


class _Nips:
    """Valid-looking, clearly synthetic NIPs: birth date, TMT, gender digit, sequence; unique per province."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.seen: set[str] = set()

    def next(self, female: bool) -> str:
        while True:
            born = date(1968, 1, 1) + timedelta(days=self.rnd.randrange(32 * 365))
            tmt = min(born.year + self.rnd.randint(22, 30), 2025)
            month = self.rnd.randint(1, 12)
            nip = f"{born:%Y%m%d}{tmt}{month:02d}{2 if female else 1}{self.rnd.randint(1, 999):03d}"
            if nip not in self.seen:
                self.seen.add(nip)
                return nip


def split(total: int, regencies: int) -> list[int]:
    """ASN per regency: Kota Jambi, the capital, gets a larger share; every regency at least 12."""
    weights = [1.6 if r.code == "15.71" else 1.0 for r in REGENCIES[:regencies]]
    s = sum(weights)
    out = [max(12, int(total * w / s)) for w in weights]
    out[0] += max(0, total - sum(out))
    return out


def roster(regency: Regency, n: int, nips: _Nips, rnd: random.Random) -> Roster:
    """About `n` fake ASN of one regency: the Sekda, OPD heads, sub-unit heads and their staff."""
    r = Roster(regency)

    def person(unit: str, title: str, klass: int, superior: str, rural: bool, example: str | None,
               output: str = "kegiatan", head: bool = False) -> Person:  # fmt: skip
        female = rnd.random() < 0.52
        nip = nips.next(female)
        name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)} (contoh)"
        p = Person(nip, name, f"asn.{nip[-9:]}.{regency.code.replace('.', '')}@kinerja-demo.id", unit, title, klass,
                   rnd.choice(GRADES), female, rural, superior, example, output, head)  # fmt: skip
        r.people.append(p)
        return p

    sekda = person("Sekretariat Daerah", "Sekretaris Daerah", 15, "", False, None, head=True)
    heads: dict[str, Person] = {}
    for area in AREAS:
        budget = max(3, round(n * area.share))
        if area.opd not in heads:
            heads[area.opd] = person(area.opd, f"Kepala {area.opd}", 14, sekda.nip, False, area.example, area.output,
                                     head=True)  # fmt: skip
            budget -= 1
        opd_head = heads[area.opd]
        k = 0
        while budget > 0:
            k += 1
            if area.sub == "Puskesmas":
                name = f"Puskesmas {regency.seat}" if k == 1 else f"Puskesmas {regency.seat} {k}"
            elif area.sub == "SD Negeri":
                name = f"SD Negeri {k:03d} {regency.short}"
            else:
                name = area.sub if k == 1 else f"{area.sub} {k}"
            unit = f"{area.opd} > {name}"
            rural = k % 3 != 1
            sub_head = person(unit, f"Kepala {name}", 11, opd_head.nip, rural, area.example, area.output, head=True)
            budget -= 1
            for _ in range(min(budget, rnd.randint(6, 18))):
                person(unit, area.staff_title, rnd.randint(6, 9), sub_head.nip, rural, area.example, area.output)
                budget -= 1
    return r


def province(total_asn: int, regencies: int = len(REGENCIES), seed: int = 2026) -> list[Roster]:
    """The rosters of the first `regencies` regencies, about `total_asn` ASN in all; same input, same output."""
    rnd = random.Random(seed)
    nips = _Nips(rnd)
    return [
        roster(reg, n, nips, rnd) for reg, n in zip(REGENCIES[:regencies], split(total_asn, regencies), strict=True)
    ]
