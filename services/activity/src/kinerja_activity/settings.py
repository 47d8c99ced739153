"""Settings of the activity service, read once from the environment."""

from pathlib import Path

from pydantic import AliasChoices, Field

from kinerja_shared.settings import service_settings_class

_Base = service_settings_class("activity")


class ActivitySettings(_Base):  # type: ignore[valid-type,misc]
    evidence_dir: Path = Field(
        default=Path(".local/evidence"),
        validation_alias=AliasChoices("ACTIVITY_EVIDENCE_DIR", "EVIDENCE_DIR"),
        description="volume for evidence files, stored content-addressed as <dir>/ab/cd/<sha256>",
    )
    evidence_max_bytes: int = Field(
        default=5 * 1024 * 1024,
        ge=1024,
        le=50 * 1024 * 1024,
        validation_alias=AliasChoices("ACTIVITY_EVIDENCE_MAX_BYTES", "EVIDENCE_MAX_BYTES"),
    )
    overdue_scan_seconds: float = Field(
        default=300.0,
        gt=0,
        validation_alias=AliasChoices("ACTIVITY_OVERDUE_SCAN_SECONDS"),
        description="how often the worker looks for activities waiting too long for verification",
    )
    alpa_scan_seconds: float = Field(
        default=600.0,
        gt=0,
        validation_alias=AliasChoices("ACTIVITY_ALPA_SCAN_SECONDS"),
        description="how often the worker closes ended working days (day-end alpa marks)",
    )
    alpa_lookback_days: int = Field(
        default=7,
        ge=1,
        le=62,
        validation_alias=AliasChoices("ACTIVITY_ALPA_LOOKBACK_DAYS"),
        description="how many days back the day-end job catches up after the worker was down",
    )
