"""Settings parsing: org URLs, the choice of method, and every private-key form."""

from __future__ import annotations

import json
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import RSAAlgorithm

from tap_okta.errors import ConfigError
from tap_okta.keys import load_signing_key
from tap_okta.redact import MASK, redact
from tap_okta.settings import choose_auth_method, load_settings, parse_org_url, parse_scopes
from tap_okta.tap import TapOkta


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("https://acme.okta.com", "https://acme.okta.com"),
        ("https://acme.okta.com/", "https://acme.okta.com"),
        ("https://ACME.okta.com/app/UserHome?x=1", "https://acme.okta.com"),
        ("acme.oktapreview.com", "https://acme.oktapreview.com"),
        ("https://acme-admin.okta.com", "https://acme.okta.com"),
        ("https://acme-admin.okta-emea.com/admin/dashboard", "https://acme.okta-emea.com"),
        ("https://login.example.com", "https://login.example.com"),
        ("https://team-admin.example.com", "https://team-admin.example.com"),
        ("http://127.0.0.1:8990", "http://127.0.0.1:8990"),
        ("http://localhost:8990/", "http://localhost:8990"),
        ("http://[::1]:8990", "http://[::1]:8990"),
    ],
)
def test_org_url_is_normalized_to_the_api_origin(raw: str, origin: str) -> None:
    assert parse_org_url(raw).origin == origin


def test_admin_console_url_is_corrected_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    org = parse_org_url("https://acme-admin.okta.com")
    assert org.host == "acme.okta.com"
    assert "Admin Console host" in caplog.text
    assert org.admin_host == "acme-admin.okta.com"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (None, "org_url is required"),
        ("", "org_url is required"),
        ("http://acme.okta.com", "not https"),
        ("ftp://acme.okta.com", "is not a URL"),
        ("https://", "is not a URL"),
        ("https://acme okta.com", "is not a URL"),
        ("https://acme.okta.com:notaport", "is not a URL"),
        ("https://admin:pw@acme.okta.com", "must not contain a user name"),
    ],
)
def test_bad_org_urls_name_the_setting(raw: str | None, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment) as info:
        parse_org_url(raw)
    assert "org_url" in info.value.message


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"api_key": "k" * 20}, "api_key"),
        ({"client_id": "c", "key_id": "k", "private_key": "p"}, "service_app"),
    ],
)
def test_one_complete_method_is_chosen(config: dict[str, str], expected: str) -> None:
    assert choose_auth_method(config) == expected


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({}, "No credentials configured"),
        ({"api_key": "  "}, "No credentials configured"),
        ({"api_key": "x" * 20, "client_id": "c"}, "Both authentication methods"),
        ({"client_id": "c"}, "key_id and private_key are missing"),
        ({"client_id": "c", "private_key": "p"}, "key_id is missing"),
    ],
)
def test_method_mistakes_name_the_settings(config: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        choose_auth_method(config)


def test_scopes_accept_lists_and_strings() -> None:
    assert parse_scopes("okta.users.read, okta.logs.read") == ("okta.users.read", "okta.logs.read")
    assert parse_scopes(["okta.users.read"]) == ("okta.users.read",)
    assert parse_scopes(None) is None
    with pytest.raises(ConfigError, match="not Okta API scopes"):
        parse_scopes("users:read")


def _rsa(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _pem(key: object, fmt: serialization.PrivateFormat) -> str:
    return key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, fmt, serialization.NoEncryption()
    ).decode()


RSA_KEY = _rsa()


@pytest.mark.parametrize(
    "form",
    ["pkcs8", "pkcs1", "escaped", "jwk", "jwk_dict", "jwks", "bare_der", "quoted"],
)
def test_every_private_key_form_okta_users_paste_loads(form: str) -> None:
    pkcs8 = _pem(RSA_KEY, serialization.PrivateFormat.PKCS8)
    jwk = json.loads(RSAAlgorithm.to_jwk(RSA_KEY))
    value: object = {
        "pkcs8": pkcs8,
        "pkcs1": _pem(RSA_KEY, serialization.PrivateFormat.TraditionalOpenSSL),
        "escaped": pkcs8.replace("\n", "\\n"),
        "jwk": json.dumps(jwk),
        "jwk_dict": jwk,
        "jwks": json.dumps({"keys": [jwk]}),
        "bare_der": "".join(pkcs8.splitlines()[1:-1]),
        "quoted": f'"{pkcs8}"',
    }[form]
    key = load_signing_key(value)  # type: ignore[arg-type]
    assert key.algorithm == "RS256"
    assert key.key.private_numbers() == RSA_KEY.private_numbers()  # type: ignore[union-attr]


def test_ec_keys_sign_with_the_matching_algorithm() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    assert load_signing_key(_pem(key, serialization.PrivateFormat.PKCS8)).algorithm == "ES384"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("not a key at all", "is not a key"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "not a readable PEM"),
        ("", "is empty"),
        ("{broken json", "does not parse"),
        (json.dumps({"kty": "RSA", "n": "abc", "e": "AQAB"}), "public JWK"),
        (json.dumps({"keys": []}), "JWK set with 0 keys"),
        (json.dumps({"kty": "oct", "k": "abc", "d": "x"}), "type 'oct'"),
    ],
)
def test_unusable_private_keys_say_what_is_wrong(value: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_signing_key(value)


def test_public_key_encrypted_key_and_weak_keys_are_refused() -> None:
    public_pem = (
        RSA_KEY.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with pytest.raises(ConfigError, match="public key"):
        load_signing_key(public_pem)
    encrypted = RSA_KEY.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    ).decode()
    with pytest.raises(ConfigError, match="encrypted"):
        load_signing_key(encrypted)
    with pytest.raises(ConfigError, match="1024-bit"):
        load_signing_key(_pem(_rsa(1024), serialization.PrivateFormat.PKCS8))
    with pytest.raises(ConfigError, match="Okta accepts RSA"):
        load_signing_key(
            _pem(ed25519.Ed25519PrivateKey.generate(), serialization.PrivateFormat.PKCS8)
        )


def test_load_settings_registers_secrets_before_anything_can_print_them() -> None:
    api_key = "00SecretTokenValueForRedaction-abc"
    settings = load_settings({"org_url": "https://acme.okta.com", "api_key": api_key})
    assert settings.auth_method == "api_key"
    assert redact(f"token {api_key} leaked") == f"token {MASK} leaked"


def test_jwk_private_members_are_registered_as_secrets() -> None:
    jwk = json.loads(RSAAlgorithm.to_jwk(_rsa()))
    load_settings(
        {"org_url": "https://acme.okta.com", "client_id": "c", "key_id": "k", "private_key": jwk}
    )
    assert jwk["d"] not in redact(f"oops {jwk['d']}")
    assert jwk["n"] in redact(f"public {jwk['n']}")


def test_numeric_settings_are_range_checked() -> None:
    base = {"org_url": "https://acme.okta.com", "api_key": "k" * 20}
    assert load_settings(base).rate_limit_share == 0.5
    with pytest.raises(ConfigError, match="rate_limit_share must be between"):
        load_settings({**base, "rate_limit_share": 2})
    with pytest.raises(ConfigError, match="start_date"):
        load_settings({**base, "start_date": "last tuesday"})


def test_unset_settings_take_the_defaults_the_tap_declares() -> None:
    # One source: the schema --about and Meltano show is built from settings.py's.
    settings = load_settings({"org_url": "https://acme.okta.com", "api_key": "00x" * 8})
    properties = TapOkta.config_jsonschema["properties"]
    for name in (
        "rate_limit_share",
        "rate_limit_max_wait",
        "request_timeout",
        "full_sync_interval_days",
        "include_client_secrets",
    ):
        assert getattr(settings, name) == properties[name]["default"], name


@pytest.mark.parametrize(
    ("raw", "host", "admin_host"),
    [
        ("https://acme.oktapreview.com", "acme.oktapreview.com", "acme-admin.oktapreview.com"),
        ("acme-admin.okta-emea.com", "acme.okta-emea.com", "acme-admin.okta-emea.com"),
        ("https://login.acme.com", "login.acme.com", None),  # custom domain: no twin
        ("https://acme-admin.example.com", "acme-admin.example.com", None),
    ],
)
def test_admin_twin_hosts(raw: str, host: str, admin_host: str | None) -> None:
    org = parse_org_url(raw)
    assert (org.host, org.admin_host) == (host, admin_host)


# --- setup mistakes that ended in a traceback or echoed a secret (issue 22) ----------


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "RSA", "d": "x", "n": "y"},  # jwt's InvalidKeyError: no e, p, q
        {"kty": "RSA", "d": "x"},
        {"kty": "EC", "d": "x"},  # no curve
    ],
)
def test_a_malformed_jwk_is_one_config_error(jwk: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="JWK with missing or malformed members"):
        load_signing_key(json.dumps(jwk))


@pytest.mark.parametrize(
    "path",
    [
        "/Users/me/okta/private-key.pem",
        "~/keys/okta.pem",
        "./okta-key.json",
        "C:\\Users\\me\\okta.pem",
        "okta_private.key",
    ],
)
def test_a_private_key_given_as_a_file_path_is_named_as_one(path: str) -> None:
    with pytest.raises(ConfigError, match="looks like a file path: paste the key's contents"):
        load_signing_key(path)


@pytest.mark.parametrize(
    ("api_key", "fragment"),
    [
        ("00abcdefghij\n0123456789", "a line break at position 13"),
        ("00abcdefghij\r\nklmnop", "a line break"),
        ("00abcdéfghij0123456789", "a non-ASCII character at position 7"),
        ("00abcdefghij\u20ac0123456789", "a non-ASCII character"),
        ("00abcdef ghij0123456789", "a space or control character"),
        ("00abcdef\x00ghij0123456789", "a space or control character"),
    ],
)
def test_an_api_key_no_header_can_carry_is_refused_without_quoting_it(
    api_key: str, fragment: str
) -> None:
    with pytest.raises(ConfigError, match=fragment) as info:
        load_settings({"org_url": "https://acme.okta.com", "api_key": api_key})
    message = info.value.message
    assert "api_key" in message
    assert not [part for part in re.findall(r"[0-9a-z]{5,}", api_key) if part in message]


@pytest.mark.parametrize(
    "raw",
    [
        "https://admin:hunter2secret@acme okta.com",
        "https://admin:hunter2secret@acme.okta.com:notaport",
        "ftp://admin:hunter2secret@acme.okta.com",
        "https://admin:hunter2/secret@acme.okta.com",  # "/" ends urlsplit's userinfo
        "admin:hunter2secret@acme.okta.com:99999",
    ],
)
def test_a_password_in_a_malformed_org_url_is_never_echoed(raw: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_org_url(raw)
    message = info.value.message
    assert "org_url" in message
    assert "hunter2" not in message
    assert "secret" not in message
    assert "admin" not in message


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("https://acme.okta.com:443", "https://acme.okta.com"),
        ("https://acme.okta.com:443/", "https://acme.okta.com"),
        ("https://acme.okta.com.", "https://acme.okta.com"),
        ("https://acme.okta.com.:443/app/UserHome", "https://acme.okta.com"),
        ("http://localhost:80", "http://localhost"),
        ("http://localhost.:8990", "http://localhost:8990"),
        ("https://acme.okta.com:8443", "https://acme.okta.com:8443"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("https://LOGIN.Bücher.example/", "https://login.xn--bcher-kva.example"),
        ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example"),
        ("https://сотрудники.пример.рф", "https://xn--d1aiahneogkl.xn--e1afmkfd.xn--p1ai"),
    ],
)
def test_default_ports_trailing_dots_and_unicode_hosts_are_normalized(
    raw: str, origin: str
) -> None:
    org = parse_org_url(raw)
    assert org.origin == origin
    # Okta's next links name neither the default port nor the root dot, in punycode.
    assert org.owns(f"{origin}/api/v1/users?after=00u1&limit=200")


def test_an_invalid_internationalised_host_is_one_config_error() -> None:
    with pytest.raises(ConfigError, match="not a valid internationalised domain name"):
        parse_org_url("https://a\u200db.example")  # a joiner where IDNA allows none


def test_a_start_date_in_the_future_is_accepted_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    base = {"org_url": "https://acme.okta.com", "api_key": "k" * 20}
    load_settings({**base, "start_date": "2024-01-31"})
    assert "in the future" not in caplog.text
    settings = load_settings({**base, "start_date": "2999-01-31T00:00:00Z"})
    assert settings.start_date is not None
    assert settings.start_date.year == 2999
    warnings = [r for r in caplog.records if "in the future" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelname == "WARNING"
    assert "2999-01-31T00:00:00Z" in warnings[0].getMessage()
