"""Roster import on real PostgreSQL: all-or-nothing, every bad row reported, re-import by NIP changes nothing."""

from __future__ import annotations

import io

import orjson
import pytest
from openpyxl import Workbook

from kinerja_evaluation.domain.errors import InvalidInput
from kinerja_evaluation.examples import HEADER, roster_csv, synthetic_roster
from kinerja_evaluation.service.org import assign_acting_superior, import_roster, who_assesses_whom

from ..conftest import NOW, Env

pytestmark = pytest.mark.postgres


async def test_10000_rows_with_3_bad_rows_rejected_then_fixed_then_reimport_changes_nothing(env: Env) -> None:
    rows = synthetic_roster(10_000, seed=4)
    good = [dict(r) for r in rows]
    # three bad rows (file line = index + 2): a malformed NIP, kelas jabatan out of range, an unknown superior
    rows[100]["nip"] = rows[100]["nip"][:-1] + "X"
    rows[5000]["kelas_jabatan"] = "20"
    rows[9998]["nip_atasan"] = "196001012000011999"

    report = await import_roster(env.pool, env.admin(), "pegawai.csv", roster_csv(rows), now=NOW)
    assert not report.accepted
    assert [(e.line, e.column) for e in report.errors] == [(102, "nip"), (5002, "kelas_jabatan"),
                                                           (10000, "nip_atasan")]  # fmt: skip
    assert await env.owner_rows("SELECT 1 FROM asn") == []
    assert await env.owner_rows("SELECT 1 FROM unit") == []
    assert await env.outbox_count() == 1  # only the RegencyUpserted from registering the regency

    report = await import_roster(env.pool, env.admin(), "pegawai.csv", roster_csv(good), now=NOW)
    assert report.accepted and report.errors == []
    assert (report.created, report.updated, report.unchanged) == (10_000, 0, 0)
    units = len(await env.owner_rows("SELECT 1 FROM unit"))
    assert units == report.units_created > 4
    assert await env.outbox_count() == 1 + units + 10_000
    stamp = await env.owner_rows("SELECT max(updated_at) AS t, count(*) AS n FROM asn")

    again = await import_roster(env.pool, env.admin(), "pegawai-lagi.csv", roster_csv(good))
    assert again.accepted and (again.created, again.updated, again.unchanged, again.units_created) == (0, 0, 10_000, 0)
    assert await env.outbox_count() == 1 + units + 10_000
    assert await env.owner_rows("SELECT max(updated_at) AS t, count(*) AS n FROM asn") == stamp

    # one real change → one update, one event, same asn_id (by NIP, no duplicate)
    before = {r["nip"]: r["asn_id"] for r in await env.owner_rows("SELECT nip, asn_id FROM asn")}
    good[7]["jabatan"] = "Perawat Ahli Muda"
    third = await import_roster(env.pool, env.admin(), "pegawai.csv", roster_csv(good))
    assert (third.created, third.updated) == (0, 1)
    assert await env.outbox_count() == 1 + units + 10_001
    after = {r["nip"]: r["asn_id"] for r in await env.owner_rows("SELECT nip, asn_id FROM asn")}
    assert after == before


async def test_nip_is_in_no_event(env: Env) -> None:
    rows = synthetic_roster(60, seed=9)
    assert (await import_roster(env.pool, env.admin(), "p.csv", roster_csv(rows), now=NOW)).accepted
    out = await env.owner_rows("SELECT key, headers, payload FROM outbox")
    blob = orjson.dumps([[r["key"], r["headers"], r["payload"].decode()] for r in out]).decode()
    assert all(r["nip"] not in blob for r in rows)
    assert any("asn_upserted" in str(r["headers"]) for r in out)


async def test_a_cycle_is_rejected_with_the_rows_involved(env: Env) -> None:
    rows = synthetic_roster(30, seed=2)
    # rows 3 → 4 → 5 → 3 (lines 5, 6, 7)
    rows[3]["nip_atasan"], rows[4]["nip_atasan"], rows[5]["nip_atasan"] = rows[4]["nip"], rows[5]["nip"], rows[3]["nip"]
    report = await import_roster(env.pool, env.admin(), "p.csv", roster_csv(rows), now=NOW)
    assert not report.accepted
    assert [e.line for e in report.errors] == [5, 6, 7]
    assert all("melingkar" in e.reason for e in report.errors)


async def test_a_cycle_through_already_stored_data_is_rejected(env: Env) -> None:
    rows = synthetic_roster(10, seed=3)
    assert (await import_roster(env.pool, env.admin(), "p.csv", roster_csv(rows), now=NOW)).accepted
    # the Sekda (line 2) now reports to a staff member who is, through the chain, below them
    report = await import_roster(env.pool, env.admin(), "p.csv", roster_csv([rows[0] | {"nip_atasan": rows[5]["nip"]}]))
    assert not report.accepted and [e.line for e in report.errors] == [2]


async def test_xlsx_imports_and_refuses_nips_excel_stored_as_numbers(env: Env) -> None:
    rows = synthetic_roster(25, seed=5)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["NIP", "Nama", "Unit Kerja", "Jabatan", "Kelas Jabatan", "Golongan", "Jenis Kelamin", "Lokasi",
               "E-mail", "NIP Atasan", "Status"])  # fmt: skip
    for r in rows:
        cells: list[object] = [r["nip"], *(r[c] for c in HEADER[1:-2]), r["nip_atasan"] or None, r["status"]]
        cells[4] = int(r["kelas_jabatan"])  # a number cell, as spreadsheets keep it
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    ws["A3"] = int(rows[1]["nip"])  # an 18-digit NIP typed as a number: Excel keeps only 15 digits
    lossy = io.BytesIO()
    wb.save(lossy)
    report = await import_roster(env.pool, env.admin(), "pegawai.xlsx", lossy.getvalue(), now=NOW)
    # line 4 names the real NIP as its superior, which the broken cell no longer holds: reported too
    assert [(e.line, e.column) for e in report.errors] == [(3, "nip"), (4, "nip_atasan")]
    assert "teks" in report.errors[0].reason
    report = await import_roster(env.pool, env.admin(), "pegawai.xlsx", buf.getvalue(), now=NOW)
    assert report.accepted, report.errors
    assert report.created == 25


async def test_missing_columns_are_reported_on_line_1(env: Env) -> None:
    report = await import_roster(env.pool, env.admin(), "p.csv", b"nip,nama\n198503152010011003,Budi\n", now=NOW)
    assert not report.accepted and {e.line for e in report.errors} == {1}


async def test_acting_superior_dates_and_listing(env: Env, office: dict[str, object]) -> None:
    from datetime import date

    with pytest.raises(InvalidInput) as e:
        await assign_acting_superior(env.pool, env.admin(), asn_id=office["staff"], acting_superior_id=office["peer"],
                                     valid_from=date(2026, 3, 1), valid_until=date(2026, 2, 1))  # type: ignore[arg-type]  # fmt: skip
    assert e.value.field == "valid_until"
    await assign_acting_superior(env.pool, env.admin(), asn_id=office["staff"], acting_superior_id=office["sekda"],
                                 valid_from=date(2026, 3, 1), valid_until=date(2026, 3, 31), now=NOW)  # type: ignore[arg-type]  # fmt: skip
    listing = await who_assesses_whom(env.pool, [env.regency_id], date(2026, 3, 2))
    staff = next(r for r in listing if r["asn_id"] == office["staff"])
    assert staff["superior_id"] == office["kadis"] and staff["acting_superior_id"] == office["sekda"]
