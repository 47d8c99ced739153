"""Who may call the evaluation routes, declared once (kinerja_shared.policy) and reused by the routers."""

from __future__ import annotations

from fastapi import Depends

from kinerja_shared.auth import Role, current_asn, require_roles
from kinerja_shared.policy import Scope

# an ASN acting as themselves (SKP Saya, their own score, their team as atasan)
ASN_SELF = Depends(current_asn)
# regency HR only
BKPSDM = Depends(require_roles(Role.ADMIN_BKPSDM))
# who assesses whom: HR of the regency, and the province's read-only roles
ORG_READERS = Depends(require_roles(Role.ADMIN_BKPSDM, Role.ADMIN_PROVINSI, Role.INSPEKTORAT, scope=Scope.PROVINCE))
# an ASN's own score, their superior chain's, or HR's (the use case checks the chain)
SELF_OR_CHAIN = Depends(require_roles(Role.ASN, Role.ATASAN, Role.ADMIN_BKPSDM, relation="self_or_superior_chain"))
# the head of a unit (the use case checks headship)
UNIT_HEAD = Depends(require_roles(Role.ASN, Role.ATASAN, Role.ADMIN_BKPSDM, relation="unit_head"))
# a member of the regency's staff: ASN, atasan or regency HR (the use case decides what each may see)
REGENCY_MEMBER = Depends(require_roles(Role.ASN, Role.ATASAN, Role.ADMIN_BKPSDM))
# annual results: the regency's staff and the province's read-only roles
ANNUAL_READERS = Depends(
    require_roles(Role.ASN, Role.ATASAN, Role.ADMIN_BKPSDM, Role.ADMIN_PROVINSI, Role.INSPEKTORAT, scope=Scope.PROVINCE)
)
# the distribution curve: regency HR and superiors (their units)
CURVE_READERS = Depends(require_roles(Role.ATASAN, Role.ADMIN_BKPSDM, relation="unit_superior"))
# the province's read-only roles, across the regencies of their province
PROVINCE = Depends(require_roles(Role.ADMIN_PROVINSI, Role.INSPEKTORAT, scope=Scope.PROVINCE))
