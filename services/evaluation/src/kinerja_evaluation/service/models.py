"""Requests and views of the SKP use cases (pydantic v2: the API validates with them, pages render them)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl

from kinerja_evaluation.domain.capaian import Direction, Rating
from kinerja_evaluation.domain.skp import Aspect, BerAkhlak, RhkKind, SkpStatus

Text = Annotated[str, AfterValidator(lambda s: " ".join(s.split()))]


class IndicatorIn(BaseModel):
    """One indicator of an RHK: what is measured, the target, its unit, aspect, direction and weight."""

    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=300, description="e.g. Jumlah pasien terlayani per bulan")
    target: Decimal = Field(ge=0, le=Decimal("1e12"), allow_inf_nan=False)
    unit: str = Field(max_length=40, description="satuan from GET /api/skp/units")
    aspect: Aspect = Aspect.KUANTITAS
    direction: Direction = Direction.HIGHER_IS_BETTER
    weight: Decimal = Field(default=Decimal(100), gt=0, le=100, allow_inf_nan=False)


class RhkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: RhkKind = RhkKind.UTAMA
    description: Text = Field(min_length=1, max_length=1000)
    parent_rhk_id: UUID | None = Field(default=None, description="the superior's RHK this one supports")
    indicators: list[IndicatorIn] = Field(default_factory=list, max_length=20)


class SkpIn(BaseModel):
    """A new SKP (draft) for a year, optionally with its RHK and BerAKHLAK expectations at once."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2020, le=2100)
    period_start: date | None = Field(default=None, description="default 1 January of the year")
    period_end: date | None = Field(default=None, description="default 31 December of the year")
    rhk: list[RhkIn] = Field(default_factory=list, max_length=30)
    expectations: dict[BerAkhlak, Annotated[str, Field(max_length=1000)]] = Field(
        default_factory=dict, description="ekspektasi khusus pimpinan per BerAKHLAK value"
    )


class SkpContentIn(BaseModel):
    """The whole editable content of a draft, replacing what is there."""

    model_config = ConfigDict(extra="forbid")

    rhk: list[RhkIn] = Field(max_length=30)
    expectations: dict[BerAkhlak, Annotated[str, Field(max_length=1000)]] = Field(default_factory=dict)


class ReviseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=1000, description="why the plan changes mid-year")
    effective_from: date


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: Text = Field(min_length=1, max_length=2000)


class RealisasiIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=r"^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$", description="2026-Q3, 2026-M07, 2026-Y")
    value: Decimal = Field(ge=0, le=Decimal("1e12"), allow_inf_nan=False)
    evidence_links: list[HttpUrl] = Field(default_factory=list, max_length=10)
    note: Text = Field(default="", max_length=2000)


class IndicatorView(BaseModel):
    indicator_id: UUID
    name: str
    target: Decimal
    unit: str
    aspect: Aspect
    direction: Direction
    weight: Decimal


class RhkView(BaseModel):
    rhk_id: UUID
    kind: RhkKind
    description: str
    parent_rhk_id: UUID | None
    parent_description: str | None = None
    indicators: list[IndicatorView]


class HistoryView(BaseModel):
    at: datetime
    actor_name: str
    action: str
    comment: str


class RealisasiView(BaseModel):
    indicator_id: UUID
    period: str
    value: Decimal
    evidence_links: list[str]
    note: str
    status: str
    capaian: Decimal | None
    return_comment: str
    reported_at: datetime


class SkpView(BaseModel):
    skp_id: UUID
    regency_id: UUID
    asn_id: UUID
    asn_name: str
    position_title: str
    unit_path: str
    year: int
    version: int
    status: SkpStatus
    period_start: date
    period_end: date
    change_reason: str | None
    superior_id: UUID | None
    superior_name: str | None
    submitted_at: datetime | None
    decided_at: datetime | None
    deadline: date
    rhk: list[RhkView]
    expectations: dict[BerAkhlak, str]
    history: list[HistoryView]
    realisasi: list[RealisasiView]
    versions: list[tuple[UUID, int, SkpStatus]]


class IndicatorCapaian(BaseModel):
    indicator_id: UUID
    realisasi: Decimal | None
    status: str | None
    capaian: Decimal | None


class RhkCapaian(BaseModel):
    rhk_id: UUID
    capaian: Decimal | None
    proposed_rating: Rating | None
    indicators: list[IndicatorCapaian]


class CapaianView(BaseModel):
    skp_id: UUID
    period: str
    confirmed_only: bool
    rhk: list[RhkCapaian]
