"""Activity's part of the personal data duties (docs/privacy.md register rows 2, 5 and 6): what a data subject's
export contains, and the retention rules the worker's daily purge applies, evidence files on disk included."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from pathlib import Path

import asyncpg

from kinerja_activity.adapters.evidence_store import FileEvidenceStore
from kinerja_shared.privacy import ExportSection, RetentionRule, RetentionSettings, years

_COORDINATES = ("check_in_lat", "check_in_lon", "check_out_lat", "check_out_lon")


def _unlink_all(paths: Sequence[Path]) -> None:
    for p in paths:
        p.unlink(missing_ok=True)


def file_remover(evidence_dir: Path) -> Callable[[asyncpg.Connection, Sequence[asyncpg.Record]], Awaitable[None]]:
    """Remove the files of purged evidence rows, unless another (younger) row still needs the same content:
    files are content-addressed, so two activities may share one."""
    store = FileEvidenceStore(evidence_dir)

    async def remove(conn: asyncpg.Connection, rows: Sequence[asyncpg.Record]) -> None:
        shas = sorted({r["sha256"] for r in rows})
        still_used = {
            r["sha256"]
            for r in await conn.fetch(
                "SELECT DISTINCT sha256 FROM evidence WHERE sha256 = ANY($1::text[]) AND file_purged_at IS NULL", shas
            )
        }
        gone = [store.path(s) for s in shas if s not in still_used]
        # inside the batch's transaction: if unlinking fails, the rows stay unmarked and the next run retries
        await asyncio.to_thread(_unlink_all, gone)

    return remove


def retention_rules(evidence_dir: Path) -> Callable[[RetentionSettings], list[RetentionRule]]:
    def rules(cfg: RetentionSettings) -> list[RetentionRule]:
        remove = file_remover(evidence_dir)
        activity_date = "(SELECT a.activity_date FROM activity a WHERE a.activity_id = evidence.activity_id)"
        return [
            # the year's final assessment happens in the following year: count the period from that year's end
            RetentionRule(
                "activity.evidence_files",
                "evidence",
                "(SELECT make_date(extract(year FROM a.activity_date)::int + 2, 1, 1) FROM activity a"
                " WHERE a.activity_id = evidence.activity_id)",
                years(cfg.evidence_years),
                where="file_purged_at IS NULL",
                set="file_purged_at = now()",
                returning=("sha256",),
                after=remove,
            ),
            RetentionRule(
                "activity.evidence",
                "evidence",
                activity_date,
                years(cfg.activity_years),
                returning=("sha256",),
                after=remove,
            ),
            RetentionRule("activity.activity", "activity", "activity_date", years(cfg.activity_years)),
            RetentionRule(
                "activity.attendance_coordinates",
                "attendance_day",
                "work_date",
                timedelta(days=cfg.coordinates_days),
                where=" OR ".join(f"{c} IS NOT NULL" for c in _COORDINATES),
                set=", ".join(f"{c} = NULL" for c in _COORDINATES),
            ),
            RetentionRule("activity.attendance_day", "attendance_day", "work_date", years(cfg.attendance_years)),
            # after the days that point at it (attendance_day.leave_id)
            RetentionRule("activity.leave_mark", "leave_mark", "end_date", years(cfg.attendance_years)),
        ]

    return rules


EXPORT_SECTIONS = (
    ExportSection("org_asn", 2, "SELECT * FROM org_asn WHERE asn_id = $1"),
    ExportSection("activity", 5, "SELECT * FROM activity WHERE asn_id = $1 ORDER BY activity_date, start_time"),
    # files are listed by hash (downloadable from the activity page); their bytes are not in the JSON
    ExportSection(
        "evidence",
        5,
        "SELECT e.* FROM evidence e JOIN activity a ON a.activity_id = e.activity_id WHERE a.asn_id = $1"
        " ORDER BY e.uploaded_at",
    ),
    ExportSection("attendance_day", 6, "SELECT * FROM attendance_day WHERE asn_id = $1 ORDER BY work_date"),
    ExportSection("leave_mark", 6, "SELECT * FROM leave_mark WHERE asn_id = $1 ORDER BY start_date"),
)
