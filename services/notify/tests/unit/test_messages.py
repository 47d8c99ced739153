"""Bahasa Indonesia templates for each Table R1 type and audience; missing values are errors."""

from __future__ import annotations

import pytest

from kinerja_notify.domain.errors import MissingTemplateVariable, UnknownKind
from kinerja_notify.domain.messages import TEMPLATES, check_request, period_label, render
from kinerja_notify.domain.routing import R1, Audience

PARAMS = {"periode": "2026-Q3", "jumlah": "3"}


@pytest.mark.parametrize("kind", sorted(R1))
def test_table_r1_every_audience_has_a_text(kind: str) -> None:
    for audience in R1[kind].audiences:
        msg = render(kind, audience, PARAMS, subject_name="Siti Rahmawati")
        assert msg.title and msg.body
        assert "{" not in msg.title + msg.body


def test_templates_cover_exactly_table_r1() -> None:
    assert set(TEMPLATES) == set(R1)


def test_self_and_other_texts_differ() -> None:
    mine = render("mentoring_needed", Audience.SELF, PARAMS, subject_name="Siti")
    theirs = render("mentoring_needed", Audience.SUPERIOR, PARAMS, subject_name="Siti")
    assert "Anda" in mine.body and "Siti" not in mine.body
    assert "Siti" in theirs.body and "Triwulan III 2026" in theirs.body


def test_verification_pending_text() -> None:
    msg = render("verification_pending", Audience.SUPERIOR, {"jumlah": "4"}, subject_name="Budi")
    assert msg.body == "4 kegiatan Budi menunggu verifikasi Anda lebih dari 2 hari kerja."


def test_missing_variable_names_it() -> None:
    with pytest.raises(MissingTemplateVariable, match="periode"):
        render("evaluation_finalized", Audience.SELF, {}, subject_name=None)
    with pytest.raises(MissingTemplateVariable, match="jumlah"):
        check_request("verification_pending", {Audience.SUPERIOR}, {"jumlah": "  "})


def test_unknown_subject_name_reads_naturally() -> None:
    msg = render("target_at_risk", Audience.SUPERIOR, PARAMS, subject_name=None)
    assert "seorang pegawai" in msg.body


def test_unknown_kind() -> None:
    with pytest.raises(UnknownKind):
        render("nope", Audience.SELF, {}, subject_name=None)


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("2026-M01", "Januari 2026"),
        ("2026-M12", "Desember 2026"),
        ("2026-Q1", "Triwulan I 2026"),
        ("2026-Q4", "Triwulan IV 2026"),
        ("2026-Y", "Tahun 2026"),
        ("Semester 1", "Semester 1"),
    ],
)
def test_period_labels(code: str, label: str) -> None:
    assert period_label(code) == label
