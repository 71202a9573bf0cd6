"""``api_tokens``: what is particular to it (its contract is in test_stream_contracts.py).

Metadata only, never a token's value; a revoked token becomes a deletion; opt-in with
a scope existing service apps lack, so a missing scope or feature skips it with one
warning and the run goes on.
"""

from __future__ import annotations

from typing import Any

from tests.harness import API_KEY, TapRun, service_app_config, sync_in_process
from tests.okta_sim import OktaSimulator
from tests.okta_sim.oauth import ALL_READ_SCOPES

SCOPE = "okta.apiTokens.read"


def warnings(run: TapRun) -> list[str]:
    return run.warning_lines()


def test_records_never_carry_a_token_value(sim: OktaSimulator) -> None:
    secret = "00FakeTokenValueThatMustNeverLand-7c1e"
    [first, *_] = sorted(sim.org.listed["api_tokens"])
    with sim.org.lock:
        sim.org.listed["api_tokens"][first]["token"] = secret
    run = sync_in_process({"org_url": sim.base_url, "api_key": API_KEY}, streams=("api_tokens",))
    assert run.returncode == 0, run.stderr[-3000:]
    assert secret not in run.stdout
    assert all("token" not in r for r in run.records("api_tokens"))
    assert {r["id"] for r in run.records("api_tokens")} == set(sim.org.listed["api_tokens"])


def test_a_revoked_token_is_deleted_once(sim: OktaSimulator, api_config: dict[str, Any]) -> None:
    first = sync_in_process(api_config, streams=("api_tokens",))
    assert first.returncode == 0, first.stderr[-3000:]
    revoked = sorted(sim.org.listed["api_tokens"])[0]
    sim.org.remove_listed("api_tokens", revoked)
    second = sync_in_process(api_config, state=first.final_state, streams=("api_tokens",))
    gone = [r["id"] for r in second.records("api_tokens") if r.get("_sdc_deleted_at")]
    assert gone == [revoked]
    assert "system.api_token.revoke" in {e["eventType"] for e in sim.org.visible_events()}
    third = sync_in_process(api_config, state=second.final_state, streams=("api_tokens",))
    assert not [r for r in third.records("api_tokens") if r.get("_sdc_deleted_at")]


def test_an_org_without_the_feature_skips_it_with_one_warning(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    sim.org.disabled_features.add("apiTokens")
    run = sync_in_process(api_config, streams=("api_tokens", "trusted_origins"))
    assert run.returncode == 0, run.stderr[-3000:]
    [warning] = warnings(run)
    assert "'api_tokens' is not available on this org" in warning
    assert run.records("trusted_origins")
    assert not run.records("api_tokens")


def test_a_service_app_not_granted_the_scope_skips_it_with_one_warning(
    sim: OktaSimulator,
) -> None:
    """Okta refuses the token request that asks for a scope the app lacks; the tap asks
    again without this optional one, and the other streams go on."""
    app = sim.org.register_service_app(scopes=ALL_READ_SCOPES - {SCOPE})
    run = sync_in_process(service_app_config(sim, app), streams=("api_tokens", "trusted_origins"))
    assert run.returncode == 0, run.stderr[-3000:]
    [warning] = warnings(run)
    assert "'api_tokens' was skipped" in warning
    assert SCOPE in warning
    assert run.records("trusted_origins")
    assert not run.records("api_tokens")
