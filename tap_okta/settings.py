"""Turn the raw config into checked settings, with one clear error per mistake."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import logging
import typing as t
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna

from tap_okta.errors import ConfigError
from tap_okta.keys import SigningKey, load_signing_key
from tap_okta.redact import register_secret

logger = logging.getLogger("tap-okta")

API_KEY = "api_key"
SERVICE_APP = "service_app"
SERVICE_APP_SETTINGS = ("client_id", "key_id", "private_key")

# The optional settings' defaults: tap.py's config schema (what --about and
# Meltano show) uses these, and tests/test_consistency.py holds meltano.yml
# and the Hub definition to that schema.
DEFAULT_RATE_LIMIT_SHARE = 0.5
DEFAULT_RATE_LIMIT_MAX_WAIT = 900
DEFAULT_REQUEST_TIMEOUT = 60
DEFAULT_FULL_SYNC_INTERVAL_DAYS = 7
# Under an hourly schedule with room to spare; a longer read goes on next run.
DEFAULT_MAX_RUN_SECONDS = 3000

# Domains Okta serves orgs from; only these get the "-admin" host correction
# (custom domains have no admin twin).
_OKTA_DOMAINS = (
    "okta.com",
    "oktapreview.com",
    "okta-emea.com",
    "okta-gov.com",
    "okta.mil",
    "trexcloud.com",
)
_ADMIN_SUFFIX = "-admin"


def _admin_twins(host: str) -> tuple[str, str] | None:
    """(API host, Admin Console host) of an Okta-served org, given either of them."""
    label, _, domain = host.partition(".")
    if domain not in _OKTA_DOMAINS:
        return None
    api_label = label.removesuffix(_ADMIN_SUFFIX)
    return f"{api_label}.{domain}", f"{api_label}{_ADMIN_SUFFIX}.{domain}"


def origin_of(url: str | None) -> str:
    """``scheme://netloc`` of a URL, lower-cased ("" for an empty one)."""
    parts = urlsplit(url or "")
    if not parts.scheme and not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass(frozen=True)
class OrgURL:
    """The org's API origin: scheme, host and port, nothing else."""

    scheme: str
    host: str
    port: int | None

    @property
    def origin(self) -> str:
        port = f":{self.port}" if self.port else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}{port}"

    @property
    def token_url(self) -> str:
        return f"{self.origin}/oauth2/v1/token"

    @property
    def admin_host(self) -> str | None:
        """The admin-console twin of the host (``acme-admin.okta.com``), if any."""
        twins = _admin_twins(self.host)
        return twins[1] if twins else None

    def owns(self, url: str | None) -> bool:
        """Whether ``url`` is on the org's origin: the same scheme, host and port."""
        return origin_of(url) == self.origin.lower()


@dataclass(frozen=True)
class OktaSettings:
    """Validated settings the streams and authenticators rely on."""

    org: OrgURL
    auth_method: str
    api_key: str | None
    client_id: str | None
    key_id: str | None
    signing_key: SigningKey | None
    scopes: tuple[str, ...] | None
    start_date: dt.datetime | None
    rate_limit_share: float
    rate_limit_max_wait: float
    request_timeout: float
    include_client_secrets: bool
    full_sync_interval_days: float = DEFAULT_FULL_SYNC_INTERVAL_DAYS
    #: Seconds after which streams stop at a page boundary (0: no cap).
    max_run_seconds: float = DEFAULT_MAX_RUN_SECONDS


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_DEFAULT_PORTS = {"https": 443, "http": 80}


def _without_userinfo(text: str) -> str:
    """``text`` for an error message: anything up to an ``@`` in it may be a user
    name and password (even where it does not parse as a URL's userinfo)."""
    scheme, sep, rest = text.rpartition("://")
    if "@" in rest:
        rest = rest.rpartition("@")[2]
    return f"{scheme}{sep}{rest}" if sep else rest


def _ascii_host(host: str, shown: str) -> str:
    """``host`` as DNS and Okta's links spell it: an internationalised domain typed
    in Unicode becomes its punycode (IDNA) form, a trailing root dot is dropped."""
    host = host.removesuffix(".")
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise ConfigError(
            f"org_url {shown!r} has a host name that is not a valid internationalised "
            "domain name: expected something like https://acme.okta.com."
        ) from None


def parse_org_url(raw: t.Any) -> OrgURL:
    """Normalize ``org_url``; tolerate paths and admin-console hosts."""
    if not raw or not str(raw).strip():
        raise ConfigError(
            "org_url is required: set it to your Okta org's URL, e.g. "
            "https://acme.okta.com (TAP_OKTA_ORG_URL)."
        )
    text = str(raw).strip()
    shown = _without_userinfo(text)
    not_a_url = ConfigError(
        f"org_url {shown!r} is not a URL: expected something like https://acme.okta.com."
    )
    if "://" not in text:
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise not_a_url from None
    if parts.username or parts.password:
        raise ConfigError(
            "org_url must not contain a user name or password: credentials go in "
            "api_key or the service app settings."
        )
    host = (parts.hostname or "").lower()
    if parts.scheme not in {"http", "https"} or not host or " " in text:
        raise not_a_url
    host = _ascii_host(host, shown)
    if not host:
        raise not_a_url
    if port == _DEFAULT_PORTS[parts.scheme]:
        # Okta's links never name the default port: keeping it would make every
        # next link look like another origin.
        port = None
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigError(
            f"org_url {parts.scheme}://{host} is not https: Okta is only reachable over "
            "https (plain http is accepted for loopback hosts such as the bundled "
            "simulator)."
        )
    twins = _admin_twins(host)
    if twins and host == twins[1]:
        logger.warning(
            "org_url %s is the Admin Console host; using the API host %s instead.",
            host,
            twins[0],
        )
        host = twins[0]
    if parts.path.strip("/") or parts.query:
        logger.info("org_url: ignoring the path of %s; using the org origin.", shown)
    return OrgURL(scheme=parts.scheme, host=host, port=port)


def _present(config: t.Mapping[str, t.Any], name: str) -> bool:
    value = config.get(name)
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def choose_auth_method(config: t.Mapping[str, t.Any]) -> str:
    """Exactly one complete method must be configured."""
    has_key = _present(config, "api_key")
    app_given = [name for name in SERVICE_APP_SETTINGS if _present(config, name)]
    if has_key and app_given:
        raise ConfigError(
            "Both authentication methods are configured (api_key and "
            f"{', '.join(app_given)}): keep either api_key or the service app settings "
            "client_id, key_id and private_key."
        )
    if has_key:
        return API_KEY
    if not app_given:
        raise ConfigError(
            "No credentials configured: set api_key (an Okta API token) or client_id, "
            "key_id and private_key (an OAuth 2.0 service app)."
        )
    missing = [name for name in SERVICE_APP_SETTINGS if name not in app_given]
    if missing:
        raise ConfigError(
            f"The service app method needs client_id, key_id and private_key: "
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing."
        )
    return SERVICE_APP


def parse_start_date(raw: t.Any) -> dt.datetime | None:
    """``start_date`` as an aware datetime.

    One in the future is a warning, not an error: it only matters while a stream
    has no bookmark (a scheduled pipeline with state keeps running), and a first
    run from it reads nothing yet, which the warning says.
    """
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"start_date {text!r} is not an ISO 8601 date: use e.g. 2024-01-31 or "
            "2024-01-31T00:00:00Z."
        ) from None
    value = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if value > dt.datetime.now(dt.timezone.utc):
        logger.warning(
            "start_date %s is in the future: a stream without a bookmark reads nothing "
            "changed before it (no users, groups or events yet). Check the year, or "
            "unset start_date to read everything Okta keeps.",
            text,
        )
    return value


def parse_api_key(raw: t.Any) -> str:
    """The API token, refused (never quoted) when it holds what no token holds:
    it goes into an HTTP header, which a line break would cut and which carries
    Latin-1 only."""
    key = str(raw).strip()
    for position, char in enumerate(key, start=1):
        if not char.isascii() or not char.isprintable() or char.isspace():
            kind = (
                "a line break"
                if char in "\r\n"
                else "a space or control character"
                if char.isascii()
                else "a non-ASCII character"
            )
            raise ConfigError(
                f"api_key has {kind} at position {position}, which no Okta API token "
                "holds: copy the token again (one line, nothing around it) and set it as "
                "api_key (TAP_OKTA_API_KEY)."
            )
    return key


def parse_scopes(raw: t.Any) -> tuple[str, ...] | None:
    if raw is None or raw == "" or raw == []:
        return None
    items = raw if isinstance(raw, list) else str(raw).replace(",", " ").split()
    scopes = tuple(dict.fromkeys(str(s).strip() for s in items if str(s).strip()))
    bad = [s for s in scopes if not s.startswith("okta.")]
    if bad:
        raise ConfigError(f"scopes {bad} are not Okta API scopes: use names like okta.users.read.")
    return scopes


def _number(
    config: t.Mapping[str, t.Any], name: str, default: float, low: float, high: float
) -> float:
    raw = config.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number between {low} and {high}.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high} (got {value}).")
    return value


def _boolean(config: t.Mapping[str, t.Any], name: str) -> bool:
    raw = config.get(name, False)
    if isinstance(raw, str):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return bool(raw)


_JWK_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi")


def register_config_secrets(config: t.Mapping[str, t.Any]) -> None:
    api_key = config.get("api_key")
    register_secret(str(api_key) if api_key else None)
    private_key = config.get("private_key")
    if isinstance(private_key, str):
        register_secret(private_key)
        if private_key.lstrip().startswith("{"):
            with contextlib.suppress(ValueError):
                private_key = json.loads(private_key)
    if isinstance(private_key, dict):
        # A JWK's private members ("d", "p", …) are each a secret on their own.
        keys = private_key.get("keys")
        jwks: list[t.Any] = keys if isinstance(keys, list) else [private_key]
        for jwk in jwks:
            for member in _JWK_PRIVATE_MEMBERS:
                value = jwk.get(member) if isinstance(jwk, dict) else None
                register_secret(value if isinstance(value, str) else None)


def load_settings(config: t.Mapping[str, t.Any]) -> OktaSettings:
    """Validate the whole config; the first problem found is raised."""
    register_config_secrets(config)
    org = parse_org_url(config.get("org_url"))
    method = choose_auth_method(config)
    signing_key = None
    if method == SERVICE_APP:
        signing_key = load_signing_key(config["private_key"])
    return OktaSettings(
        org=org,
        auth_method=method,
        api_key=parse_api_key(config["api_key"]) if method == API_KEY else None,
        client_id=str(config["client_id"]).strip() if method == SERVICE_APP else None,
        key_id=str(config["key_id"]).strip() if method == SERVICE_APP else None,
        signing_key=signing_key,
        scopes=parse_scopes(config.get("scopes")),
        start_date=parse_start_date(config.get("start_date")),
        rate_limit_share=_number(config, "rate_limit_share", DEFAULT_RATE_LIMIT_SHARE, 0.05, 1.0),
        rate_limit_max_wait=_number(
            config, "rate_limit_max_wait", DEFAULT_RATE_LIMIT_MAX_WAIT, 0, 86400
        ),
        request_timeout=_number(config, "request_timeout", DEFAULT_REQUEST_TIMEOUT, 1, 600),
        include_client_secrets=_boolean(config, "include_client_secrets"),
        full_sync_interval_days=_number(
            config, "full_sync_interval_days", DEFAULT_FULL_SYNC_INTERVAL_DAYS, 0, 3650
        ),
        max_run_seconds=_number(config, "max_run_seconds", DEFAULT_MAX_RUN_SECONDS, 0, 7 * 86400),
    )
