"""The tap over https: the environment's CA bundle is trusted, an untrusted
certificate fails at once with one line that says what to do."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tap_okta.errors import ConfigError, TLSVerificationError
from tap_okta.retry import fail_fast, untrusted_certificate
from tap_okta.sessions import open_session
from tests.harness import (
    ALL_SCOPES,
    API_KEY,
    TapRun,
    assert_clean_failure,
    assert_no_secrets,
    run_tap,
)
from tests.okta_sim import OktaSimulator

NO_BUNDLE = {"REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": "", "SSL_CERT_FILE": ""}


@pytest.fixture
def tls_sim() -> Iterator[OktaSimulator]:
    with OktaSimulator(users=30, seed=3, api_key=API_KEY, tls=True) as simulator:
        yield simulator


def service_app_config(sim: OktaSimulator) -> dict[str, Any]:
    app = sim.org.register_service_app(scopes=set(ALL_SCOPES))
    return {
        "org_url": sim.base_url,
        "client_id": app.client_id,
        "key_id": app.key_id,
        "private_key": app.private_key_pem,
    }


def config_for(sim: OktaSimulator, method: str) -> dict[str, Any]:
    if method == "api_key":
        return {"org_url": sim.base_url, "api_key": API_KEY}
    return service_app_config(sim)


@pytest.mark.cli
@pytest.mark.parametrize(
    ("method", "variable"),
    [
        ("api_key", "REQUESTS_CA_BUNDLE"),
        ("api_key", "CURL_CA_BUNDLE"),
        ("service_app", "REQUESTS_CA_BUNDLE"),
        ("api_key", "SSL_CERT_FILE"),
        ("service_app", "SSL_CERT_FILE"),
    ],
)
def test_the_ca_bundle_from_the_environment_is_trusted(
    tls_sim: OktaSimulator, method: str, variable: str
) -> None:
    assert tls_sim.ca_file is not None
    run = run_tap(
        config_for(tls_sim, method),
        streams=("users",),
        env={**NO_BUNDLE, variable: tls_sim.ca_file},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(run.records("users")) == 30
    paths = {r.path for r in tls_sim.requests}
    assert "/api/v1/users" in paths
    if method == "service_app":
        assert "/oauth2/v1/token" in paths


@pytest.mark.cli
@pytest.mark.parametrize("method", ["api_key", "service_app"])
def test_an_untrusted_certificate_fails_at_once_with_one_clear_line(
    tls_sim: OktaSimulator, method: str
) -> None:
    config = config_for(tls_sim, method)
    run: TapRun = run_tap(config, streams=("users",), env=NO_BUNDLE, log_level="DEBUG")
    assert_clean_failure(
        run, "TLS verification failed", tls_sim.base_url, "self-signed", "REQUESTS_CA_BUNDLE"
    )
    assert run.returncode == 1
    assert [line for line in run.error_lines() if "unhandled error" not in line] == [
        run.last_line()
    ]
    assert "retrying in" not in run.stderr
    # Said once: not also as a degraded change feed first.
    assert run.stderr.count("TLS verification failed") == 1
    # The handshake failed every time: nothing reached the simulator's handlers.
    assert not tls_sim.requests
    assert_no_secrets(run, config.get("api_key") or config["private_key"])


def _ssl_error(inner: BaseException) -> requests.exceptions.SSLError:
    # The shape requests raises: its SSLError around urllib3's, around ssl's.
    try:
        try:
            raise inner
        except BaseException as exc:
            raise requests.exceptions.SSLError(exc) from exc
    except requests.exceptions.SSLError as outer:
        return outer


def test_only_a_failed_certificate_verification_is_final() -> None:
    untrusted = ssl.SSLCertVerificationError(1, "certificate verify failed")
    untrusted.verify_message = "unable to get local issuer certificate"
    assert untrusted_certificate(_ssl_error(untrusted)) == "unable to get local issuer certificate"
    with pytest.raises(TLSVerificationError, match=r"https://acme\.okta\.com"):
        fail_fast(_ssl_error(untrusted), "https://acme.okta.com")
    # A handshake cut short is a network fault like any other: retried.
    dropped = ssl.SSLEOFError(8, "EOF occurred in violation of protocol")
    assert untrusted_certificate(_ssl_error(dropped)) is None
    fail_fast(_ssl_error(dropped), "https://acme.okta.com")
    fail_fast(requests.exceptions.ConnectTimeout("timed out"), "https://acme.okta.com")


def test_ssl_cert_file_is_trusted_after_the_requests_variables(
    tls_sim: OktaSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    assert tls_sim.ca_file is not None
    for name, value in NO_BUNDLE.items():
        monkeypatch.setenv(name, value)
    # Without any variable: certifi's bundle, which does not know the simulator's CA.
    with pytest.raises(requests.exceptions.SSLError):
        open_session(tls_sim.base_url).get(tls_sim.base_url + "/api/v1/users", timeout=10)
    monkeypatch.setenv("SSL_CERT_FILE", tls_sim.ca_file)
    session = open_session(tls_sim.base_url)
    assert session.verify == tls_sim.ca_file
    response = session.get(
        tls_sim.base_url + "/api/v1/users", headers={"Authorization": f"SSWS {API_KEY}"}
    )
    assert response.status_code == 200
    # REQUESTS_CA_BUNDLE, the variable requests itself reads, wins.
    other = tmp_path / "other.pem"
    other.write_text("")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    assert open_session(tls_sim.base_url).verify == str(other)


def test_an_ssl_cert_file_that_is_not_a_file_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name, value in NO_BUNDLE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(
        ConfigError, match=r"SSL_CERT_FILE names .*missing\.pem, which is not a file"
    ):
        open_session("https://acme.okta.com")
