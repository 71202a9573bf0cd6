"""Credentials go to the org's origin only, and no secret is ever printed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from tap_okta.auth import OktaApiKeyAuthenticator
from tap_okta.client import resolve_org_link
from tap_okta.errors import UnsafeURLError
from tap_okta.settings import parse_org_url
from tests.harness import (
    API_KEY,
    assert_clean_failure,
    assert_no_secrets,
    run_tap,
    sync_in_process,
)
from tests.okta_sim import OktaSimulator
from tests.okta_sim.oauth import ServiceApp


class Recorder(ThreadingHTTPServer):
    """Another host: it only writes down what reaches it."""

    daemon_threads = True

    def __init__(self, host: str, port: int = 0) -> None:
        self.received: list[dict[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.received.append(dict(self.headers))
                body = b"[]"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        super().__init__((host, port), Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


@pytest.fixture
def other_host() -> Iterator[Recorder]:
    server = Recorder("127.0.0.2")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.cli
@pytest.mark.parametrize("auth", ["api_key", "service_app"])
def test_next_link_to_another_host_is_refused_before_sending(
    sim: OktaSimulator,
    other_host: Recorder,
    api_config: dict[str, Any],
    oauth_config: dict[str, Any],
    auth: str,
) -> None:
    sim.link_base = other_host.url  # page 1 is real; its next link points away
    config = api_config if auth == "api_key" else oauth_config
    run = run_tap(config, streams=("users",), log_level="DEBUG")
    assert_clean_failure(run, "points at http://127.0.0.2", "refusing", "org_url")
    assert other_host.received == []
    # The change feed's System Log query, read before users, carries the same foreign
    # link on its last page: refused there, before any list is read.
    assert run.records("users") == []
    secrets = [API_KEY] if auth == "api_key" else [config["private_key"]]
    assert_no_secrets(run, *secrets, *(t.access_token for t in sim.org.issued_tokens))


@pytest.mark.cli
def test_redirects_are_not_followed_with_credentials(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    other = Recorder("127.0.0.2", sim.port)  # where the simulator's redirects point
    thread = threading.Thread(target=other.serve_forever, daemon=True)
    thread.start()
    try:
        sim.faults.redirect_paths = [r"^/api/v1/apps$"]
        run = run_tap(api_config, streams=("apps",), log_level="DEBUG")
    finally:
        other.shutdown()
        other.server_close()
    assert_clean_failure(run, "redirect", "does not follow redirects", "org_url")
    assert other.received == []
    assert_no_secrets(run, API_KEY)


@pytest.mark.cli
def test_a_full_oauth_sync_at_debug_prints_no_secret(
    sim: OktaSimulator, oauth_config: dict[str, Any], service_app: ServiceApp
) -> None:
    run = run_tap(oauth_config, log_level="DEBUG")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "DEBUG" in run.stderr  # really at DEBUG
    assertions = [(r.form or {}).get("client_assertion", "") for r in sim.requests if r.form]
    assert all(assertions)
    tokens = [t.access_token for t in sim.org.issued_tokens]
    assert_no_secrets(run, service_app.private_key_pem, *tokens, *assertions)


@pytest.mark.cli
def test_a_full_api_key_sync_at_debug_prints_no_secret(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    run = run_tap(api_config, log_level="DEBUG")
    assert run.returncode == 0, run.stderr[-2000:]
    assert_no_secrets(run, API_KEY)


@pytest.mark.cli
def test_oidc_client_secrets_are_blanked_unless_asked_for(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    secrets = {
        app["id"]: app["credentials"]["oauthClient"]["client_secret"]
        for app in sim.org.all_apps()
        if (app.get("credentials") or {}).get("oauthClient", {}).get("client_secret")
    }
    assert secrets, "the simulated org has OIDC apps with secrets"
    default = run_tap(api_config, streams=("apps",))
    for record in default.records("apps"):
        if record["id"] in secrets:
            assert record["credentials"]["oauthClient"]["client_secret"] is None
    assert not any(secret in default.stdout for secret in secrets.values())
    opted_in = run_tap({**api_config, "include_client_secrets": True}, streams=("apps",))
    kept = {
        r["id"]: r["credentials"]["oauthClient"]["client_secret"]
        for r in opted_in.records("apps")
        if r["id"] in secrets
    }
    assert kept == secrets


def _app_secrets(sim: OktaSimulator) -> dict[str, str]:
    """Every credential the simulated apps and app users carry, by where it is."""
    found: dict[str, str] = {}
    for app in sim.org.all_apps():
        for key, value in (app.get("settings", {}).get("app") or {}).items():
            if key == "apiToken":
                found[f"apps {app['id']} settings.app.{key}"] = value
        password = (app.get("credentials") or {}).get("password") or {}
        if password.get("value"):
            found[f"apps {app['id']} credentials.password.value"] = password["value"]
        for user_id in sim.org.app_users.get(app["id"], {}):
            app_user = sim.org.app_user_obj(app["id"], user_id) or {}
            value = (app_user.get("credentials", {}).get("password") or {}).get("value")
            if value:
                found[f"app_users {app['id']}/{user_id} credentials.password.value"] = value
    return found


def test_app_passwords_and_api_tokens_are_blanked_unless_asked_for(sim: OktaSimulator) -> None:
    secrets = _app_secrets(sim)
    kinds = {where.split()[0] + " " + where.split()[-1] for where in secrets}
    assert kinds == {
        "apps settings.app.apiToken",
        "apps credentials.password.value",
        "app_users credentials.password.value",
    }
    config = {"org_url": sim.base_url, "api_key": API_KEY}
    default = sync_in_process(config, streams=("apps", "app_users"))
    assert default.records("apps")
    assert default.records("app_users")
    leaked = [where for where, value in secrets.items() if value in default.stdout]
    assert not leaked
    vaulted = [r for r in default.records("apps") if "apiToken" in r["settings"]["app"]]
    assert vaulted
    for app in vaulted:
        assert app["settings"]["app"]["apiToken"] is None
        # Not secrets: the endpoint beside it, and SWA form-field selectors.
        assert app["settings"]["app"]["tokenUrl"].startswith("https://")
    assert any(
        r["settings"]["app"].get("passwordField") == "password" for r in default.records("apps")
    )
    opted_in = sync_in_process(
        {**config, "include_client_secrets": True}, streams=("apps", "app_users")
    )
    missing = [where for where, value in secrets.items() if value not in opted_in.stdout]
    assert not missing


def test_admin_host_links_are_moved_to_the_api_host() -> None:
    org = parse_org_url("https://acme.okta.com")
    link = "https://acme-admin.okta.com/api/v1/users?after=x&limit=200"
    assert (
        resolve_org_link(link, org, "users")
        == "https://acme.okta.com/api/v1/users?after=x&limit=200"
    )
    assert resolve_org_link("/api/v1/users?after=y", org, "users").startswith(
        "https://acme.okta.com/api/v1/users"
    )
    for foreign in (
        "https://evil.example.com/api/v1/users",
        "http://acme.okta.com/api/v1/users",  # downgraded scheme
        "https://acme.okta.com.evil.com/api/v1/users",
        "https://acme.okta.com:8443/api/v1/users",
        "https://other-admin.okta.com/api/v1/users",
    ):
        with pytest.raises(UnsafeURLError):
            resolve_org_link(foreign, org, "users")


def test_the_authenticator_itself_refuses_foreign_origins() -> None:
    auth = OktaApiKeyAuthenticator(api_key=API_KEY, org=parse_org_url("https://acme.okta.com"))
    ok = requests.Request("GET", "https://acme.okta.com/api/v1/users").prepare()
    assert auth(ok).headers["Authorization"] == f"SSWS {API_KEY}"
    foreign = requests.Request("GET", "https://acme.okta.com.evil.com/api/v1/users").prepare()
    with pytest.raises(UnsafeURLError):
        auth(foreign)
    assert "Authorization" not in foreign.headers


def test_links_and_signing_apply_one_origin_rule() -> None:
    org = parse_org_url("https://acme.okta.com")
    auth = OktaApiKeyAuthenticator(api_key=API_KEY, org=org)
    assert org.owns("https://ACME.okta.com/api/v1/users?limit=200")
    for foreign in (
        "https://evil.example.com/api/v1/users",
        "http://acme.okta.com/api/v1/users",
        "https://acme.okta.com.evil.com/api/v1/users",
        "https://acme.okta.com:8443/api/v1/users",
        "https://acme-admin.okta.com/api/v1/users",  # only links are moved to the API host
    ):
        assert not org.owns(foreign), foreign
        with pytest.raises(UnsafeURLError):
            auth(requests.Request("GET", foreign).prepare())
    with pytest.raises(UnsafeURLError, match="an empty URL"):
        auth(requests.PreparedRequest())
