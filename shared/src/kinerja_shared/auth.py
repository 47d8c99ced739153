"""Who is calling: OIDC-style JWT verification (RS256/ES256 only), the `Principal` and FastAPI dependencies.

The verifier is built from settings in app setup (`build_verifier`) and kept on `app.state.verifier`; nothing
here runs at import. A token comes as `Authorization: Bearer <jwt>` (API clients) or in the `kinerja_session`
cookie (browser pages), and both are checked the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final
from uuid import UUID

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from starlette.concurrency import run_in_threadpool

from kinerja_shared.policy import Policy, Scope, declare
from kinerja_shared.settings import ServiceSettings

SESSION_COOKIE: Final = "kinerja_session"
# fixed here, never taken from the token header: that is how HS256-with-the-public-key and `none` are refused
ALGORITHMS: Final = ("RS256", "ES256")
LEEWAY_SECONDS: Final = 30

PublicKey = RSAPublicKey | EllipticCurvePublicKey


class Role(StrEnum):
    """Roles from DESIGN.md's table; citizens (masyarakat) have no account and so no role."""

    ASN = "asn"  # pegawai; peers and subordinates giving 360 feedback are ASN too
    ATASAN = "atasan"  # direct superior
    ADMIN_BKPSDM = "admin_bkpsdm"  # regency HR
    ADMIN_PROVINSI = "admin_provinsi"  # read-only across the province's regencies
    INSPEKTORAT = "inspektorat"  # read-only across the province's regencies
    OPS = "ops"  # deploys and watches; sees no personal data
    AGENCY = "agency"  # another agency (BKN, Bappeda, ...), pseudonymised events only


REGENCY_ROLES: Final = frozenset({Role.ASN, Role.ATASAN, Role.ADMIN_BKPSDM})
PROVINCE_ROLES: Final = frozenset({Role.ADMIN_PROVINSI, Role.INSPEKTORAT})


class Principal(BaseModel):
    """The verified caller: claims of one token, never NIP/NIK."""

    model_config = ConfigDict(frozen=True)

    sub: str = Field(min_length=1, description="user id at the issuer")
    name: str = Field(default="", description="display name")
    roles: frozenset[Role] = Field(default_factory=frozenset)
    regency_id: UUID | None = Field(default=None, description="tenant (kabupaten/kota)")
    province_id: UUID | None = None
    asn_id: UUID | None = Field(default=None, description="the ASN's internal UUID, never the NIP")

    @field_validator("roles", mode="before")
    @classmethod
    def _known_roles_only(cls, value: object) -> object:
        # a real IdP adds roles of its own (offline_access, ...); they grant nothing here, so they are dropped
        if isinstance(value, str):
            value = [value]
        if isinstance(value, Iterable):
            known = {r.value for r in Role}
            return frozenset(r for r in value if isinstance(r, str) and r in known)
        return value

    @model_validator(mode="after")
    def _scoped(self) -> Principal:
        if self.roles & REGENCY_ROLES and self.regency_id is None:
            raise ValueError("regency_id is required for roles " + ", ".join(sorted(self.roles & REGENCY_ROLES)))
        return self

    def has_role(self, *roles: Role) -> bool:
        """True when the principal holds at least one of `roles`."""
        return not self.roles.isdisjoint(roles)

    def can_see_regency(self, regency_id: UUID, *, regency_province_id: UUID | None = None) -> bool:
        """Province-wide roles see every regency of their province; regency roles only their own.

        One deployment serves one province (DESIGN.md), so a province-wide role passes unless the caller
        knows the regency's province and it differs.
        """
        if self.has_role(*PROVINCE_ROLES) and (regency_province_id is None or regency_province_id == self.province_id):
            return True
        return self.has_role(*REGENCY_ROLES) and self.regency_id == regency_id


class InvalidToken(Exception):
    """The token is missing, malformed, badly signed, expired or meant for someone else."""


class TokenVerifier:
    """Checks signature (RS256/ES256), `iss`, `aud`, `exp` (30 s leeway) and turns claims into a Principal."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        public_key: PublicKey | None = None,
        jwks_url: str | None = None,
        leeway: int = LEEWAY_SECONDS,
    ) -> None:
        if (public_key is None) == (jwks_url is None):
            raise ValueError("give exactly one of public_key or jwks_url")
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self._public_key = public_key
        # PyJWKClient caches the key set (5 min) and each key by kid, so a request rarely waits on the IdP
        self._jwks = jwt.PyJWKClient(jwks_url, cache_jwk_set=True, lifespan=300) if jwks_url else None

    @property
    def fetches_keys(self) -> bool:
        """True when verifying may do network I/O (JWKS), so callers run it off the event loop."""
        return self._jwks is not None

    def verify(self, token: str) -> Principal:
        """The Principal in `token`, or InvalidToken saying why not."""
        try:
            key: Any = self._public_key
            if self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token).key
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"{type(exc).__name__}: {exc}") from exc
        try:
            return Principal.model_validate(_principal_claims(claims))
        except ValidationError as exc:
            raise InvalidToken(f"claims: {exc.error_count()} invalid") from exc

    async def verify_async(self, token: str) -> Principal:
        """As `verify`, but a JWKS fetch happens in a worker thread instead of blocking the loop."""
        if self.fetches_keys:
            return await run_in_threadpool(self.verify, token)
        return self.verify(token)


def _principal_claims(claims: Mapping[str, Any]) -> dict[str, Any]:
    # Keycloak-style providers put roles under realm_access; our dev issuer uses a flat `roles` claim
    roles = claims.get("roles")
    if roles is None:
        realm = claims.get("realm_access")
        roles = realm.get("roles", []) if isinstance(realm, Mapping) else []
    return {
        "sub": claims.get("sub"),
        "name": claims.get("name") or claims.get("preferred_username") or "",
        "roles": roles,
        "regency_id": claims.get("regency_id"),
        "province_id": claims.get("province_id"),
        "asn_id": claims.get("asn_id"),
    }


def load_public_key(path: Path) -> PublicKey:
    """The RSA or EC public key in a PEM file; any other key type is refused."""
    key = load_pem_public_key(path.read_bytes())
    if not isinstance(key, RSAPublicKey | EllipticCurvePublicKey):
        raise ValueError(f"{path}: expected an RSA or EC public key, got {type(key).__name__}")
    return key


def build_verifier(settings: ServiceSettings) -> TokenVerifier | None:
    """A verifier from settings: JWKS URL, else PEM public key, else the dev issuer's key, else None.

    Without a verifier every protected route answers 401, which is the safe failure.
    """
    common: dict[str, Any] = {"issuer": settings.jwt_issuer, "audience": settings.jwt_audience}
    if settings.jwt_jwks_url:
        return TokenVerifier(jwks_url=settings.jwt_jwks_url, **common)
    if settings.jwt_public_key_file is not None:
        return TokenVerifier(public_key=load_public_key(settings.jwt_public_key_file), **common)
    if settings.dev_issuer_key_file is not None and settings.environment != "production":
        from kinerja_shared.devissuer import public_key_of  # dev-only code stays out of the production path

        return TokenVerifier(public_key=public_key_of(settings.dev_issuer_key_file), **common)
    return None


_bearer = HTTPBearer(auto_error=False, description="JWT dari penerbit OIDC (RS256/ES256)")
_session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="JWT yang sama, untuk halaman web")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def _token_from(bearer: HTTPAuthorizationCredentials | None, cookie: str | None) -> str | None:
    # the header wins: an API client's explicit token beats a browser cookie that happens to be around
    if bearer is not None and bearer.credentials:
        return bearer.credentials
    return cookie or None


async def current_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_session_cookie)],
) -> Principal:
    """The verified caller, or 401 with `WWW-Authenticate: Bearer`."""
    token = _token_from(bearer, cookie)
    if token is None:
        raise _unauthorized("Belum masuk: token tidak ada.")
    verifier: TokenVerifier | None = getattr(request.app.state, "verifier", None)
    if verifier is None:
        raise _unauthorized("Autentikasi belum dikonfigurasi pada layanan ini.")
    try:
        principal = await verifier.verify_async(token)
    except InvalidToken as exc:
        raise _unauthorized("Token tidak sah atau kedaluwarsa.") from exc
    request.state.principal = principal  # the page layout shows who is signed in
    return principal


async def optional_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_session_cookie)],
) -> Principal | None:
    """The verified caller, or None for anonymous or invalid tokens (public pages show "Masuk")."""
    try:
        return await current_principal(request, bearer, cookie)
    except HTTPException:
        return None


# declared policies (kinerja_shared.policy): a bare CurrentPrincipal admits any signed-in user, an
# OptionalPrincipal marks a page anyone may open
declare(current_principal, Policy(roles=frozenset(Role), note="any signed-in user"))
declare(optional_principal, Policy(roles=None, scope=Scope.NONE, note="open to anyone; shows more when signed in"))

CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


ASN_ROLES: Final = frozenset({Role.ASN, Role.ATASAN, Role.ADMIN_BKPSDM})


async def current_asn(principal: CurrentPrincipal) -> Principal:
    """The caller acting as themselves, an ASN of a regency (the token names their ASN id); others get 403."""
    if not principal.has_role(*ASN_ROLES) or principal.asn_id is None or principal.regency_id is None:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail="Akun ini tidak terhubung dengan data pegawai (ASN).",
        )
    return principal


declare(current_asn, Policy(roles=frozenset(ASN_ROLES), relation="self", note="an ASN acting as themselves"))
CurrentAsn = Annotated[Principal, Depends(current_asn)]


def require_roles(
    *roles: Role, relation: str | None = None, scope: Scope = Scope.OWN
) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting callers with at least one of `roles`; others get 403. It declares the route's policy
    (`relation`, e.g. "superior_of", is enforced by the use case; `scope` documents the tenant reach)."""
    if not roles:
        raise ValueError("require_roles needs at least one role")
    wanted = ", ".join(r.value for r in roles)

    async def _require(principal: CurrentPrincipal) -> Principal:
        if not principal.has_role(*roles):
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"Akses ditolak: halaman ini memerlukan peran {wanted}.",
            )
        return principal

    declare(_require, Policy(roles=frozenset(roles), relation=relation, scope=scope))
    return _require
