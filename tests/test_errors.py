"""Every setup mistake ends with one clear line, a non-zero exit and no secret.

All runs are at DEBUG, the level most likely to leak.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tap_okta.errors import api_error_for
from tap_okta.streams import GroupsStream
from tests.harness import API_KEY, TapRun, assert_clean_failure, assert_no_secrets, run_tap
from tests.harness import service_app_config as app_config
from tests.okta_sim import OktaSimulator
from tests.okta_sim.oauth import ServiceApp

OTHER_KEY = "00another-secret-token-value-94c1e2"


def run_debug(config: dict[str, Any], **kwargs: Any) -> TapRun:
    return run_tap(config, log_level="DEBUG", **kwargs)


def pem(key: Any, encryption: Any = None) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        encryption or serialization.NoEncryption(),
    ).decode()


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
APP_SETTINGS = {"client_id": "0oa1234567890abcdEFG", "key_id": "kid-1"}


@pytest.mark.cli
@pytest.mark.parametrize(
    ("config", "fragments"),
    [
        ({"api_key": API_KEY}, ["org_url is required"]),
        ({"org_url": "https://acme.okta.com"}, ["No credentials configured", "api_key"]),
        (
            {"org_url": "https://acme.okta.com", "api_key": API_KEY, **APP_SETTINGS},
            ["Both authentication methods", "client_id"],
        ),
        (
            {"org_url": "https://acme.okta.com", **APP_SETTINGS},
            ["private_key is missing"],
        ),
        ({"org_url": "acme okta", "api_key": API_KEY}, ["org_url", "is not a URL"]),
        ({"org_url": "http://acme.okta.com", "api_key": API_KEY}, ["org_url", "not https"]),
        (
            {
                "org_url": "https://acme.okta.com",
                **APP_SETTINGS,
                "private_key": "hunter2-not-a-key",
            },
            ["private_key is not a key"],
        ),
        (
            {
                "org_url": "https://acme.okta.com",
                **APP_SETTINGS,
                "private_key": pem(
                    RSA_KEY, serialization.BestAvailableEncryption(b"correct horse battery")
                ),
            },
            ["private_key is encrypted"],
        ),
        (
            {
                "org_url": "https://acme.okta.com",
                **APP_SETTINGS,
                "private_key": RSA_KEY.public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                .decode(),
            },
            ["private_key holds a public key"],
        ),
        (
            {
                "org_url": "https://acme.okta.com",
                **APP_SETTINGS,
                "private_key": pem(ec.generate_private_key(ec.SECP256K1())),
            },
            ["private_key is an EC key on curve secp256k1"],
        ),
        (
            {"org_url": "https://acme.okta.com", "api_key": 1234567890123456},
            ["Invalid config", "api_key"],
        ),
        (
            {"org_url": "https://acme.okta.com", "api_key": API_KEY, "rate_limit_share": 5},
            ["rate_limit_share must be between"],
        ),
    ],
)
def test_config_mistakes(config: dict[str, Any], fragments: list[str]) -> None:
    run = run_debug(config)
    assert_clean_failure(run, *fragments)
    secrets = [str(v) for k, v in config.items() if k in {"api_key", "private_key"}]
    assert_no_secrets(run, *secrets)
    assert not run.messages  # nothing reached stdout


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.cli
@pytest.mark.parametrize(
    "org_url",
    [f"http://127.0.0.1:{closed_port()}", "https://no-such-org.invalid"],
    # Fixed ids: pytest-xdist's workers must collect the same names, whatever port.
    ids=["closed-port", "unresolvable-host"],
)
def test_unreachable_org_fails_fast_and_clearly(org_url: str) -> None:
    run = run_debug({"org_url": org_url, "api_key": API_KEY}, streams=("users",))
    assert_clean_failure(run, "Cannot reach the Okta org", "org_url")
    assert_no_secrets(run, API_KEY)


@pytest.mark.cli
def test_rejected_api_token(sim: OktaSimulator) -> None:
    run = run_debug({"org_url": sim.base_url, "api_key": OTHER_KEY}, streams=("users",))
    assert_clean_failure(run, "E0000011", "api_key", "Security > API > Tokens")
    assert_no_secrets(run, OTHER_KEY)
    assert len(sim.requests_to("/api/v1/")) == 1  # not retried


@pytest.mark.cli
def test_admin_without_the_role_gets_a_role_hint(sim: OktaSimulator) -> None:
    sim.org.add_api_token(OTHER_KEY, permissions={"users"})
    run = run_debug({"org_url": sim.base_url, "api_key": OTHER_KEY}, streams=("users", "groups"))
    assert_clean_failure(run, "stream 'groups'", "E0000006", "Read-Only Administrator")
    assert_no_secrets(run, OTHER_KEY)
    # users runs first: it finished and its bookmark was saved.
    assert len(run.records("users")) == len(sim.org.all_users())
    assert run.final_state["bookmarks"]["users"]["replication_key_value"]


@pytest.mark.cli
def test_feature_not_enabled(sim: OktaSimulator, api_config: dict[str, Any]) -> None:
    sim.org.disabled_features.add("logs")
    run = run_debug(api_config, streams=("logs",))
    # Not the org's fault nor the config's: the stream is skipped, the run succeeds.
    assert run.returncode == 0, run.stderr[-3000:]
    [warning] = [
        line
        for line in run.stderr.splitlines()
        if "WARNING" in line and "Stream 'logs' is not available on this org" in line
    ]
    assert "E0000015" in warning
    assert "deselect" in warning
    assert "Traceback" not in run.stderr
    assert_no_secrets(run, API_KEY)


def token_requests(sim: OktaSimulator) -> list[Any]:
    return [r for r in sim.requests if r.path == "/oauth2/v1/token"]


@pytest.mark.cli
def test_scope_not_granted_is_named_at_the_token_endpoint(sim: OktaSimulator) -> None:
    app = sim.org.register_service_app(scopes={"okta.users.read"})
    run = run_debug(app_config(sim, app), streams=("users", "groups"))
    assert_clean_failure(run, "invalid_scope", "okta.groups.read", "Okta API Scopes")
    assert_no_secrets(run, app.private_key_pem)
    # Fails fast: once with the change feed's optional okta.logs.read, once without.
    assert len(token_requests(sim)) == 2


@pytest.mark.cli
def test_scope_missing_from_the_token_is_named_on_the_call(sim: OktaSimulator) -> None:
    app = sim.org.register_service_app(scopes={"okta.users.read", "okta.groups.read"})
    config = app_config(sim, app, scopes=["okta.users.read"])
    run = run_debug(config, streams=("groups",))
    assert_clean_failure(run, "stream 'groups'", "okta.groups.read", "Okta API Scopes")
    tokens = [t.access_token for t in sim.org.issued_tokens]
    assert_no_secrets(run, app.private_key_pem, *tokens)


@pytest.mark.parametrize("challenge_scope", ['scope="okta.groups.read", ', ""])
def test_a_missing_scope_is_named_even_when_okta_does_not_say_which(
    challenge_scope: str,
) -> None:
    # Okta's challenge usually names the scope; without it, the stream's own is named.
    response = requests.Response()
    response.status_code = 403
    response.headers["WWW-Authenticate"] = (
        f'Bearer realm="IdpMyAccountAPI", {challenge_scope}error="insufficient_scope"'
    )
    response.request = requests.Request("GET", "https://acme.okta.com/api/v1/groups").prepare()
    error = api_error_for(
        response, stream="groups", auth_method="service_app", scope=GroupsStream.oauth_scope
    )
    assert "needs the OAuth scope okta.groups.read" in error.message


@pytest.mark.cli
@pytest.mark.parametrize(
    ("tamper", "fragment"),
    [
        ("key_id", "key_id does not match"),
        ("private_key", "private_key does not match"),
        ("client_id", "check client_id"),
    ],
)
def test_invalid_client_says_which_value_to_check(
    sim: OktaSimulator, service_app: ServiceApp, tamper: str, fragment: str
) -> None:
    other = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    value = {"key_id": "not-the-kid", "private_key": other, "client_id": "0oaUnknownClient00000"}
    config = app_config(sim, service_app, **{tamper: value[tamper]})
    run = run_debug(config, streams=("users",))
    assert_clean_failure(run, "invalid_client", fragment)
    assert_no_secrets(run, service_app.private_key_pem, other)
    assert len(token_requests(sim)) == 1


@pytest.mark.cli
def test_dpop_required_apps_just_work(sim: OktaSimulator) -> None:
    app = sim.org.register_service_app(
        scopes={"okta.users.read", "okta.groups.read"}, require_dpop=True
    )
    sim.org.require_resource_dpop_nonce = True
    run = run_debug(app_config(sim, app), streams=("users", "groups"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(run.records("users")) == len(sim.org.all_users())
    [token] = sim.org.issued_tokens
    assert token.token_type == "DPoP"
    api_calls = [r for r in sim.requests if r.path.startswith("/api/v1/") and r.status == 200]
    assert api_calls
    assert all(r.headers["Authorization"] == f"DPoP {token.access_token}" for r in api_calls)
    assert all(r.headers.get("DPoP") for r in api_calls)
    assert "requires DPoP" in run.stderr
    assert_no_secrets(run, app.private_key_pem, token.access_token)


@pytest.mark.cli
@pytest.mark.parametrize(
    ("fault", "fragment"),
    [("html_paths", "instead of JSON"), ("malformed_json_paths", "not valid JSON")],
)
def test_html_or_garbage_answers_end_with_a_clear_error(
    sim: OktaSimulator, api_config: dict[str, Any], fault: str, fragment: str
) -> None:
    setattr(sim.faults, fault, [r"^/api/v1/apps$"])
    run = run_debug(api_config, streams=("apps",))
    assert_clean_failure(run, "stream 'apps'", fragment)
    assert_no_secrets(run, API_KEY)


@pytest.mark.cli
def test_about_never_shows_secrets(tmp_path: Any) -> None:
    import subprocess
    import sys

    config = {"org_url": "https://acme.okta.com", "api_key": OTHER_KEY}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    result = subprocess.run(
        [sys.executable, "-m", "tap_okta.tap", "--about", "--format=json", "--config", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    about = json.loads(result.stdout)
    assert about["settings"]["properties"]["api_key"]["secret"] is True
    assert about["settings"]["properties"]["private_key"]["secret"] is True
    assert OTHER_KEY not in result.stdout + result.stderr
