"""The simulator over https: its throwaway certificate is trusted through ``ca_file``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from tests.okta_sim import OktaSimulator

TOKEN = "tls-test-token"


def test_https_request_with_the_ca_file() -> None:
    with OktaSimulator(users=30, seed=3, api_key=TOKEN, tls=True) as sim:
        assert sim.base_url.startswith("https://127.0.0.1:")
        assert sim.ca_file is not None
        assert Path(sim.ca_file).is_file()
        response = requests.get(
            sim.url("/api/v1/users"),
            params={"limit": 10},
            headers={"Authorization": f"SSWS {TOKEN}"},
            verify=sim.ca_file,
            timeout=10,
        )
        assert response.status_code == 200
        assert len(response.json()) == 10
        # Links (headers and bodies) point back at the https origin.
        assert response.links["next"]["url"].startswith(sim.base_url + "/api/v1/users?")
        assert sim.requests[-1].path == "/api/v1/users"
        # The same through REQUESTS_CA_BUNDLE (as a client that cannot pass verify= would).
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("REQUESTS_CA_BUNDLE", sim.ca_file)
            with requests.Session() as session:
                page = session.get(
                    response.links["next"]["url"],
                    headers={"Authorization": f"SSWS {TOKEN}"},
                    timeout=10,
                )
        assert page.status_code == 200
        assert {u["id"] for u in page.json()}.isdisjoint(u["id"] for u in response.json())
        ca_file = sim.ca_file
    assert not os.path.exists(ca_file)  # removed at stop


def test_certificate_not_trusted_without_the_ca_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with OktaSimulator(users=5, seed=3, api_key=TOKEN, tls=True) as sim:
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(sim.url("/api/v1/users"), timeout=10)
        # The server survives a refused handshake and keeps serving.
        response = requests.get(
            sim.url("/api/v1/users"),
            headers={"Authorization": f"SSWS {TOKEN}"},
            verify=sim.ca_file,
            timeout=10,
        )
        assert response.status_code == 200
        assert not sim.internal_errors
