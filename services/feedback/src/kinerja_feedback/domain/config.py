"""What a regency may set for the feedback service (DOMAIN.md marks them config); defaults from the tables."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kinerja_feedback.domain.errors import InvalidInput
from kinerja_feedback.domain.periods import PeriodKind


class ContactMode(StrEnum):
    """Whether the survey asks for a phone/e-mail to tell repeat answers apart (stored only as a hash)."""

    OFF = "tidak"
    OPTIONAL = "opsional"
    REQUIRED = "wajib"


@dataclass(frozen=True, slots=True)
class RegencyConfig:
    survey_period: PeriodKind = PeriodKind.QUARTER
    once_per_device: bool = True  # Table Q1: one device/contact answers once per unit per period
    contact_mode: ContactMode = ContactMode.OPTIONAL
    response_days: int = 5  # Table C1
    resolution_days: int = 14  # Table C1
    peer_min_raters: int = 3  # Table B1

    def __post_init__(self) -> None:
        if not 1 <= self.response_days <= self.resolution_days <= 90:
            raise InvalidInput(
                "Batas tanggapan harus 1–90 hari kerja dan tidak melebihi batas penyelesaian.",
                field="response_days",
                reason="need 1 <= response_days <= resolution_days <= 90",
            )
        if not 1 <= self.peer_min_raters <= 20:
            raise InvalidInput("Minimal penilai harus 1–20.", field="peer_min_raters", reason="1..20")
