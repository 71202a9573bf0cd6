"""Whole syncs over real HTTP against the simulator, with each auth method."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.harness import ALL_STREAMS, API_KEY, assert_everything_exactly_once, run_tap
from tests.okta_sim import OktaSimulator

pytestmark = pytest.mark.cli

MAX_PAGE = {
    "/api/v1/users": 200,
    "/api/v1/groups": 200,
    "/api/v1/apps": 200,
    "/api/v1/logs": 1000,
}


def assert_pages_are_max_size_and_links_followed(sim: OktaSimulator) -> None:
    api_requests = [r for r in sim.requests if r.path.startswith("/api/v1/")]
    assert api_requests
    for request in api_requests:
        assert len(request.query.get("limit", [])) == 1, request.target  # never twice
        assert request.status == 200, request.target
        template = request.path if request.path in MAX_PAGE else None
        if template:
            assert request.effective_limit == MAX_PAGE[template], request.target
        elif request.path.endswith("/users") and request.path.startswith("/api/v1/groups/"):
            assert request.effective_limit == 1000
        elif request.path.endswith("/users"):
            assert request.effective_limit == 500
        elif request.path.endswith("/groups"):
            assert request.effective_limit == 200
    users_pages = [r for r in api_requests if r.path == "/api/v1/users"]
    assert len(users_pages) <= math.ceil(len(sim.org.all_users()) / 200) + 1
    first, *rest = users_pages
    assert "lastUpdated ge" in (first.param("search") or "")
    assert first.param("sortBy") == "lastUpdated"
    assert all(r.param("after") for r in rest)  # later pages come from next links


def test_api_key_sync_emits_every_record_once(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    run = run_tap(api_config)
    assert_everything_exactly_once(run, sim)
    assert_pages_are_max_size_and_links_followed(sim)
    for request in sim.requests:
        if request.path == "/.well-known/okta-organization":
            # The org's id (which the state is bound to) needs no credentials: none sent.
            assert "Authorization" not in request.headers
            continue
        assert request.headers.get("Authorization") == f"SSWS {API_KEY}"


def test_service_app_sync_uses_one_bearer_token(
    sim: OktaSimulator, oauth_config: dict[str, Any]
) -> None:
    run = run_tap(oauth_config)
    assert_everything_exactly_once(run, sim)
    assert_pages_are_max_size_and_links_followed(sim)
    assert len(sim.org.issued_tokens) == 1
    token = sim.org.issued_tokens[0]
    token_requests = [r for r in sim.requests if r.path == "/oauth2/v1/token"]
    assert len(token_requests) == 1
    form = token_requests[0].form or {}
    assert form["grant_type"] == "client_credentials"
    assert set(form["scope"].split()) == {
        "okta.users.read",
        "okta.groups.read",
        "okta.apps.read",
        "okta.logs.read",
    }
    api_requests = [r for r in sim.requests if r.path.startswith("/api/v1/")]
    assert {r.headers.get("Authorization") for r in api_requests} == {
        f"Bearer {token.access_token}"
    }


def test_token_asks_only_for_the_scopes_of_selected_streams(sim: OktaSimulator) -> None:
    app = sim.org.register_service_app(scopes={"okta.users.read"})
    config = {
        "org_url": sim.base_url,
        "client_id": app.client_id,
        "key_id": app.key_id,
        "private_key": app.private_key_pem,
    }
    run = run_tap(config, streams=("users",))
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(run.records("users")) == len(sim.org.all_users())
    assert set(run.counts()) == {"users"}
    # The change feed's okta.logs.read is asked for too, and dropped when Okta
    # refuses it; no other scope is ever requested.
    asked = [(r.form or {})["scope"] for r in sim.requests if r.path == "/oauth2/v1/token"]
    assert asked == ["okta.users.read okta.logs.read", "okta.users.read"]


def test_token_is_renewed_before_it_expires(
    sim: OktaSimulator, oauth_config: dict[str, Any]
) -> None:
    sim.org.token_lifetime_seconds = 3
    sim.faults.slow_rate = 1.0
    sim.faults.slow_seconds = 0.2
    run = run_tap(oauth_config, streams=("users", "groups", "group_members"))
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(sim.org.issued_tokens) >= 2
    # Renewed ahead of time: Okta never had to reject an expired token.
    assert not [r for r in sim.requests if r.status == 401]


def test_custom_profile_attributes_reach_the_output(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    run = run_tap(api_config, streams=("users",))
    by_id = {r["id"]: r for r in run.records("users")}
    for user in sim.org.all_users():
        assert by_id[user["id"]]["profile"] == user["profile"]
    custom = {key for r in by_id.values() for key in r["profile"]} - {
        "login",
        "email",
        "firstName",
        "lastName",
        "mobilePhone",
        "secondEmail",
    }
    assert custom, "the simulated org should carry custom attributes"


def test_settings_from_environment_variables(sim: OktaSimulator) -> None:
    env = {"TAP_OKTA_ORG_URL": sim.base_url, "TAP_OKTA_API_KEY": API_KEY}
    run = run_tap({}, streams=("apps",), env=env, config_from_env=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(run.records("apps")) == len(sim.org.all_apps())


@pytest.mark.parametrize("stream", ALL_STREAMS)
def test_each_stream_alone(sim: OktaSimulator, api_config: dict[str, Any], stream: str) -> None:
    run = run_tap(api_config, streams=(stream,))
    assert run.returncode == 0, run.stderr[-2000:]
    assert set(run.counts()) == {stream}
    assert run.final_state["bookmarks"]


def test_connection_test_reads_a_record_of_each_stream(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    run = run_tap(api_config, extra_args=("--test",))
    assert run.returncode == 0, run.stderr[-2000:]
    counts = run.counts()
    # One record per stream; a child stream reads only the first parent's, which
    # may have none (an app without group assignments).
    assert all(counts[stream] == 1 for stream in ("users", "groups", "apps", "logs")), counts
    assert set(counts) <= set(ALL_STREAMS)
    assert max(counts.values()) == 1, counts
    # The dry run's deliberate stop after one record is not an error.
    assert run.error_lines() == []
