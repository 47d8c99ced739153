"""JWT verification, Principal rules, the auth dependencies and the dev issuer (page, cookie, CLI)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter, Depends

from kinerja_shared import devissuer
from kinerja_shared.auth import (
    SESSION_COOKIE,
    CurrentPrincipal,
    InvalidToken,
    Principal,
    Role,
    TokenVerifier,
    build_verifier,
    require_roles,
)
from kinerja_shared.http import create_app
from kinerja_shared.settings import ServiceSettings

ISSUER = "https://sso.test/realms/kinerja"
AUDIENCE = "kinerja-test"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forged(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    # built by hand: PyJWT itself refuses to HMAC-sign with a PEM public key, an attacker's script would not
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest() if secret else b""
    return f"{signing_input}.{_b64(signature)}"


def _claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "name": "Siti Rahmawati",
        "roles": ["asn"],
        "regency_id": str(uuid4()),
        "asn_id": str(uuid4()),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture(scope="module")
def ec_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    private = tmp_path_factory.mktemp("keys") / "dev-issuer.pem"
    devissuer.ensure_keypair(private)
    return private


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def ec_verifier(ec_key: Path) -> TokenVerifier:
    return TokenVerifier(issuer=ISSUER, audience=AUDIENCE, public_key=devissuer.public_key_of(ec_key))


def _es256(ec_key: Path, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, devissuer.load_private_key(ec_key), algorithm="ES256")


# --- verification ---------------------------------------------------------------------------------


def test_es256_token_from_the_right_issuer_and_audience_is_accepted(ec_key: Path, ec_verifier: TokenVerifier) -> None:
    claims = _claims(roles=["asn", "atasan", "offline_access"])
    principal = ec_verifier.verify(_es256(ec_key, claims))
    assert principal.sub == "user-1"
    assert principal.name == "Siti Rahmawati"
    assert principal.roles == {Role.ASN, Role.ATASAN}  # the IdP's own role grants nothing
    assert principal.regency_id == UUID(claims["regency_id"])
    assert principal.asn_id == UUID(claims["asn_id"])


def test_rs256_token_is_accepted(rsa_key: rsa.RSAPrivateKey) -> None:
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, public_key=rsa_key.public_key())
    token = jwt.encode(_claims(roles=["admin_bkpsdm"]), rsa_key, algorithm="RS256")
    assert verifier.verify(token).roles == {Role.ADMIN_BKPSDM}


def test_keycloak_style_realm_roles_are_read() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, public_key=key.public_key())
    claims = _claims(roles=None, realm_access={"roles": ["inspektorat", "default-roles-kinerja"]})
    assert verifier.verify(jwt.encode(claims, key, algorithm="RS256")).roles == {Role.INSPEKTORAT}


def test_hs256_signed_with_the_public_key_is_rejected(rsa_key: rsa.RSAPrivateKey) -> None:
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, public_key=rsa_key.public_key())
    forged = _forged({"alg": "HS256", "typ": "JWT"}, _claims(roles=["admin_provinsi"]), public_pem)
    with pytest.raises(InvalidToken):
        verifier.verify(forged)


def test_alg_none_is_rejected(ec_verifier: TokenVerifier) -> None:
    with pytest.raises(InvalidToken):
        ec_verifier.verify(_forged({"alg": "none", "typ": "JWT"}, _claims(), None))


def test_es256_token_signed_by_another_key_is_rejected(ec_verifier: TokenVerifier, tmp_path: Path) -> None:
    other = tmp_path / "other.pem"
    devissuer.ensure_keypair(other)
    with pytest.raises(InvalidToken):
        ec_verifier.verify(_es256(other, _claims()))


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "https://evil.test/"},
        {"aud": "another-app"},
        {"iss": None},
        {"aud": None},
        {"exp": None},
        {"sub": None},
        {"exp": int((datetime.now(UTC) - timedelta(seconds=31)).timestamp()) - 1},
        {"roles": ["asn"], "regency_id": None},  # a regency role without its tenant
    ],
    ids=["wrong-iss", "wrong-aud", "no-iss", "no-aud", "no-exp", "no-sub", "expired", "asn-without-regency"],
)
def test_tokens_meant_for_someone_else_or_stale_are_rejected(
    ec_key: Path, ec_verifier: TokenVerifier, overrides: dict[str, Any]
) -> None:
    with pytest.raises(InvalidToken):
        ec_verifier.verify(_es256(ec_key, _claims(**overrides)))


def test_clock_skew_within_30_seconds_is_tolerated(ec_key: Path, ec_verifier: TokenVerifier) -> None:
    just_expired = int((datetime.now(UTC) - timedelta(seconds=20)).timestamp())
    assert ec_verifier.verify(_es256(ec_key, _claims(exp=just_expired))).sub == "user-1"


def test_garbage_is_rejected(ec_verifier: TokenVerifier) -> None:
    with pytest.raises(InvalidToken):
        ec_verifier.verify("not.a.jwt")


class _JwksHandler(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature fixed by http.server
        pass


@pytest.fixture
def jwks_url(ec_key: Path) -> Iterator[str]:
    _JwksHandler.body = json.dumps({"keys": [devissuer.jwk_of(devissuer.public_key_of(ec_key))]}).encode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JwksHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


async def test_jwks_url_verifies_tokens_with_a_kid(ec_key: Path, jwks_url: str) -> None:
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks_url)
    token = devissuer.mint_token(
        ec_key,
        sub="u-9",
        roles=[Role.ATASAN],
        regency_id=uuid4(),
        asn_id=None,
        name="Budi",
        issuer=ISSUER,
        audience=AUDIENCE,
    )
    assert (await verifier.verify_async(token)).sub == "u-9"
    with pytest.raises(InvalidToken):
        await verifier.verify_async(_es256(ec_key, _claims()))  # no kid: a JWKS cannot pick a key


def test_build_verifier_prefers_jwks_then_key_file_then_dev_key(ec_key: Path, tmp_path: Path) -> None:
    public = devissuer.public_key_path_for(ec_key)
    assert build_verifier(ServiceSettings(environment="test")) is None
    by_jwks = build_verifier(ServiceSettings(jwt_jwks_url="http://127.0.0.1:1/jwks", jwt_public_key_file=public))
    assert by_jwks is not None and by_jwks.fetches_keys
    by_file = build_verifier(ServiceSettings(jwt_public_key_file=public, jwt_issuer=ISSUER, jwt_audience=AUDIENCE))
    assert by_file is not None and not by_file.fetches_keys
    assert by_file.verify(_es256(ec_key, _claims())).sub == "user-1"
    by_dev = build_verifier(ServiceSettings(dev_issuer_key_file=ec_key, jwt_issuer=ISSUER, jwt_audience=AUDIENCE))
    assert by_dev is not None and by_dev.verify(_es256(ec_key, _claims())).sub == "user-1"


# --- Principal ------------------------------------------------------------------------------------


def test_regency_roles_see_only_their_regency_and_province_roles_see_their_province() -> None:
    home, other, province, other_province = uuid4(), uuid4(), uuid4(), uuid4()
    asn = Principal(sub="a", roles=frozenset({Role.ASN}), regency_id=home)
    assert asn.can_see_regency(home) and not asn.can_see_regency(other)
    inspektorat = Principal(sub="i", roles=frozenset({Role.INSPEKTORAT}), province_id=province)
    assert inspektorat.can_see_regency(other)
    assert inspektorat.can_see_regency(other, regency_province_id=province)
    assert not inspektorat.can_see_regency(other, regency_province_id=other_province)
    ops = Principal(sub="o", roles=frozenset({Role.OPS}))
    assert not ops.can_see_regency(home)
    assert asn.has_role(Role.ATASAN, Role.ASN) and not asn.has_role(Role.ADMIN_BKPSDM)


def test_regency_role_without_regency_is_invalid() -> None:
    with pytest.raises(ValueError, match="regency_id"):
        Principal(sub="x", roles=frozenset({Role.ATASAN}))


# --- dependencies over HTTP -----------------------------------------------------------------------


def _protected() -> APIRouter:
    router = APIRouter()

    @router.get("/saya")
    async def me(principal: CurrentPrincipal) -> dict[str, Any]:
        return {"sub": principal.sub, "roles": sorted(principal.roles)}

    @router.get("/laporan", dependencies=[Depends(require_roles(Role.ADMIN_BKPSDM, Role.ADMIN_PROVINSI))])
    async def report() -> dict[str, str]:
        return {"status": "ok"}

    return router


@pytest.fixture
def settings(ec_key: Path) -> ServiceSettings:
    return ServiceSettings(
        service="uji",
        environment="test",
        root_path="/evaluation",
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        dev_issuer_key_file=ec_key,
    )


@pytest.fixture
async def client(settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, title="Uji", description="Layanan uji", routers=[_protected()])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def test_missing_token_is_401_with_bearer_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/saya")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"]


async def test_invalid_token_is_401(client: httpx.AsyncClient, ec_key: Path) -> None:
    expired = _es256(ec_key, _claims(exp=int(datetime.now(UTC).timestamp()) - 120))
    response = await client.get("/saya", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_bearer_token_is_accepted(client: httpx.AsyncClient, ec_key: Path) -> None:
    token = _es256(ec_key, _claims(roles=["asn", "atasan"]))
    response = await client.get("/saya", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"sub": "user-1", "roles": ["asn", "atasan"]}


async def test_session_cookie_is_accepted(client: httpx.AsyncClient, ec_key: Path) -> None:
    token = _es256(ec_key, _claims())
    response = await client.get("/saya", headers={"Cookie": f"{SESSION_COOKIE}={token}"})
    assert response.status_code == 200
    assert response.json()["sub"] == "user-1"


async def test_wrong_role_is_403_with_a_clear_detail(client: httpx.AsyncClient, ec_key: Path) -> None:
    token = _es256(ec_key, _claims(roles=["asn"]))
    response = await client.get("/laporan", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json() == {"detail": "Akses ditolak: halaman ini memerlukan peran admin_bkpsdm, admin_provinsi."}


async def test_right_role_passes(client: httpx.AsyncClient, ec_key: Path) -> None:
    token = _es256(ec_key, _claims(roles=["admin_bkpsdm"]))
    response = await client.get("/laporan", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


async def test_without_any_key_configured_every_token_is_401(ec_key: Path) -> None:
    app = create_app(ServiceSettings(environment="test"), title="Uji", description="-", routers=[_protected()])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        response = await c.get("/saya", headers={"Authorization": f"Bearer {_es256(ec_key, _claims())}"})
        assert response.status_code == 401
        assert (await c.get("/dev/login")).status_code == 404  # no dev issuer, no dev sign-in page


# --- dev issuer -----------------------------------------------------------------------------------


async def test_dev_login_page_is_indonesian_and_prefilled(client: httpx.AsyncClient) -> None:
    regency = uuid4()
    response = await client.get("/dev/login", params={"role": "atasan", "regency_id": str(regency)})
    assert response.status_code == 200
    assert 'lang="id"' in response.text
    assert "Masuk sebagai pengguna demo" in response.text
    assert str(regency) in response.text
    assert 'action="/evaluation/dev/login"' in response.text


async def test_dev_login_sets_the_session_cookie_and_logout_clears_it(client: httpx.AsyncClient) -> None:
    regency, asn = uuid4(), uuid4()
    response = await client.post(
        "/dev/login",
        data={"name": "Siti", "roles": ["asn", "atasan"], "regency_id": str(regency), "asn_id": str(asn)},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/evaluation/"
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in set_cookie and "samesite=lax" in set_cookie.lower() and "Path=/" in set_cookie
    assert "Secure" not in set_cookie  # plain http locally; https gets Secure (next test)

    me = await client.get("/saya")  # the client sends the cookie back
    assert me.status_code == 200
    assert me.json() == {"sub": str(asn), "roles": ["asn", "atasan"]}

    out = await client.get("/dev/logout")
    assert out.status_code == 303
    assert f'{SESSION_COOKIE}=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    assert (await client.get("/saya")).status_code == 401


async def test_dev_login_cookie_is_secure_over_https(settings: ServiceSettings) -> None:
    app = create_app(settings, title="Uji", description="-")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as c:
        response = await c.post("/dev/login", data={"name": "Ops", "roles": "ops"})
        assert response.status_code == 303
        assert "Secure" in response.headers["set-cookie"]


async def test_dev_login_refuses_open_redirects(client: httpx.AsyncClient) -> None:
    response = await client.post("/dev/login", data={"name": "Ops", "roles": "ops", "next": "//evil.test/x"})
    assert response.headers["location"] == "/evaluation/"
    response = await client.post(  # signed in now: a browser sends its Origin with the form (CSRF check)
        "/dev/login", data={"name": "Ops", "roles": "ops", "next": "/feedback/skm"}, headers={"origin": "http://test"}
    )
    assert response.headers["location"] == "/feedback/skm"


async def test_dev_login_explains_bad_input_in_indonesian(client: httpx.AsyncClient) -> None:
    response = await client.post("/dev/login", data={"name": "Siti", "roles": "asn", "asn_id": "bukan-uuid"})
    assert response.status_code == 422
    assert "ID ASN harus berupa UUID yang sah." in response.text
    response = await client.post("/dev/login", data={"name": "Siti", "roles": "asn"})
    assert response.status_code == 422
    assert "memerlukan ID kabupaten/kota" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_dev_jwks_publishes_the_key(client: httpx.AsyncClient, ec_key: Path) -> None:
    keys = (await client.get("/dev/jwks.json")).json()["keys"]
    assert keys == [devissuer.jwk_of(devissuer.public_key_of(ec_key))]
    assert keys[0]["alg"] == "ES256" and "d" not in keys[0]  # the public half only


def test_dev_issuer_is_refused_in_production(ec_key: Path) -> None:
    production = ServiceSettings(environment="production", jwt_public_key_file=ec_key)
    with pytest.raises(devissuer.DevIssuerRefused):
        devissuer.dev_login_router(production)
    with pytest.raises(ValueError, match="DEV_ISSUER_KEY_FILE"):
        ServiceSettings(environment="production", jwt_public_key_file=ec_key, dev_issuer_key_file=ec_key)


def test_ensure_keypair_keeps_an_existing_key(tmp_path: Path) -> None:
    private = tmp_path / "k" / "dev.pem"
    public = devissuer.ensure_keypair(private)
    first = private.read_bytes()
    assert public == tmp_path / "k" / "dev.pub.pem"
    assert devissuer.ensure_keypair(private) == public
    assert private.read_bytes() == first
    assert private.stat().st_mode & 0o777 == 0o600


def test_cli_mints_a_token_the_verifier_accepts(
    ec_key: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KINERJA_ENV", "development")
    regency, asn = uuid4(), uuid4()
    args = ["mint", "--key", str(ec_key), "--role", "asn", "--regency", str(regency), "--asn", str(asn)]
    args += ["--name", "Siti", "--issuer", ISSUER, "--audience", AUDIENCE]
    assert devissuer._cli(args) == 0
    token = capsys.readouterr().out.strip()
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, public_key=devissuer.public_key_of(ec_key))
    principal = verifier.verify(token)
    assert (principal.regency_id, principal.asn_id, principal.name) == (regency, asn, "Siti")


def test_cli_refuses_in_production(
    ec_key: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KINERJA_ENV", "production")
    monkeypatch.setenv("JWT_PUBLIC_KEY_FILE", str(devissuer.public_key_path_for(ec_key)))
    monkeypatch.delenv("DEV_ISSUER_KEY_FILE", raising=False)
    assert devissuer._cli(["mint", "--key", str(ec_key), "--role", "ops"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "refused" in captured.err
