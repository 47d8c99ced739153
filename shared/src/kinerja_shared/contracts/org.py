"""Organisation master data facts, owned by evaluation, on the compacted kinerja.org.v1 (key: entity UUID).

NIP is personal data (UU PDP 27/2022) and stays in the evaluation service: it is in no key, header or body here.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import EmailStr, Field

from kinerja_shared.contracts.base import Event
from kinerja_shared.contracts.registry import event
from kinerja_shared.topics import ORG

SOURCE = "/kinerja/evaluation"


class Gender(StrEnum):
    L = "L"
    P = "P"


class Location(StrEnum):
    URBAN = "perkotaan"
    RURAL = "perdesaan"


@event("id.kinerja.org.regency_upserted.v1", topic=ORG, source=SOURCE, key="regency_id")
class RegencyUpserted(Event):
    """A kabupaten/kota (the tenant) exists with this name and province."""

    province_id: UUID
    province_name: str = Field(max_length=120)
    name: str = Field(max_length=120, description="e.g. Kabupaten Tebo")
    code: str = Field(max_length=16, description="Kemendagri code, e.g. 15.09")


@event("id.kinerja.org.unit_upserted.v1", topic=ORG, source=SOURCE, key="unit_id")
class UnitUpserted(Event):
    """A work unit (OPD, bidang, puskesmas, school) and where it hangs in the hierarchy."""

    unit_id: UUID
    parent_id: UUID | None = None
    name: str = Field(max_length=200)
    kind: str = Field(max_length=40, description="opd, bidang, puskesmas, sekolah, …")
    public_facing: bool = Field(default=False, description="serves citizens directly (SKM/IKM applies)")
    head_asn_id: UUID | None = None


@event("id.kinerja.org.asn_upserted.v1", topic=ORG, source=SOURCE, key="asn_id")
class AsnUpserted(Event):
    """An ASN's current placement; pseudonymous except name and e-mail, which notify needs."""

    asn_id: UUID
    name: str = Field(max_length=200)
    email: EmailStr | None = None
    unit_id: UUID
    position_title: str = Field(max_length=200)
    grade: str = Field(max_length=16, description="golongan/ruang or PPPK grade")
    position_class: int = Field(ge=1, le=17, description="kelas jabatan, drives TPP base")
    superior_id: UUID | None = Field(default=None, description="atasan langsung (pejabat penilai)")
    gender: Gender
    location: Location
    active: bool = True


@event("id.kinerja.org.acting_superior_assigned.v1", topic=ORG, source=SOURCE, key="asn_id")
class ActingSuperiorAssigned(Event):
    """An acting superior (Plt/Plh) assesses this ASN between two dates."""

    asn_id: UUID
    acting_superior_id: UUID
    valid_from: date
    valid_until: date
