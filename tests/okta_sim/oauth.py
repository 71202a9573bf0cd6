"""Org authorization server: ``POST /oauth2/v1/token`` for service apps.

Client credentials with ``private_key_jwt`` only (as Okta requires for the org
authorization server), single-use assertion ``jti``, scope checks and DPoP
(RFC 9449) with server nonces.  Also the resource-server half of DPoP, used by
the HTTP layer for ``Authorization: DPoP`` calls.

JWT time claims (assertion ``exp``, proof ``iat``) are checked against the real
clock, not :class:`SimClock`: the client signs with its own real clock, and a
test that moves org time forward (to expire tokens) must still be able to
authenticate again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from . import errors
from .app_posture import FAMILIES
from .plain_lists import PLAIN_LISTS

if TYPE_CHECKING:
    from .org import Org

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALLOWED_ALGS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
EXP_LEEWAY_SECONDS = 30  # tolerated overshoot of "exp <= now + 1 h"
DPOP_MAX_AGE_SECONDS = 300  # proof iat accepted this far in the past
DPOP_FUTURE_SKEW_SECONDS = 60
ALL_READ_SCOPES = frozenset(
    {
        "okta.users.read",
        "okta.groups.read",
        "okta.apps.read",
        "okta.logs.read",
        "okta.roles.read",
        "okta.schemas.read",
        "okta.userTypes.read",
        # the security endpoints
        "okta.authenticators.read",
        "okta.devices.read",
        "okta.policies.read",
        "okta.networkZones.read",
        "okta.idps.read",
        "okta.authorizationServers.read",
        "okta.trustedOrigins.read",
        # the plain lists (plain_lists.py)
        *(entry.scope for entry in PLAIN_LISTS),
        # per-app grants, the org's settings and ThreatInsight (app_posture.py)
        *(f"okta.{family}.read" for family in FAMILIES),
    }
)

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

_B62 = string.ascii_letters + string.digits


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def new_kid() -> str:
    return b64url(secrets.token_bytes(32))


def generate_private_key(key_type: str = "RSA") -> PrivateKey:
    if key_type.upper() == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type.upper() == "EC":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"key_type must be RSA or EC, not {key_type!r}")


def private_key_pem(key: PrivateKey) -> str:
    """PKCS#8 PEM (``BEGIN PRIVATE KEY``), what the admin console hands out."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_jwk(key: PublicKey) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPublicKey):
        return dict(RSAAlgorithm.to_jwk(key, as_dict=True))
    return dict(ECAlgorithm.to_jwk(key, as_dict=True))


def load_public_key(value: Any) -> PublicKey:
    """Accept a cryptography public key, a PEM (str/bytes) or a JWK dict."""
    if isinstance(value, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        return value
    if isinstance(value, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        return value.public_key()
    if isinstance(value, dict):
        key = jwt.PyJWK.from_dict(value).key
    else:
        data = value.encode() if isinstance(value, str) else bytes(value)
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise TypeError("only RSA and EC public keys are supported")
    return key


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint (the ``jkt`` a DPoP token is bound to)."""
    members = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}
    required = members[str(jwk["kty"])]
    canon = json.dumps({k: jwk[k] for k in required}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canon.encode()).digest())


def access_token_hash(token: str) -> str:
    return b64url(hashlib.sha256(token.encode("ascii")).digest())


def _alg_for(key: PrivateKey) -> str:
    return "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"


@dataclass
class ServiceApp:
    """A registered API service app (client credentials + private_key_jwt)."""

    client_id: str
    scopes: set[str]
    require_dpop: bool
    permissions: set[str]
    key_id: str
    private_key_pem: str
    private_key: PrivateKey
    public_key: PublicKey
    keys: dict[str, PublicKey] = field(default_factory=dict)  # kid -> public key
    name: str = "tap-okta service app"

    def client_assertion(
        self,
        audience: str,
        *,
        lifetime: int = 300,
        jti: str | None = None,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """Sign an assertion the way a correct client would (tests override claims)."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "iat": now,
            "exp": now + lifetime,
            "jti": jti or secrets.token_hex(16),
        }
        body.update(claims)
        hdr = {"kid": self.key_id}
        hdr.update(headers or {})
        alg = str(hdr.pop("alg", _alg_for(self.private_key)))
        return jwt.encode(body, self.private_key, algorithm=alg, headers=hdr)

    def as_json(self) -> dict[str, str]:
        return {
            "client_id": self.client_id,
            "key_id": self.key_id,
            "private_key": self.private_key_pem,
        }


class DPoPKey:
    """Client-side DPoP helper (tests and demos): a key pair that signs proofs."""

    def __init__(self, key_type: str = "EC") -> None:
        self.private_key = generate_private_key(key_type)
        self.public_jwk = public_jwk(self.private_key.public_key())
        self.thumbprint = jwk_thumbprint(self.public_jwk)

    def proof(
        self,
        htm: str,
        htu: str,
        *,
        nonce: str | None = None,
        access_token: str | None = None,
        iat: int | None = None,
        jti: str | None = None,
        typ: str = "dpop+jwt",
    ) -> str:
        claims: dict[str, Any] = {
            "htm": htm,
            "htu": htu,
            "iat": int(time.time()) if iat is None else iat,
            "jti": jti or secrets.token_hex(16),
        }
        if nonce is not None:
            claims["nonce"] = nonce
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        return jwt.encode(
            claims,
            self.private_key,
            algorithm=_alg_for(self.private_key),
            headers={"typ": typ, "jwk": self.public_jwk},
        )


@dataclass
class IssuedToken:
    access_token: str
    client_id: str
    scopes: list[str]
    issued_at: datetime
    expires_at: datetime
    jkt: str | None = None  # DPoP binding (RFC 7638 thumbprint); None for Bearer
    revoked: bool = False

    @property
    def token_type(self) -> str:
        return "DPoP" if self.jkt else "Bearer"


@dataclass
class TokenResponse:
    status: int
    body: dict[str, Any]
    headers: list[tuple[str, str]] = field(default_factory=list)


class DPoPError(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


def _strip_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def verify_dpop_proof(
    proof: str,
    *,
    htm: str,
    htu_candidates: list[str],
    used_jtis: set[str],
    access_token: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """Validate a DPoP proof; return (jkt, claims).  Does not consume the jti."""
    try:
        header = jwt.get_unverified_header(proof)
    except jwt.PyJWTError:
        raise DPoPError("The DPoP proof JWT is malformed.") from None
    if header.get("typ") != "dpop+jwt":
        raise DPoPError("'typ' header in the DPoP proof JWT is invalid.")
    alg = header.get("alg")
    if alg not in ALLOWED_ALGS:
        raise DPoPError("'alg' header in the DPoP proof JWT is invalid.")
    jwk = header.get("jwk")
    private_members = {"d", "p", "q", "dp", "dq", "qi"}
    if (
        not isinstance(jwk, dict)
        or private_members & set(jwk)
        or jwk.get("kty") not in ("RSA", "EC")
    ):
        raise DPoPError("'jwk' header in the DPoP proof JWT is invalid.")
    try:
        key = jwt.PyJWK.from_dict(jwk).key
        payload = jwt.PyJWS().decode_complete(proof, key=key, algorithms=[str(alg)])["payload"]
        claims = json.loads(payload)
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        raise DPoPError("The DPoP proof JWT signature is invalid.") from None
    if not isinstance(claims, dict):
        raise DPoPError("The DPoP proof JWT is malformed.")
    if claims.get("htm") != htm:
        raise DPoPError("'htm' claim in the DPoP proof JWT is invalid.")
    htu = claims.get("htu")
    if not isinstance(htu, str) or _strip_url(htu) not in htu_candidates:
        raise DPoPError("'htu' claim in the DPoP proof JWT is invalid.")
    iat = claims.get("iat")
    now = time.time()
    if (
        not isinstance(iat, (int, float))
        or isinstance(iat, bool)
        or iat < now - DPOP_MAX_AGE_SECONDS
        or iat > now + DPOP_FUTURE_SKEW_SECONDS
    ):
        raise DPoPError("'iat' claim in the DPoP proof JWT is invalid.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise DPoPError("'jti' claim in the DPoP proof JWT is invalid.")
    if jti in used_jtis:
        raise DPoPError("'jti' claim in the DPoP proof JWT has already been used.")
    if access_token is not None and claims.get("ath") != access_token_hash(access_token):
        raise DPoPError("'ath' claim in the DPoP proof JWT is invalid.")
    return jwk_thumbprint(jwk), claims


def _invalid_client(description: str = errors.INVALID_CLIENT_GENERIC) -> TokenResponse:
    return TokenResponse(401, errors.oauth_error("invalid_client", description))


def _bad(
    error: str, description: str, headers: list[tuple[str, str]] | None = None
) -> TokenResponse:
    return TokenResponse(400, errors.oauth_error(error, description), headers or [])


def handle_token_request(
    org: Org,
    form: dict[str, str],
    *,
    dpop_header: str | None,
    token_urls: list[str],
    has_basic_auth: bool = False,
) -> TokenResponse:
    """The whole token endpoint; ``token_urls`` are this server's token URLs."""
    if form.get("grant_type") != "client_credentials":
        return _bad(
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server. "
            "Configured grant types: [client_credentials].",
        )
    assertion = form.get("client_assertion")
    if not assertion:
        if form.get("client_secret") or has_basic_auth:
            return _invalid_client(errors.NEEDS_PRIVATE_KEY_JWT)
        if form.get("client_assertion_type") not in (None, ASSERTION_TYPE):
            return _bad("invalid_request", errors.ASSERTION_TYPE_INVALID)
        return _bad("invalid_request", "The client_assertion parameter is required.")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        return _bad("invalid_request", errors.ASSERTION_TYPE_INVALID)

    # --- client authentication (private_key_jwt) ---------------------------------------
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        return _invalid_client()
    alg = header.get("alg")
    if alg not in ALLOWED_ALGS:
        return _invalid_client(errors.ALG_INVALID)
    with org.lock:
        owner = org.key_owner(header.get("kid"))
    if owner is None:
        return _invalid_client(errors.KID_INVALID)
    app, public_key = owner
    if isinstance(public_key, rsa.RSAPublicKey) != str(alg).startswith("RS"):
        return _invalid_client(errors.ALG_INVALID)
    try:
        payload = jwt.PyJWS().decode_complete(assertion, key=public_key, algorithms=[str(alg)])
        claims = json.loads(payload["payload"])
    except jwt.InvalidSignatureError:
        return _invalid_client(errors.SIG_INVALID)
    except (jwt.PyJWTError, ValueError):
        return _invalid_client()
    if not isinstance(claims, dict):
        return _invalid_client()
    if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
        return _invalid_client()
    if form.get("client_id") not in (None, app.client_id):
        return _invalid_client()
    # "the endpoint invoked for the request": this server's token URL, exactly as the client
    # addressed it (no trailing slash, not the org base URL, not a custom AS).
    if claims.get("aud") not in token_urls:
        return _invalid_client(errors.AUD_INVALID)
    exp = claims.get("exp")
    now = time.time()
    if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp <= now:
        return _invalid_client(errors.EXPIRED)
    if exp > now + 3600 + EXP_LEEWAY_SECONDS:
        return _invalid_client(errors.EXP_TOO_FAR)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        return _invalid_client()
    with org.lock:
        if jti in org.used_assertion_jtis:
            return _invalid_client(errors.JTI_REUSED)

    # --- scopes: all or nothing ---------------------------------------------------------
    requested = (form.get("scope") or "").split()
    if not requested:
        return _bad("invalid_scope", errors.NO_SCOPES)
    if any(s not in app.scopes for s in requested):
        return _bad("invalid_scope", errors.SCOPE_INVALID)

    # --- DPoP -------------------------------------------------------------------------
    jkt: str | None = None
    proof_jti: str | None = None
    if app.require_dpop:
        if not dpop_header:
            return _bad("invalid_dpop_proof", errors.DPOP_MISSING)
        with org.lock:
            try:
                jkt, proof = verify_dpop_proof(
                    dpop_header,
                    htm="POST",
                    htu_candidates=token_urls,
                    used_jtis=org.used_dpop_jtis,
                )
            except DPoPError as exc:
                return _bad("invalid_dpop_proof", exc.description)
            nonce = proof.get("nonce")
            if not isinstance(nonce, str) or not org.dpop_nonce_valid(nonce):
                return _bad(
                    "use_dpop_nonce",
                    errors.DPOP_NONCE_NEEDED,
                    [("DPoP-Nonce", org.current_dpop_nonce())],
                )
            proof_jti = str(proof["jti"])

    # --- success: consume single-use values, issue the token ----------------------------
    # (jti values are consumed only here, so a nonce round-trip can resend the assertion)
    with org.lock:
        if jti in org.used_assertion_jtis:
            return _invalid_client(errors.JTI_REUSED)
        org.used_assertion_jtis.add(jti)
        if proof_jti is not None:
            org.used_dpop_jtis.add(proof_jti)
        issued = org.issue_token(app.client_id, requested, jkt=jkt)
    return TokenResponse(
        200,
        {
            "token_type": issued.token_type,
            "expires_in": org.token_lifetime_seconds,
            "access_token": issued.access_token,
            "scope": " ".join(requested),
        },
        [("Cache-Control", "no-store"), ("Pragma", "no-cache")],
    )


def random_token() -> str:
    # Opaque, JWT-length-ish; clients must not parse it.
    return "".join(secrets.choice(_B62) for _ in range(64))
