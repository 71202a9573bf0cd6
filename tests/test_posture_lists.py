"""The posture lists (``log_streams``, ``event_hooks``, ``inline_hooks``, ``domains``,
``behaviors``, ``agent_pools``, ``profile_mappings``): what is particular to them (their
contract is in test_stream_contracts.py).

A hook's channel carries the secret Okta sends its endpoint (the auth header's value,
other header values); with ``include_client_secrets`` off none of it lands. Each is
opt-in with a scope existing service apps lack, so a missing scope or feature skips it
with one warning and the run goes on; a removed one becomes a deletion.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import API_KEY, TapRun, run_tap, service_app_config, sync_in_process
from tests.okta_sim import ALL_FAMILIES, OktaSimulator
from tests.okta_sim.oauth import ALL_READ_SCOPES
from tests.okta_sim.plain_lists import (
    AGENT_POOLS,
    BEHAVIORS,
    DOMAINS,
    EVENT_HOOKS,
    INLINE_HOOKS,
    LOG_STREAMS,
    PLAIN_LISTS,
    PROFILE_MAPPINGS,
    PlainList,
)

LISTS = (LOG_STREAMS, EVENT_HOOKS, INLINE_HOOKS, DOMAINS, BEHAVIORS, AGENT_POOLS, PROFILE_MAPPINGS)
HOOKS = ("event_hooks", "inline_hooks")


def warnings(run: TapRun) -> list[str]:
    return run.warning_lines()


def hook_secrets(sim: OktaSimulator, stream: str) -> set[str]:
    """Every secret value the simulator serves in the hooks' channels."""
    found = set()
    for hook in sim.org.listed[stream].values():
        config = hook["channel"]["config"]
        found.add(config["authScheme"]["value"])
        found.update(h["value"] for h in config["headers"])
    return found


@pytest.mark.parametrize("stream", HOOKS)
def test_hook_channel_secrets_never_land_by_default(sim: OktaSimulator, stream: str) -> None:
    secrets = hook_secrets(sim, stream)
    assert secrets
    assert all(secrets)
    run = sync_in_process({"org_url": sim.base_url, "api_key": API_KEY}, streams=(stream,))
    assert run.returncode == 0, run.stderr[-3000:]
    assert {r["id"] for r in run.records(stream)} == set(sim.org.listed[stream])
    assert not [s for s in secrets if s in run.stdout]
    for record in run.records(stream):
        config = record["channel"]["config"]
        # The header names stay: which header a hook authenticates with is reviewable.
        assert config["authScheme"] == {"type": "HEADER", "key": "Authorization", "value": None}
        assert [h["value"] for h in config["headers"]] == [None]
        assert [h["key"] for h in config["headers"]] == ["X-Hook-Key"]


@pytest.mark.parametrize("stream", HOOKS)
def test_include_client_secrets_keeps_them(sim: OktaSimulator, stream: str) -> None:
    config = {"org_url": sim.base_url, "api_key": API_KEY, "include_client_secrets": True}
    run = sync_in_process(config, streams=(stream,))
    assert run.returncode == 0, run.stderr[-3000:]
    assert hook_secrets(sim, stream) <= {
        value
        for r in run.records(stream)
        for value in (
            r["channel"]["config"]["authScheme"]["value"],
            *(h["value"] for h in r["channel"]["config"]["headers"]),
        )
    }


@pytest.mark.parametrize("entry", LISTS, ids=[e.stream for e in LISTS])
def test_a_removed_one_is_deleted_once(
    sim: OktaSimulator, api_config: dict[str, Any], entry: PlainList
) -> None:
    first = sync_in_process(api_config, streams=(entry.stream,))
    assert first.returncode == 0, first.stderr[-3000:]
    removed = sorted(sim.org.listed[entry.stream])[0]
    sim.org.remove_listed(entry.stream, removed)
    second = sync_in_process(api_config, state=first.final_state, streams=(entry.stream,))
    gone = [r["id"] for r in second.records(entry.stream) if r.get("_sdc_deleted_at")]
    assert gone == [removed]
    third = sync_in_process(api_config, state=second.final_state, streams=(entry.stream,))
    assert not [r for r in third.records(entry.stream) if r.get("_sdc_deleted_at")]


@pytest.mark.parametrize("entry", LISTS, ids=[e.stream for e in LISTS])
def test_an_org_without_the_feature_skips_it_with_one_warning(
    sim: OktaSimulator, api_config: dict[str, Any], entry: PlainList
) -> None:
    sim.org.disabled_features.add(entry.family)
    run = sync_in_process(api_config, streams=(entry.stream, "trusted_origins"))
    assert run.returncode == 0, run.stderr[-3000:]
    [warning] = warnings(run)
    assert f"'{entry.stream}' is not available on this org" in warning
    assert run.records("trusted_origins")
    assert not run.records(entry.stream)


@pytest.mark.parametrize("entry", LISTS, ids=[e.stream for e in LISTS])
def test_a_service_app_not_granted_the_scope_skips_it_with_one_warning(
    sim: OktaSimulator, entry: PlainList
) -> None:
    app = sim.org.register_service_app(scopes=ALL_READ_SCOPES - {entry.scope})
    run = sync_in_process(service_app_config(sim, app), streams=(entry.stream, "trusted_origins"))
    assert run.returncode == 0, run.stderr[-3000:]
    [warning] = warnings(run)
    assert f"'{entry.stream}' was skipped" in warning
    assert entry.scope in warning
    assert run.records("trusted_origins")
    assert not run.records(entry.stream)


@pytest.mark.cli
@pytest.mark.parametrize("missing", ["scope", "feature"])
def test_the_cli_skips_every_list_it_cannot_read_with_one_warning_each(
    sim: OktaSimulator, missing: str
) -> None:
    """The tap's process, every plain posture list selected (api_tokens too): each
    refused scope, or each feature the org lacks, is one WARNING; the rest lands."""
    if missing == "scope":
        scopes = ALL_READ_SCOPES - {e.scope for e in PLAIN_LISTS}
        config = service_app_config(sim, sim.org.register_service_app(scopes=scopes))
    else:
        sim.org.disabled_features.update(e.family for e in PLAIN_LISTS)
        config = {"org_url": sim.base_url, "api_key": API_KEY}
    run = run_tap(config, streams=(*(e.stream for e in PLAIN_LISTS), "trusted_origins"))
    assert run.returncode == 0, run.stderr[-3000:]
    said = warnings(run)
    assert len(said) == len(PLAIN_LISTS), said
    for entry in PLAIN_LISTS:
        [warning] = [w for w in said if f"'{entry.stream}'" in w]
        assert (entry.scope if missing == "scope" else "not available on this org") in warning
        assert not run.records(entry.stream)
    assert run.records("trusted_origins")


@pytest.mark.parametrize("refused", [LISTS[0], LISTS[-1]], ids=lambda e: e.stream)
def test_one_refused_optional_scope_costs_only_its_own_stream(
    sim: OktaSimulator, refused: PlainList
) -> None:
    """Okta refuses the whole token request without naming the scope: every other
    optional scope is still asked for and granted, whatever its place in the request."""
    app = sim.org.register_service_app(scopes=ALL_READ_SCOPES - {refused.scope})
    run = sync_in_process(service_app_config(sim, app), streams=tuple(e.stream for e in LISTS))
    assert run.returncode == 0, run.stderr[-3000:]
    [warning] = warnings(run)
    assert f"'{refused.stream}' was skipped" in warning
    assert not run.records(refused.stream)
    assert [e.stream for e in LISTS if e is not refused and not run.records(e.stream)] == []


@pytest.mark.parametrize("entry", LISTS, ids=[e.stream for e in LISTS])
def test_an_admin_without_the_role_skips_it_with_one_warning(
    sim: OktaSimulator, entry: PlainList
) -> None:
    """The security job selects every opt-in stream: a new one whose role the token's
    admin lacks (403 E0000006) is skipped, not a failed job."""
    token = f"00sim-token-of-an-admin-without-{entry.family}-7f3c"
    sim.org.add_api_token(token, permissions=ALL_FAMILIES - {entry.family})
    run = sync_in_process(
        {"org_url": sim.base_url, "api_key": token}, streams=(entry.stream, "trusted_origins")
    )
    assert run.returncode == 0, run.stderr[-3000:]
    [warning] = warnings(run)
    assert f"'{entry.stream}' was skipped" in warning
    assert "E0000006" in warning
    assert run.records("trusted_origins")
    assert not run.records(entry.stream)
    assert token not in run.stderr


def test_a_log_stream_token_okta_might_list_never_lands(sim: OktaSimulator) -> None:
    """Okta documents the Splunk HEC token as write-only; should it ever be listed, it is
    a secret like the hooks'."""
    secret = "11111111-1111-4222-8222-222222222222"
    [first, *_] = sorted(sim.org.listed["log_streams"])
    with sim.org.lock:
        sim.org.listed["log_streams"][first]["settings"]["token"] = secret
    run = sync_in_process({"org_url": sim.base_url, "api_key": API_KEY}, streams=("log_streams",))
    assert run.returncode == 0, run.stderr[-3000:]
    assert secret not in run.stdout
    [record] = [r for r in run.records("log_streams") if r["id"] == first]
    assert record["settings"]["token"] is None
