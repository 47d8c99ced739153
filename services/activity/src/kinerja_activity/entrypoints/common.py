"""What routes and pages share: the caller from the token, domain errors → HTTP, the clock."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException

from kinerja_activity.domain.errors import InvalidInput, NotAllowed, NotFound, StateConflict, Violation
from kinerja_activity.service.activities import Caller
from kinerja_shared.auth import CurrentAsn, Principal, Role
from kinerja_shared.web import JAKARTA

T = TypeVar("T")


def now() -> datetime:
    return datetime.now(JAKARTA)


def caller_of(principal: Principal) -> Caller:
    """The ASN behind the token; accounts not linked to an ASN (ops, agencies) cannot report or verify."""
    if principal.asn_id is None or principal.regency_id is None:
        raise HTTPException(403, "Akun ini tidak terhubung dengan data pegawai (ASN).")
    return Caller(principal.regency_id, principal.asn_id)


async def current_caller(principal: CurrentAsn) -> Caller:
    return caller_of(principal)


CallerDep = Annotated[Caller, Depends(current_caller)]


def is_bkpsdm(principal: Principal) -> bool:
    return bool(principal.has_role(Role.ADMIN_BKPSDM))


def violations_detail(violations: list[Violation], location: str = "body") -> list[dict[str, str]]:
    """The same 422 item shape the app factory gives pydantic errors."""
    return [
        {"field": v.field, "location": location, "type": v.code, "reason": v.reason, "message_id": v.reason}
        for v in violations
    ]


async def mapped(aw: Awaitable[T]) -> T:
    """Run a use case, turning domain errors into 422/409/404/403."""
    try:
        return await aw
    except InvalidInput as e:
        raise HTTPException(422, violations_detail(e.violations)) from e
    except StateConflict as e:
        raise HTTPException(409, e.reason) from e
    except NotFound as e:
        raise HTTPException(404, "Tidak ditemukan.") from e
    except NotAllowed as e:
        raise HTTPException(403, str(e) or "Akses ditolak.") from e
