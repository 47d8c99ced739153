"""Example data for demos and benchmarks: SKPs in the seeds' terms and a synthetic (clearly fake) roster.

The example SKPs are request bodies of `POST /api/skp` (see `service.models.SkpIn`), so a demo loader can post
them through the public API as the ASN. Names and NIPs of the roster are generated and marked "(contoh)".
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, Final

from kinerja_evaluation.domain.org import REQUIRED_COLUMNS


def _ind(name: str, target: int | str, unit: str, aspect: str = "kuantitas", direction: str = "higher",
         weight: int = 100) -> dict[str, Any]:  # fmt: skip
    return {"name": name, "target": str(target), "unit": unit, "aspect": aspect, "direction": direction,
            "weight": str(weight)}  # fmt: skip


# keyed by role; the first RHK is the one a subordinate's RHK most often supports
EXAMPLE_SKPS: Final[dict[str, dict[str, Any]]] = {
    "puskesmas_staff": {
        "title": "Perawat Puskesmas",
        "rhk": [
            {"kind": "utama", "description": "Meningkatnya pelayanan kesehatan dasar bagi masyarakat wilayah kerja",
             "indicators": [_ind("Jumlah pasien terlayani per bulan", 400, "pasien", weight=60),
                            _ind("Rata-rata waktu tunggu pasien", 30, "menit", "waktu", "lower", 40)]},
            {"kind": "tambahan", "description": "Terlaksananya penyuluhan kesehatan di posyandu",
             "indicators": [_ind("Penyuluhan posyandu terlaksana", 12, "kegiatan")]},
        ],
        "expectations": {"berorientasi_pelayanan": "Ramah dan sigap melayani pasien lansia dan ibu hamil"},
    },
    "teacher": {
        "title": "Guru SD",
        "rhk": [
            {"kind": "utama", "description": "Meningkatnya hasil belajar siswa kelas yang diampu",
             "indicators": [_ind("Rata-rata nilai ujian kelas", 78, "nilai", "kualitas", weight=70),
                            _ind("Siswa tuntas KKM", 90, "persen", "kualitas", weight=30)]},
        ],
        "expectations": {"adaptif": "Menerapkan metode pembelajaran yang inovatif"},
    },
    "education_officer": {
        "title": "Analis Kebijakan Dinas Pendidikan",
        "rhk": [
            {"kind": "utama", "description": "Meningkatnya partisipasi sekolah anak usia 7–15 tahun",
             "indicators": [_ind("Angka partisipasi sekolah (APS) 7–15 tahun", "97.5", "persen", "kualitas")]},
        ],
        "expectations": {},
    },
    "transport_officer": {
        "title": "Pengelola Lalu Lintas Dinas Perhubungan",
        "rhk": [
            {"kind": "utama", "description": "Menurunnya kecelakaan lalu lintas di jalan kabupaten",
             "indicators": [_ind("Jumlah kecelakaan lalu lintas per triwulan", 20, "kejadian", direction="lower")]},
        ],
        "expectations": {"kolaboratif": "Berkoordinasi dengan Satlantas Polres untuk titik rawan"},
    },
    "permit_officer": {
        "title": "Petugas Perizinan DPMPTSP",
        "rhk": [
            {"kind": "utama", "description": "Perizinan berusaha diterbitkan tepat waktu",
             "indicators": [_ind("Rata-rata hari proses izin", 5, "hari", "waktu", "lower", 70),
                            _ind("Izin terbit", 300, "izin", weight=30)]},
        ],
        "expectations": {"akuntabel": "Tidak menerima imbalan dalam bentuk apa pun"},
    },
}  # fmt: skip


def example_skp(role: str, year: int) -> dict[str, Any]:
    """A `POST /api/skp` body for `role` (a key of EXAMPLE_SKPS) and year."""
    ex = EXAMPLE_SKPS[role]
    return {"year": year, "rhk": ex["rhk"], "expectations": ex["expectations"]}


# ---- synthetic roster ------------------------------------------------------------------------------------------

FIRST: Final = ("Siti", "Budi", "Ahmad", "Dewi", "Rina", "Agus", "Nur", "Hendra", "Yuli", "Rudi", "Fitri", "Dedi",
                "Sri", "Eko", "Wahyu", "Indah", "Joko", "Lestari", "Rahmat", "Maya")  # fmt: skip
LAST: Final = ("Rahmawati", "Santoso", "Hidayat", "Lestari", "Saputra", "Wulandari", "Siregar", "Nasution",
               "Harahap", "Pratama", "Kurniawan", "Susanti", "Hasibuan", "Putri", "Syahputra")  # fmt: skip
OPDS: Final = (
    ("Dinas Kesehatan", "Puskesmas", "Perawat Ahli Pertama"),
    ("Dinas Pendidikan", "SD Negeri", "Guru Ahli Pertama"),
    ("Dinas Perhubungan", "Bidang Lalu Lintas", "Pengelola Lalu Lintas"),
    ("DPMPTSP", "Bidang Perizinan", "Petugas Perizinan"),
)
GRADES: Final = ("II/c", "III/a", "III/b", "III/c", "III/d", "IV/a", "IX", "X")


class _Nips:
    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.seen: set[str] = set()

    def next(self, female: bool) -> str:
        while True:
            born = date(1965, 1, 1) + timedelta(days=self.rnd.randrange(35 * 365))
            tmt = born.year + self.rnd.randint(22, 30)
            month = self.rnd.choice((*range(1, 13), 21)) if tmt >= 2019 else self.rnd.randint(1, 12)
            nip = f"{born:%Y%m%d}{tmt}{month:02d}{2 if female else 1}{self.rnd.randint(1, 999):03d}"
            if nip not in self.seen:
                self.seen.add(nip)
                return nip


def synthetic_roster(n: int, *, seed: int = 1, region: str = "Tebo") -> list[dict[str, str]]:
    """`n` fake ASN of one regency, in the roster file's columns: a Sekda, OPD heads, sub-unit heads, staff.

    Every staff member is assessed by their sub-unit head, who is assessed by the OPD head, who reports to the
    Sekda; names end in "(contoh)" so no one mistakes them for real people.
    """
    rnd = random.Random(seed)
    nips = _Nips(rnd)
    rows: list[dict[str, str]] = []

    def person(unit: str, title: str, klass: int, superior: str, rural: bool) -> str:
        female = rnd.random() < 0.5
        nip = nips.next(female)
        name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)} (contoh)"
        rows.append({
            "nip": nip, "nama": name, "email": f"asn{len(rows) + 1}.{seed}@kinerja-demo.id", "unit_kerja": unit,
            "jabatan": title, "kelas_jabatan": str(klass), "golongan": rnd.choice(GRADES),
            "jenis_kelamin": "P" if female else "L", "lokasi": "perdesaan" if rural else "perkotaan",
            "nip_atasan": superior, "status": "aktif",
        })  # fmt: skip
        return nip

    sekda = person("Sekretariat Daerah", "Sekretaris Daerah", 15, "", False)
    per_opd = max(1, (n - 1) // len(OPDS))
    for o, (opd, sub, staff_title) in enumerate(OPDS):
        if len(rows) >= n:
            break
        head = person(opd, f"Kepala {opd}", 14, sekda, False)
        budget = per_opd - 1 if o < len(OPDS) - 1 else n - len(rows)
        k = 0
        while budget > 0 and len(rows) < n:
            k += 1
            unit = f"{opd} > {sub} {k} {region}" if not sub.startswith("Bidang") else f"{opd} > {sub} {k}"
            rural = k % 3 != 0
            sub_head = person(unit, f"Kepala {sub} {k}", 11, head, rural)
            budget -= 1
            for _ in range(min(budget, rnd.randint(8, 30))):
                if len(rows) >= n:
                    break
                person(unit, staff_title, rnd.randint(6, 9), sub_head, rural)
                budget -= 1
    return rows[:n]


HEADER: Final = (*REQUIRED_COLUMNS, "email", "nip_atasan", "status")


def roster_csv(rows: list[dict[str, str]]) -> bytes:
    """The rows as a CSV file with the documented header."""
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=HEADER, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue().encode()


def iter_example_roles() -> Iterator[str]:
    yield from EXAMPLE_SKPS
