"""Roster rules: NIP layout, row checks, duplicate NIPs, unknown superiors and cycles in the superior relation."""

from __future__ import annotations

import pytest

from kinerja_evaluation.domain.org import (
    Gender,
    RosterRow,
    UnitKind,
    check_roster,
    find_cycles,
    map_header,
    nip_problem,
    parse_row,
    unit_kind,
    unit_path,
)

GOOD = "198503152010012003"  # born 1985-03-15, TMT 2010-01, woman, 003


def row(**over: str) -> dict[str, str]:
    base = {
        "nip": GOOD,
        "nama": "Siti Rahmawati",
        "email": "siti@example.id",
        "unit_kerja": "Dinas Kesehatan > Puskesmas Muara Tebo",
        "jabatan": "Perawat Ahli Pertama",
        "kelas_jabatan": "8",
        "golongan": "III/a",
        "jenis_kelamin": "P",
        "lokasi": "perdesaan",
        "nip_atasan": "",
        "status": "aktif",
    }
    return base | over


def test_nip_layout() -> None:
    assert nip_problem(GOOD) is None
    assert nip_problem("199001012023212001") is None  # PPPK: month 21 in the TMT
    assert nip_problem("12345") is not None
    assert nip_problem("19850315201001200X") is not None
    assert nip_problem("198502302010012003") is not None  # 30 February
    assert nip_problem("198503152010132003") is not None  # TMT month 13
    assert nip_problem("198503152010013003") is not None  # gender digit 3
    assert nip_problem("198503152010012000") is not None  # sequence 000


def test_a_good_row_parses() -> None:
    parsed, errors = parse_row(2, row())
    assert errors == []
    assert parsed is not None
    assert parsed.unit_path == ("Dinas Kesehatan", "Puskesmas Muara Tebo")
    assert parsed.gender is Gender.P and parsed.superior_nip is None and parsed.active


def test_every_problem_in_a_row_is_reported() -> None:
    parsed, errors = parse_row(
        7, row(nip="123", kelas_jabatan="20", golongan="III/z", lokasi="bulan", email="bukan-email", nama="")
    )
    assert parsed is None
    assert {e.column for e in errors} == {"nip", "kelas_jabatan", "golongan", "lokasi", "email", "nama"}
    assert all(e.line == 7 for e in errors)


def test_gender_must_match_the_nip() -> None:
    _, errors = parse_row(2, row(jenis_kelamin="L"))
    assert [e.column for e in errors] == ["jenis_kelamin"]


def test_own_nip_as_superior_is_refused() -> None:
    _, errors = parse_row(2, row(nip_atasan=GOOD))
    assert [e.column for e in errors] == ["nip_atasan"]


def test_header_aliases_and_missing_columns() -> None:
    positions, errors = map_header(["NIP", "Nama Lengkap", "Unit Kerja", "Jabatan", "Kelas Jabatan", "Golongan"])
    assert positions["nama"] == 1 and positions["unit_kerja"] == 2
    assert {e.column for e in errors} == {"jenis_kelamin", "lokasi"}


def test_unit_path_and_kind() -> None:
    assert unit_path(" Dinas  Pendidikan >SD Negeri 1 Tebo ") == ("Dinas Pendidikan", "SD Negeri 1 Tebo")
    assert unit_path("Dinas > ") == ()
    assert unit_kind("Puskesmas Muara Tebo", 1) is UnitKind.PUSKESMAS
    assert unit_kind("Dinas Perhubungan", 0) is UnitKind.OPD
    assert unit_kind("Bidang Lalu Lintas", 1) is UnitKind.BIDANG


def _r(line: int, nip: str, sup: str | None) -> RosterRow:
    parsed, errs = parse_row(line, row(nip=nip, nip_atasan=sup or "", jenis_kelamin="P"))
    assert parsed is not None, errs
    return parsed


A, B, C, D = (f"1985031520100120{i:02d}" for i in (11, 12, 13, 14))


def test_duplicate_nip_and_unknown_superior() -> None:
    errors = check_roster([_r(2, A, None), _r(3, B, A), _r(4, A, None), _r(5, C, D)], {})
    assert [(e.line, e.column) for e in errors] == [(4, "nip"), (5, "nip_atasan")]


def test_superior_may_be_already_registered() -> None:
    assert check_roster([_r(2, B, A)], {A: None}) == []


def test_a_cycle_in_the_superior_relation_names_its_rows() -> None:
    errors = check_roster([_r(2, A, C), _r(3, B, A), _r(4, C, B), _r(5, D, A)], {})
    assert [e.line for e in errors] == [2, 3, 4]
    assert all("melingkar" in e.reason and "2, 3, 4" in e.reason for e in errors)


def test_a_cycle_through_stored_data_is_found() -> None:
    # stored: B is assessed by A; the file makes A assessed by B
    errors = check_roster([_r(2, A, B)], {B: A, A: None})
    assert [e.line for e in errors] == [2]


@pytest.mark.parametrize("n", [1, 2, 5])
def test_find_cycles(n: int) -> None:
    ring = {str(i): str((i + 1) % n) for i in range(n)} | {"x": "0", "y": None}
    [cycle] = find_cycles(ring)
    assert sorted(cycle) == sorted(str(i) for i in range(n))
    assert find_cycles({"a": "b", "b": None}) == []
