"""Local dev token issuer: ES256 key pair, minted tokens, a CLI, a demo sign-in page; never in production.

A real OIDC provider plugs in by configuration alone: set JWT_JWKS_URL (or JWT_PUBLIC_KEY_FILE), JWT_ISSUER
and JWT_AUDIENCE to the provider's values and leave DEV_ISSUER_KEY_FILE unset, so this module is never loaded;
the provider's token mapper emits the same claims (roles, regency_id, province_id, asn_id) as `mint_token`.

CLI: `python -m kinerja_shared.devissuer keygen --key .local/dev-issuer.pem` and
`python -m kinerja_shared.devissuer mint --role asn --regency <uuid> --asn <uuid> --name "Siti"`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Final
from uuid import NAMESPACE_URL, UUID, uuid5

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from kinerja_shared.auth import SESSION_COOKIE, Principal, Role
from kinerja_shared.policy import public
from kinerja_shared.settings import ServiceSettings

ALGORITHM: Final = "ES256"
DEFAULT_TTL: Final = timedelta(hours=8)  # one working day, so a demo never signs out mid-session

ROLE_LABELS: Final[dict[Role, str]] = {
    Role.ASN: "ASN (pegawai)",
    Role.ATASAN: "Atasan langsung",
    Role.ADMIN_BKPSDM: "Admin BKPSDM (kabupaten/kota)",
    Role.ADMIN_PROVINSI: "Admin provinsi",
    Role.INSPEKTORAT: "Inspektorat",
    Role.OPS: "Ops",
    Role.AGENCY: "Instansi lain (BKN, Bappeda, …)",
}


class DevIssuerRefused(RuntimeError):
    """The dev issuer was asked to work in production."""


def refuse_in_production(settings: ServiceSettings) -> None:
    """Raise DevIssuerRefused when the environment is production: dev tokens must never be accepted there."""
    if settings.environment == "production":
        raise DevIssuerRefused("the dev token issuer is disabled when KINERJA_ENV=production")


def public_key_path_for(private_path: Path) -> Path:
    """Where the public half of `private_path` is kept: `dev-issuer.pem` → `dev-issuer.pub.pem`."""
    return private_path.with_name(private_path.name.removesuffix(".pem") + ".pub.pem")


def _write_atomic(path: Path, data: bytes, *, mode: int, replace: bool) -> None:
    # services start side by side on one key file: write a temp file, then link/rename it in one step
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if another process created it first; theirs wins
            except FileExistsError:
                pass
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def ensure_keypair(private_path: Path, public_path: Path | None = None) -> Path:
    """Create an ES256 (P-256) key pair unless the private key exists; return the public key's path."""
    public_path = public_path or public_key_path_for(private_path)
    if not private_path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_atomic(private_path, pem, mode=0o600, replace=False)
    public_pem = public_key_of(private_path).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # derived each time, so a public file left from an older key cannot disagree with the private one
    if not public_path.exists() or public_path.read_bytes() != public_pem:
        _write_atomic(public_path, public_pem, mode=0o644, replace=True)
    return public_path


def load_private_key(private_path: Path) -> ec.EllipticCurvePrivateKey:
    """The dev issuer's P-256 private key; other key types are refused so tokens are always ES256."""
    key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"{private_path}: expected a P-256 EC private key")
    return key


def public_key_of(private_path: Path) -> ec.EllipticCurvePublicKey:
    """The public half of the dev issuer's key."""
    return load_private_key(private_path).public_key()


def jwk_of(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The public key as a JWK with its RFC 7638 thumbprint as `kid`, as an OIDC provider would publish it."""
    raw = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(public_key))
    required = {k: raw[k] for k in ("crv", "kty", "x", "y")}
    digest = hashlib.sha256(json.dumps(required, separators=(",", ":"), sort_keys=True).encode()).digest()
    kid = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return {**required, "kid": kid, "use": "sig", "alg": ALGORITHM}


def mint_token(
    private_key_path: Path,
    *,
    sub: str,
    roles: Iterable[Role | str],
    regency_id: UUID | None,
    asn_id: UUID | None,
    name: str,
    issuer: str,
    audience: str,
    ttl: timedelta = DEFAULT_TTL,
    province_id: UUID | None = None,
    now: datetime | None = None,
) -> str:
    """A signed ES256 JWT with the claims `auth.Principal` reads; the claims are validated first."""
    # validating here turns a bad demo user into a clear error instead of a token every service rejects
    principal = Principal(
        sub=sub,
        name=name,
        roles=frozenset(Role(r) for r in roles),
        regency_id=regency_id,
        province_id=province_id,
        asn_id=asn_id,
    )
    key = load_private_key(private_key_path)
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": principal.sub,
        "name": principal.name,
        "roles": sorted(r.value for r in principal.roles),
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    for claim in ("regency_id", "province_id", "asn_id"):
        value = getattr(principal, claim)
        if value is not None:
            claims[claim] = str(value)
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": jwk_of(key.public_key())["kid"]})


def _dev_sub(name: str, asn_id: UUID | None) -> str:
    # stable per demo user, so signing in twice as "Siti" is the same account
    return str(asn_id) if asn_id else str(uuid5(NAMESPACE_URL, f"kinerja-dev:{name}"))


def _safe_next(next_url: str | None, fallback: str) -> str:
    # only same-site paths: an open redirect on a sign-in page is a phishing tool
    if next_url and next_url.startswith("/") and not next_url.startswith("//") and "\\" not in next_url:
        return next_url
    return fallback


def _home(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/") + "/"


def _optional_uuid(raw: str, label: str, errors: list[str]) -> UUID | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return UUID(raw)
    except ValueError:
        errors.append(f"{label} harus berupa UUID yang sah.")
        return None


DEMO_USERS_FILE: Final = "demo-users.json"  # written next to the key by the demo loader (kinerja-demo)


def demo_users(key_path: Path) -> list[dict[str, Any]]:
    """The demo loader's users for the sign-in picker: one per role, from `demo-users.json` beside the key.

    Each has label, name, roles, regency_id, province_id, asn_id and about; a missing or unreadable file gives
    none (the free form stays).
    """
    try:
        raw = json.loads((key_path.parent / DEMO_USERS_FILE).read_text())
    except (OSError, ValueError):
        return []
    users = raw.get("users", []) if isinstance(raw, dict) else []
    out: list[dict[str, Any]] = []
    for u in users:
        if isinstance(u, dict) and u.get("name") and isinstance(u.get("roles"), list):
            keys = ("label", "name", "regency_id", "province_id", "asn_id", "about")
            out.append({k: str(u.get(k) or "") for k in keys}
                       | {"roles": [str(r) for r in u["roles"]]})  # fmt: skip
    return out


def dev_login_router(settings: ServiceSettings) -> APIRouter:
    """GET/POST /dev/login, GET /dev/logout, GET /dev/jwks.json for local/demo use; refused in production."""
    refuse_in_production(settings)
    if settings.dev_issuer_key_file is None:
        raise DevIssuerRefused("DEV_ISSUER_KEY_FILE is not set")
    key_path = settings.dev_issuer_key_file
    # the sign-in door itself; mounted only outside production
    router = APIRouter(
        prefix="/dev", tags=["dev"], include_in_schema=False, dependencies=[public("dev sign-in (not in production)")]
    )

    async def _form(request: Request, values: dict[str, Any], errors: Sequence[str], status_code: int) -> Response:
        users = await run_in_threadpool(demo_users, key_path)
        return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
            request,
            "dev_login.html",
            {"values": values, "errors": errors, "role_labels": ROLE_LABELS, "demo_users": users},
            status_code=status_code,
        )

    @router.get("/login", name="dev_login", response_class=HTMLResponse)
    async def dev_login_form(
        request: Request,
        name: Annotated[str, Query(max_length=200)] = "",
        role: Annotated[list[str] | None, Query()] = None,
        regency_id: Annotated[str, Query(max_length=64)] = "",
        province_id: Annotated[str, Query(max_length=64)] = "",
        asn_id: Annotated[str, Query(max_length=64)] = "",
        next_url: Annotated[str, Query(alias="next", max_length=500)] = "",
    ) -> Response:
        """The demo sign-in form; query parameters pre-fill it so a demo script can link to a ready user."""
        values = {
            "name": name,
            "roles": role or [Role.ASN.value],
            "regency_id": regency_id,
            "province_id": province_id,
            "asn_id": asn_id,
            "next": next_url,
        }
        return await _form(request, values, [], 200)

    @router.post("/login", name="dev_login_submit")
    async def dev_login_submit(request: Request) -> Response:
        """Mint a token for the chosen demo user, put it in the session cookie and go back."""
        form = await request.form()
        errors: list[str] = []
        name = str(form.get("name", "")).strip()
        roles = [str(r) for r in form.getlist("roles")]
        values: dict[str, Any] = {
            "name": name,
            "roles": roles,
            "regency_id": str(form.get("regency_id", "")),
            "province_id": str(form.get("province_id", "")),
            "asn_id": str(form.get("asn_id", "")),
            "next": str(form.get("next", "")),
        }
        if not name:
            errors.append("Nama wajib diisi.")
        known = {r.value for r in Role}
        if not roles or any(r not in known for r in roles):
            errors.append("Pilih setidaknya satu peran yang dikenal.")
        regency_id = _optional_uuid(values["regency_id"], "ID kabupaten/kota", errors)
        province_id = _optional_uuid(values["province_id"], "ID provinsi", errors)
        asn_id = _optional_uuid(values["asn_id"], "ID ASN", errors)
        if not errors:
            try:
                token = mint_token(
                    key_path,
                    sub=_dev_sub(name, asn_id),
                    roles=roles,
                    regency_id=regency_id,
                    province_id=province_id,
                    asn_id=asn_id,
                    name=name,
                    issuer=settings.jwt_issuer,
                    audience=settings.jwt_audience,
                )
            except ValidationError:
                errors.append("Peran ASN, atasan dan admin BKPSDM memerlukan ID kabupaten/kota.")
        if errors:
            return await _form(request, values, errors, 422)
        response = RedirectResponse(_safe_next(values["next"], _home(request)), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(DEFAULT_TTL.total_seconds()),
            path="/",  # every service behind the front door reads the same sign-in
            httponly=True,
            secure=request.url.scheme == "https",
            samesite="lax",  # with SameSite=Lax a cross-site form cannot ride on the cookie
        )
        return response

    @router.get("/logout", name="dev_logout")
    async def dev_logout(
        request: Request,
        next_url: Annotated[str, Query(alias="next", max_length=500)] = "",
    ) -> Response:
        """Forget the session cookie and go back."""
        response = RedirectResponse(_safe_next(next_url, _home(request)), status_code=303)
        response.delete_cookie(
            SESSION_COOKIE, path="/", httponly=True, secure=request.url.scheme == "https", samesite="lax"
        )
        return response

    @router.get("/jwks.json", name="dev_jwks")
    async def dev_jwks() -> dict[str, list[dict[str, str]]]:
        """The dev issuer's public key as a JWKS, so JWT_JWKS_URL can be exercised without a real IdP."""
        return {"keys": [jwk_of(public_key_of(key_path))]}

    return router


def _cli(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kinerja_shared.devissuer", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    keygen = sub.add_parser("keygen", help="create the ES256 key pair if missing; print the public key path")
    keygen.add_argument("--key", type=Path, help="private key (default: DEV_ISSUER_KEY_FILE)")
    mint = sub.add_parser("mint", help="print a signed token for a demo user")
    mint.add_argument("--key", type=Path, help="private key (default: DEV_ISSUER_KEY_FILE)")
    mint.add_argument("--role", action="append", choices=[r.value for r in Role], required=True)
    mint.add_argument("--name", default="Pengguna Demo")
    mint.add_argument("--sub", help="user id (default: derived from --asn or --name)")
    mint.add_argument("--regency", type=UUID)
    mint.add_argument("--province", type=UUID)
    mint.add_argument("--asn", type=UUID)
    mint.add_argument("--issuer", help="default: JWT_ISSUER")
    mint.add_argument("--audience", help="default: JWT_AUDIENCE")
    mint.add_argument("--ttl", type=int, default=int(DEFAULT_TTL.total_seconds()), help="seconds")
    args = parser.parse_args(argv)

    try:
        settings = ServiceSettings()
        refuse_in_production(settings)
    except (ValidationError, DevIssuerRefused) as exc:
        sys.stderr.write(f"refused: {exc}\n")
        return 2
    key: Path | None = args.key or settings.dev_issuer_key_file
    if key is None:
        sys.stderr.write("refused: give --key or set DEV_ISSUER_KEY_FILE\n")
        return 2
    public = ensure_keypair(key)
    if args.command == "keygen":
        sys.stdout.write(f"{public}\n")
        return 0
    try:
        token = mint_token(
            key,
            sub=args.sub or _dev_sub(args.name, args.asn),
            roles=args.role,
            regency_id=args.regency,
            province_id=args.province,
            asn_id=args.asn,
            name=args.name,
            issuer=args.issuer or settings.jwt_issuer,
            audience=args.audience or settings.jwt_audience,
            ttl=timedelta(seconds=args.ttl),
        )
    except ValidationError as exc:
        sys.stderr.write(f"invalid claims: {exc}\n")
        return 2
    sys.stdout.write(token + "\n")  # stdout carries only the token, so `$(…)` captures it cleanly
    return 0


if __name__ == "__main__":
    raise SystemExit(_cli())
