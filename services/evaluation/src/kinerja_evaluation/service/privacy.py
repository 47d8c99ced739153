"""Evaluation's part of the personal data duties (docs/privacy.md register rows 1–4 and 7): what a data subject's
export contains, and the retention rules the worker's daily purge applies."""

from __future__ import annotations

from datetime import timedelta

from kinerja_shared.privacy import ExportSection, RetentionRule, RetentionSettings, years

# a period label "2026-M03" / "2026-Q3" / "2026-Y" counts from the end of its year ("10 years after the year")
_PERIOD_YEAR_END = "make_date(left(period, 4)::int + 1, 1, 1)"
_YEAR_END = "make_date(year + 1, 1, 1)"
_BY_PERIOD = (
    "scoring_score",
    "scoring_period",
    "scoring_evaluation",
    "scoring_assessment",
    "scoring_realisasi",
    "scoring_peer",
    "scoring_innovation",
    "scoring_complaint",
    "scoring_unit_survey",
    "final_result",
    "keberatan",
    "award",
    "pembinaan_plan",  # its check-ins go with it (ON DELETE CASCADE)
)
_BY_YEAR = ("scoring_skp", "scoring_indicator", "scoring_activity", "scoring_attendance", "annual_rating", "enrolment")


def retention_rules(cfg: RetentionSettings) -> list[RetentionRule]:
    """Children before parents. Sanction cases stay with the personnel file; ASN master data (row 1) is removed
    by the roster (a leaver's tombstone), not by age."""
    records = years(cfg.records_years)
    rules = [
        RetentionRule("evaluation.realisasi", "realisasi", _PERIOD_YEAR_END, records),
        # a subordinate's RHK may point at the superior's RHK of the same year: unlink first, so SKPs of that
        # year can go in any batch order
        RetentionRule(
            "evaluation.rhk_links",
            "rhk",
            "(SELECT make_date(s.year + 1, 1, 1) FROM skp s WHERE s.skp_id = rhk.skp_id)",
            records,
            where="parent_rhk_id IS NOT NULL",
            set="parent_rhk_id = NULL",
        ),
        # RHK, indicators, expectations and history go with their SKP (ON DELETE CASCADE)
        RetentionRule("evaluation.skp", "skp", _YEAR_END, records),
        RetentionRule(
            "evaluation.activity_minutes",
            "activity_minutes",
            "make_date(extract(year FROM month)::int + 1, 1, 1)",
            records,
        ),
    ]
    rules += [RetentionRule(f"evaluation.{t}", t, _PERIOD_YEAR_END, records) for t in _BY_PERIOD]
    rules += [RetentionRule(f"evaluation.{t}", t, _YEAR_END, records) for t in _BY_YEAR]
    rules += [
        RetentionRule(
            "evaluation.scoring_notification", "scoring_notification", "requested_at", timedelta(days=cfg.inbox_days)
        ),
        RetentionRule("evaluation.org_import", "org_import", "imported_at", years(cfg.import_report_years)),
    ]
    return rules


def _of_skp(table: str) -> str:
    return f"SELECT x.* FROM {table} x JOIN skp s ON s.skp_id = x.skp_id WHERE s.asn_id = $1"  # noqa: S608


EXPORT_SECTIONS = (
    ExportSection("asn", 1, "SELECT * FROM asn WHERE asn_id = $1"),
    ExportSection(
        "unit",
        1,
        "SELECT u.unit_id, u.name, u.path FROM unit u JOIN asn a ON a.unit_id = u.unit_id WHERE a.asn_id = $1",
    ),
    ExportSection("acting_superior", 1, "SELECT * FROM acting_superior WHERE asn_id = $1 OR acting_superior_id = $1"),
    ExportSection("org_asn", 2, "SELECT * FROM org_asn WHERE asn_id = $1"),
    ExportSection("skp", 3, "SELECT * FROM skp WHERE asn_id = $1 ORDER BY year, version"),
    ExportSection("rhk", 3, _of_skp("rhk") + " ORDER BY s.year, s.version, x.position"),
    ExportSection("indicator", 3, _of_skp("indicator") + " ORDER BY s.year, s.version, x.position"),
    ExportSection("skp_behavior", 3, _of_skp("skp_behavior")),
    ExportSection("skp_history", 3, _of_skp("skp_history") + " ORDER BY x.at"),
    ExportSection("realisasi", 3, "SELECT * FROM realisasi WHERE asn_id = $1 ORDER BY period"),
    ExportSection("score", 4, "SELECT * FROM scoring_score WHERE asn_id = $1 ORDER BY period"),
    ExportSection("evaluation", 4, "SELECT * FROM scoring_evaluation WHERE asn_id = $1 ORDER BY period, version"),
    ExportSection("annual_rating", 4, "SELECT * FROM annual_rating WHERE asn_id = $1 ORDER BY year"),
    ExportSection("final_result", 4, "SELECT * FROM final_result WHERE asn_id = $1 ORDER BY period"),
    ExportSection("keberatan", 4, "SELECT * FROM keberatan WHERE asn_id = $1 ORDER BY filed_at"),
    ExportSection("award", 4, "SELECT * FROM award WHERE asn_id = $1 ORDER BY created_at"),
    ExportSection("pembinaan_plan", 4, "SELECT * FROM pembinaan_plan WHERE asn_id = $1 ORDER BY opened_at"),
    ExportSection(
        "pembinaan_checkin",
        4,
        "SELECT c.* FROM pembinaan_checkin c JOIN pembinaan_plan p ON p.plan_id = c.plan_id WHERE p.asn_id = $1",
    ),
    ExportSection("sanction_case", 4, "SELECT * FROM sanction_case WHERE asn_id = $1 ORDER BY opened_at"),
    ExportSection(
        "sanction_history",
        4,
        "SELECT h.* FROM sanction_history h JOIN sanction_case c ON c.case_id = h.case_id WHERE c.asn_id = $1",
    ),
    ExportSection("enrolment", 4, "SELECT * FROM enrolment WHERE asn_id = $1 ORDER BY year"),
    # TPP is computed per month from these inputs and the rules; exported payroll files are not stored
    ExportSection("tpp_inputs", 7, "SELECT * FROM activity_minutes WHERE asn_id = $1 ORDER BY month"),
)
