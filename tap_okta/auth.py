"""The two ways to authenticate to Okta, one Authenticator subclass each.

- ``OktaApiKeyAuthenticator``: an API token, sent as ``Authorization: SSWS``.
- ``OktaServiceAppAuthenticator``: an OAuth 2.0 service app. Okta's flow is
  ``client_credentials`` with a ``private_key_jwt`` client assertion, which the
  SDK's ``OAuthJWTAuthenticator`` does not send (it uses the JWT-bearer
  grant), so this subclasses ``OAuthAuthenticator``. One token serves the whole
  run and is renewed ahead of expiry. Apps that require DPoP get DPoP-bound
  tokens and a proof on every call.

Both refuse to sign a request for any origin other than the org's: this is
the last gate that keeps credentials with Okta, whatever URL reaches it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import time
import typing as t
import uuid
from urllib.parse import urlsplit, urlunsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from singer_sdk.authenticators import APIKeyAuthenticator, OAuthAuthenticator
from typing_extensions import override

from tap_okta.errors import OktaAuthError, OktaUnavailableError, UnsafeURLError, json_object
from tap_okta.redact import register_secret
from tap_okta.retry import TRANSIENT_ERRORS, Backoff, describe_transient, fail_fast, never_reached
from tap_okta.sessions import open_session
from tap_okta.settings import origin_of
from tap_okta.transport import guard

if t.TYPE_CHECKING:
    from tap_okta.keys import SigningKey
    from tap_okta.ratelimit import RateLimiter, ServerClock
    from tap_okta.settings import OrgURL

logger = logging.getLogger("tap-okta")

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_BUCKET = "/oauth2/v1/token"  # noqa: S105 (a path)
# Okta rejects assertions valid for more than an hour; a few minutes is plenty.
ASSERTION_LIFETIME_SECONDS = 300
# Renew this long before expiry (capped to a tenth of short lifetimes).
RENEWAL_MARGIN_SECONDS = 300.0


def ensure_org_origin(url: str | None, org: OrgURL) -> None:
    """Refuse to attach credentials to a request for another origin."""
    if not org.owns(url):
        raise UnsafeURLError(
            f"Refusing to send Okta credentials to {origin_of(url) or 'an empty URL'}: "
            f"only the org's own origin {org.origin} receives them. A link or redirect "
            "from Okta pointed elsewhere; check org_url and any proxy in between."
        )


class OktaApiKeyAuthenticator(APIKeyAuthenticator):
    """``Authorization: SSWS <api_key>`` on every request to the org."""

    def __init__(self, *, api_key: str, org: OrgURL) -> None:
        register_secret(api_key)
        super().__init__(key="Authorization", value=f"SSWS {api_key}", location="header")
        self._org = org

    @override
    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        ensure_org_origin(request.url, self._org)
        return super().authenticate_request(request)

    def invalidate(self) -> None:
        """API tokens cannot be renewed; a rejected one is a configuration error."""

    def observe(self, response: requests.Response) -> None:
        """Nothing to learn from responses for API tokens."""

    def grants(self, scope: str) -> bool:
        """API tokens have no scopes: the admin's role decides, call by call."""
        return True


class DPoPProver:
    """Signs DPoP proofs (RFC 9449) with a key that lives only for this run."""

    def __init__(self, clock: ServerClock) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._jwk = json.loads(ECAlgorithm.to_jwk(self._key.public_key()))
        self._clock = clock
        self.nonce: str | None = None

    def proof(self, method: str, url: str, access_token: str | None = None) -> str:
        parts = urlsplit(url)
        claims: dict[str, t.Any] = {
            "htm": method.upper(),
            "htu": urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
            "iat": int(self._clock.now()),
            "jti": uuid.uuid4().hex,
        }
        if self.nonce:
            claims["nonce"] = self.nonce
        if access_token:
            digest = hashlib.sha256(access_token.encode()).digest()
            claims["ath"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return jwt.encode(
            claims, self._key, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": self._jwk}
        )


class OktaServiceAppAuthenticator(OAuthAuthenticator):
    """OAuth 2.0 client credentials with a private-key-signed client assertion."""

    def __init__(
        self,
        *,
        org: OrgURL,
        client_id: str,
        key_id: str,
        signing_key: SigningKey,
        scopes: t.Sequence[str],
        rate_limiter: RateLimiter,
        timeout: float,
        optional_scopes: t.Sequence[str] = (),
        backoff: Backoff | None = None,
        needed_by: t.Mapping[str, t.Sequence[str]] | None = None,
    ) -> None:
        super().__init__(
            auth_endpoint=org.token_url,
            oauth_scopes=" ".join([*scopes, *optional_scopes]),
            client_id=client_id,
        )
        self._required_scopes = " ".join(scopes)
        # Scopes worth having but not worth failing for (the change feed's):
        # Okta refuses the whole request if one of them was not granted.
        self._optional_scopes = tuple(optional_scopes)
        #: Scope -> the selected streams that need it, for the invalid_scope message.
        self._needed_by = dict(needed_by or {})
        self._org = org
        self._key_id = key_id
        self._signing_key = signing_key
        self._limiter = rate_limiter
        self._clock = rate_limiter.server_clock
        self._timeout = timeout
        self._backoff = backoff or Backoff()
        # Token requests must not go through the API session: its auth hook is
        # this very authenticator.
        self._session = guard(open_session(org.origin))
        self._expires_at = 0.0  # monotonic
        self._token_type = "Bearer"  # noqa: S105 (a scheme)
        self._dpop: DPoPProver | None = None
        self._granted: frozenset[str] = frozenset()
        # After Okta refused the whole set: the optional scope being tried alone on top
        # of those granted so far, and those still to try.
        self._probe: str | None = None
        self._untried: tuple[str, ...] = ()
        self._probed = False
        self._refused_one = False  # a probe was refused
        self._refused = ""  # the whole set Okta refused, for the error if none is granted

    # --- the token request -------------------------------------------------

    @property
    @override
    def oauth_scopes(self) -> str:
        probe = [self._probe] if self._probe else []
        return " ".join(filter(None, [self._required_scopes, *self._optional_scopes, *probe]))

    @property
    @override
    def oauth_request_body(self) -> dict[str, t.Any]:
        return {
            "grant_type": "client_credentials",
            "scope": self.oauth_scopes,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": self._client_assertion(),
        }

    def _client_assertion(self) -> str:
        # Okta's clock decides iat/exp validity, so sign with its time.
        now = int(self._clock.now())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self._org.token_url,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECONDS,
            "jti": uuid.uuid4().hex,
        }
        assertion = jwt.encode(
            claims,
            self._signing_key.key,
            algorithm=self._signing_key.algorithm,
            headers={"kid": self._key_id},
        )
        register_secret(assertion)
        return assertion

    @override
    def is_token_valid(self) -> bool:
        if not self.access_token or self.expires_in is None:
            return False
        margin = min(RENEWAL_MARGIN_SECONDS, self.expires_in / 10)
        return time.monotonic() < self._expires_at - margin

    def invalidate(self) -> None:
        """Forget the token so the next request fetches a fresh one."""
        self._expires_at = 0.0

    def grants(self, scope: str) -> bool:
        """Whether the run's access token carries ``scope`` (fetching one if need be):
        a call that needs a scope Okta did not grant would only draw a 403."""
        if not self.is_token_valid():
            self.update_access_token()
        return scope in self._granted

    @override
    def update_access_token(self) -> None:
        """Fetch a token, riding through 5xx, 429 and network faults."""
        scopes = self.oauth_scopes or ""
        logger.info("Requesting an OAuth access token for scopes: %s", scopes)
        failures = 0
        nonce_retries = 0
        clock_retry_done = False
        granted: dict[str, t.Any] | None = None
        while True:
            self._limiter.before_request(TOKEN_BUCKET)
            headers = {"Accept": "application/json"}
            if self._dpop:
                headers["DPoP"] = self._dpop.proof("POST", self._org.token_url)
            try:
                response = self._session.post(
                    self._org.token_url,
                    data=self.oauth_request_body,
                    headers=headers,
                    timeout=self._timeout,
                    allow_redirects=False,
                )
                body = json_object(response)
            except TRANSIENT_ERRORS as exc:
                fail_fast(exc, self._org.origin)
                failures += 1
                self._back_off(failures, describe_transient(exc), reached=not never_reached(exc))
                continue
            self._clock.observe(response)
            self._limiter.observe(TOKEN_BUCKET, response)
            error = str(body.get("error") or "") if body is not None else ""
            if response.status_code == 429:
                self._limiter.after_429(TOKEN_BUCKET, response, attempt=failures + 1)
                continue
            if 300 <= response.status_code < 400:
                raise self._redirected(response)
            if response.status_code >= 500 or body is None:
                failures += 1
                what = (
                    f"HTTP {response.status_code}"
                    if body is not None
                    else f"a non-JSON answer (HTTP {response.status_code})"
                )
                self._back_off(failures, what, reached=True)
                continue
            if response.ok and body.get("access_token"):
                if self._probe is not None:
                    self._optional_scopes += (self._probe,)
                    self._probe = None
                if self._untried and self._next_probe():
                    register_secret(str(body["access_token"]))
                    granted = body  # the token to keep should no later probe be granted
                    continue
                self._accept_token(body)
                return
            if error == "use_dpop_nonce" and self._dpop and nonce_retries < 2:
                nonce_retries += 1
                self._dpop.nonce = response.headers.get("DPoP-Nonce")
                continue
            if error == "invalid_dpop_proof" and self._dpop is None:
                logger.info("The service app requires DPoP; switching to DPoP-bound access tokens.")
                self._dpop = DPoPProver(self._clock)
                continue
            description = str(body.get("error_description") or "")
            if error == "invalid_scope" and self._probe is not None:
                logger.info("Okta refused the optional scope %s.", self._probe)
                self._probe = None
                self._refused_one = True
                if self._untried and self._next_probe():
                    continue
                if granted is None:  # none granted, and none is required
                    raise self._token_error(response.status_code, error, description)
                self._accept_token(granted)
                return
            if error == "invalid_scope" and self._optional_scopes and not self._probed:
                # Okta does not say which scope it refused: ask for the optional ones
                # one at a time, so that one refused scope costs only the streams that
                # need it (dropping them from the end would lose every later one too).
                logger.info(
                    "Okta refused the scopes %s (%s); asking for the optional ones one at a time.",
                    self.oauth_scopes,
                    description or error,
                )
                self._probed = True
                self._refused = self.oauth_scopes
                self._untried, self._optional_scopes = self._optional_scopes, ()
                # The required ones alone first (refused: that is the error); with none
                # required, the first optional one.
                if not self._required_scopes and not self._next_probe():
                    raise self._token_error(response.status_code, error, description)
                continue
            if error == "invalid_client" and _clock_related(description) and not (clock_retry_done):
                # The assertion is re-signed with Okta's clock, now known from Date.
                clock_retry_done = True
                continue
            raise self._token_error(response.status_code, error, description)

    def _next_probe(self) -> bool:
        """Take the next optional scope to try; False when none is worth asking for:
        the last one, when Okta granted every other, is the one it refused."""
        if len(self._untried) == 1 and not self._refused_one:
            logger.info("Okta refused the optional scope %s.", self._untried[0])
            self._untried = ()
        if not self._untried:
            return False
        self._probe, self._untried = self._untried[0], self._untried[1:]
        return True

    def _back_off(self, failures: int, what: str, *, reached: bool) -> None:
        if self._backoff.gives_up(failures, reached=reached):
            hint = (
                "check org_url and the network (proxy, firewall, DNS)"
                if not reached
                else "Okta may be degraded; re-run later (the run resumes from its state)"
            )
            raise OktaUnavailableError(
                f"Could not get an access token from {self._org.token_url}: {what} "
                f"after {failures} attempts; {hint}."
            )
        self._backoff.pause(failures, f"Token request failed ({what})")

    def _accept_token(self, body: dict[str, t.Any]) -> None:
        token = str(body["access_token"])
        register_secret(token)
        self.access_token = token
        self.expires_in = _lifetime(body.get("expires_in"))
        self._expires_at = time.monotonic() + self.expires_in
        self._token_type = str(body.get("token_type") or "Bearer")
        # Okta names the granted scopes; without the field, what was asked for.
        self._granted = frozenset(str(body.get("scope") or self.oauth_scopes).split())
        logger.info(
            "Got a %s access token valid for %d s (scopes: %s).",
            self._token_type,
            self.expires_in,
            body.get("scope", self.oauth_scopes),
        )

    def _redirected(self, response: requests.Response) -> OktaAuthError:
        location = origin_of(response.headers.get("Location")) or "no location"
        return OktaAuthError(
            f"The token endpoint {self._org.token_url} answered with a redirect "
            f"(HTTP {response.status_code} to {location}): a proxy or a login page is "
            "answering instead of Okta, and tap-okta sends no credentials through a "
            "redirect. org_url must be the org's API URL (https://NAME.okta.com); check "
            "HTTPS_PROXY and any proxy in between."
        )

    def _token_error(self, status: int, error: str, description: str) -> OktaAuthError:
        detail = f"{error}: {description}" if description else error or f"HTTP {status}"
        if error == "invalid_scope":
            needs = "; ".join(
                f"{scope} for {', '.join(streams)}"
                for scope, streams in self._needed_by.items()
                if streams
            )
            return OktaAuthError(
                f"Okta refused the scopes {self.oauth_scopes or self._refused} ({detail}): "
                "grant each of them "
                "to the service app (Okta Admin Console > Applications > your app > Okta "
                "API Scopes), or deselect the streams that need them, or set scopes."
                + (f" Needed: {needs}." if needs else ""),
                status=status,
                code=error,
            )
        if error == "invalid_client":
            return OktaAuthError(
                f"Okta rejected the service app's credentials ({detail}): "
                f"{_invalid_client_hint(description)}"
            )
        if error == "invalid_dpop_proof":
            return OktaAuthError(
                f"Okta rejected the DPoP proof ({detail}): check the machine clock; as a "
                "workaround turn off 'Require Demonstrating Proof of Possession (DPoP)' "
                "in the service app's General settings."
            )
        return OktaAuthError(
            f"Okta refused the access token request ({detail}): the service app must be "
            "an API Services app using 'Public key / Private key' client authentication, "
            "with client_id, key_id and private_key from that app."
        )

    # --- signing API requests ---------------------------------------------

    @override
    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        ensure_org_origin(request.url, self._org)
        if not self.is_token_valid():
            self.update_access_token()
        token = self.access_token or ""
        if self._token_type.lower() == "dpop" and self._dpop:
            request.headers["Authorization"] = f"DPoP {token}"
            request.headers["DPoP"] = self._dpop.proof(
                request.method or "GET", request.url or "", access_token=token
            )
        else:
            request.headers["Authorization"] = f"Bearer {token}"
        return request

    def observe(self, response: requests.Response) -> None:
        """Keep the resource server's DPoP nonce for the next proof."""
        nonce = response.headers.get("DPoP-Nonce")
        if nonce and self._dpop:
            self._dpop.nonce = nonce


#: Okta's access tokens live 5 minutes to a day (one hour by default).
DEFAULT_TOKEN_LIFETIME = 3600
MAX_TOKEN_LIFETIME = 86400


def _lifetime(expires_in: t.Any) -> int:
    """The token's lifetime in seconds from ``expires_in``; a value that is not a
    sane number of seconds is taken as Okta's default (a token rejected earlier is
    renewed on its 401 anyway)."""
    try:
        seconds = float(expires_in)
    except (TypeError, ValueError):
        seconds = math.nan
    if expires_in is None or not math.isfinite(seconds) or seconds <= 0:
        if expires_in is not None:
            logger.warning(
                "The token endpoint gave expires_in=%.40r, not a number of seconds; "
                "assuming Okta's default of %d s.",
                expires_in,
                DEFAULT_TOKEN_LIFETIME,
            )
        return DEFAULT_TOKEN_LIFETIME
    if seconds > MAX_TOKEN_LIFETIME:
        logger.warning(
            "The token endpoint gave expires_in=%.40r, longer than Okta's longest token "
            "lifetime; renewing it after %d s.",
            expires_in,
            MAX_TOKEN_LIFETIME,
        )
        return MAX_TOKEN_LIFETIME
    return int(seconds)


def _clock_related(description: str) -> bool:
    text = description.lower()
    return "expired" in text or "future" in text or "issued" in text


def _invalid_client_hint(description: str) -> str:
    text = description.lower()
    if "kid" in text:
        return (
            "key_id does not match any public key of the app; copy the Key ID (KID) "
            "shown under the app's Public Keys."
        )
    if "signature" in text and "algorithm" not in text:
        return (
            "private_key does not match the public key registered under key_id; use the "
            "private key generated together with that Key ID."
        )
    if "audience" in text:
        return "org_url must be the org's API URL (https://NAME.okta.com)."
    if "expired" in text or "future" in text:
        return "the machine's clock is far off; sync it (NTP) and re-run."
    if "private_key_jwt" in text:
        return (
            "set the app's client authentication to 'Public key / Private key' in its "
            "General settings."
        )
    return (
        "check client_id (the app's Client ID), key_id (its Key ID) and that private_key "
        "is the key registered for that Key ID, and that the app is active."
    )
