"""The public piagam check shows a masked name: first name and initials, a bracketed note kept as written."""

from kinerja_evaluation.service.rewards import mask_name


def test_mask_name_first_name_and_initials() -> None:
    assert mask_name("Budi Santoso") == "Budi S."
    assert mask_name("Siti Nur Aisyah") == "Siti N. A."
    assert mask_name("Nanda") == "Nanda"
    assert mask_name("  ") == ""


def test_mask_name_keeps_a_bracketed_note() -> None:
    assert mask_name("Nanda Jambak (contoh)") == "Nanda J. (contoh)"
