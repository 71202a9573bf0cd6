"""``app_grants``, ``app_features``, ``org_settings``: what is particular to them (their
contract is in test_stream_contracts.py).

The per-app streams ask once per app on a complete read and, in between, only for the
apps the System Log names; what a re-read no longer finds (a revoked grant, provisioning
turned off, a deleted app) becomes a deletion. An app without provisioning has no
feature rows and no warning. A scope or feature the org lacks: one warning, the rest
lands.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.harness import API_KEY, TapRun, run_tap, service_app_config, sync_in_process
from tests.okta_sim import OktaSimulator, app_posture
from tests.okta_sim.oauth import ALL_READ_SCOPES

PER_APP = ("app_grants", "app_features")


def warnings(run: TapRun) -> list[str]:
    return run.warning_lines()


def per_app_requests(sim: OktaSimulator, since: int, suffix: str) -> Counter[str]:
    """App id -> requests for ``/api/v1/apps/{id}/<suffix>`` since request ``since``."""
    return Counter(
        r.path.split("/")[4]
        for r in sim.requests[since:]
        if r.path.startswith("/api/v1/apps/") and r.path.endswith(f"/{suffix}")
    )


def live(run: TapRun, stream: str, key: str) -> set[tuple[str, str]]:
    return {(r["app_id"], r[key]) for r in run.records(stream) if not r.get("_sdc_deleted_at")}


def gone(run: TapRun, stream: str, key: str) -> list[tuple[str, str]]:
    return [(r["app_id"], r[key]) for r in run.records(stream) if r.get("_sdc_deleted_at")]


def test_the_org_has_findings_to_find(sim: OktaSimulator) -> None:
    """Some service app holds a manage scope; some app pushes users but never
    deactivates them."""
    service = {
        a
        for a in sim.org.app_posture.grants
        if app_posture.application_type(sim.org, a) == "service"
    }
    scopes = {g["scopeId"] for a in service for g in sim.org.app_posture.grants[a].values()}
    assert {s for s in scopes if s.startswith("okta.") and s.endswith(".manage")}
    deactivate = [
        f["capabilities"]["update"]["lifecycleDeactivate"]["status"]
        for fs in sim.org.app_posture.features.values()
        for f in fs
    ]
    assert "DISABLED" in deactivate
    assert "ENABLED" in deactivate


def test_a_complete_read_asks_once_per_app_and_apps_without_provisioning_are_quiet(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    start = len(sim.requests)
    run = sync_in_process(api_config, streams=(*PER_APP, "apps"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert not warnings(run)
    apps = set(sim.org.apps)
    assert per_app_requests(sim, start, "grants") == dict.fromkeys(apps, 1)
    assert per_app_requests(sim, start, "features") == dict.fromkeys(apps, 1)
    # The connection only for the apps that have features.
    provisioned = set(sim.org.app_posture.features)
    assert provisioned
    assert provisioned < apps
    assert per_app_requests(sim, start, "default") == dict.fromkeys(provisioned, 1)
    # The app list once, by the apps stream: the per-app streams take its ids.
    assert sum(1 for r in sim.requests[start:] if r.path == "/api/v1/apps") == 1
    assert live(run, "app_features", "name") == sim.org.snapshot()["app_features"]
    connections = {r["app_id"]: r["connection"]["baseUrl"] for r in run.records("app_features")}
    assert connections == {a: sim.org.app_posture.connections[a]["baseUrl"] for a in provisioned}


def test_between_complete_reads_only_the_apps_the_log_names_are_read_again(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    first = sync_in_process(api_config, streams=PER_APP)
    assert first.returncode == 0, first.stderr[-3000:]
    service_app = sorted(sim.org.app_posture.grants)[0]
    granted = app_posture.grant_scope(sim.org, service_app, "okta.users.manage")
    pushing = sorted(sim.org.app_posture.features)[0]
    app_posture.set_deprovisioning(sim.org, pushing, False)

    start = len(sim.requests)
    second = sync_in_process(api_config, state=first.final_state, streams=PER_APP)
    assert second.returncode == 0, second.stderr[-3000:]
    # application.lifecycle.update names `pushing` for both streams; the consent grant
    # names `service_app` for app_grants only.
    assert per_app_requests(sim, start, "grants") == {service_app: 1, pushing: 1}
    assert per_app_requests(sim, start, "features") == {pushing: 1}
    assert (service_app, granted) in live(second, "app_grants", "id")
    [feature] = [r for r in second.records("app_features") if r["app_id"] == pushing]
    assert feature["capabilities"]["update"]["lifecycleDeactivate"]["status"] == "DISABLED"
    assert not gone(second, "app_grants", "id")
    assert not gone(second, "app_features", "name")

    # Revoked, provisioning off, an app deleted: each a deletion, once.
    app_posture.revoke_grant(sim.org, service_app, granted)
    app_posture.disable_provisioning(sim.org, pushing)
    holder = sorted(a for a, gs in sim.org.app_posture.grants.items() if gs and a != service_app)[0]
    held = sorted(sim.org.app_posture.grants[holder])
    sim.org.set_app_status(holder, "INACTIVE")
    sim.org.delete_app(holder)
    third = sync_in_process(api_config, state=second.final_state, streams=PER_APP)
    assert third.returncode == 0, third.stderr[-3000:]
    assert sorted(gone(third, "app_grants", "id")) == sorted(
        [(service_app, granted), *((holder, g) for g in held)]
    )
    assert gone(third, "app_features", "name") == [(pushing, "USER_PROVISIONING")]
    fourth = sync_in_process(api_config, state=third.final_state, streams=PER_APP)
    assert not fourth.records("app_grants")
    assert not fourth.records("app_features")


def test_a_complete_read_cut_short_resumes_after_the_last_app(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    """Past max_run_seconds the read stops between apps; the next run reads the rest,
    each app once over both runs."""
    sim.latency_seconds = 0.05
    start = len(sim.requests)
    first = sync_in_process({**api_config, "max_run_seconds": 1}, streams=("app_grants",))
    assert first.returncode == 0, first.stderr[-3000:]
    asked_first = per_app_requests(sim, start, "grants")
    assert 0 < len(asked_first) < len(sim.org.apps), "the read was not cut short"
    sim.latency_seconds = 0
    middle = len(sim.requests)
    second = sync_in_process(api_config, state=first.final_state, streams=("app_grants",))
    assert second.returncode == 0, second.stderr[-3000:]
    asked_second = per_app_requests(sim, middle, "grants")
    assert not set(asked_first) & set(asked_second)
    assert set(asked_first) | set(asked_second) == set(sim.org.apps)
    written = [*live(first, "app_grants", "id"), *live(second, "app_grants", "id")]
    assert len(written) == len(set(written))
    assert set(written) == sim.org.snapshot()["app_grants"]


def test_org_settings_without_threat_insight_lands_with_one_warning(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    sim.org.disabled_features.add("threatInsights")
    run = sync_in_process(api_config, streams=("org_settings",))
    assert run.returncode == 0, run.stderr[-3000:]
    [warning] = warnings(run)
    assert "threat_insight" in warning
    assert "E0000015" in warning
    [org] = run.records("org_settings")
    assert org["id"] == sim.org.org_id
    assert org["threat_insight"] is None


def test_org_settings_carries_threat_insight(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    run = sync_in_process(api_config, streams=("org_settings",))
    [org] = run.records("org_settings")
    assert org["threat_insight"]["action"] == sim.org.app_posture.threat_insight["action"]
    assert org["companyName"] == sim.org.app_posture.settings["companyName"]


@pytest.mark.cli
@pytest.mark.parametrize(
    ("refused", "stream"),
    [
        ("okta.appGrants.read", "app_grants"),
        ("okta.orgs.read", "org_settings"),
        ("okta.threatInsights.read", "org_settings"),
    ],
)
def test_the_cli_with_a_scope_refused_warns_once_and_the_rest_lands(
    sim: OktaSimulator, refused: str, stream: str
) -> None:
    """Okta refuses the token request for a scope the app lacks; the tap asks again
    without the optional one: one warning, exit 0, the other streams land.

    Okta does not say which scope it refused, so the tap drops optional scopes from the
    last one: the run selects no other stream with an optional scope of its own."""
    app = sim.org.register_service_app(scopes=ALL_READ_SCOPES - {refused})
    run = run_tap(service_app_config(sim, app), streams=(stream, "app_features", "trusted_origins"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(warnings(run)) == 1, warnings(run)
    [warning] = warnings(run)
    assert stream in warning
    assert refused in warning
    assert run.records("trusted_origins")
    assert run.records("app_features")
    if refused == "okta.threatInsights.read":
        [org] = run.records(stream)
        assert org["threat_insight"] is None
    else:
        assert not run.records(stream)


@pytest.mark.cli
def test_the_cli_on_an_org_without_the_features_warns_once_each(sim: OktaSimulator) -> None:
    sim.org.disabled_features.update({"appGrants", "threatInsights"})
    run = run_tap(
        {"org_url": sim.base_url, "api_key": API_KEY}, streams=(*PER_APP, "domains", "org_settings")
    )
    assert run.returncode == 0, run.stderr[-3000:]
    grants_warning, org_warning = warnings(run)
    assert "'app_grants' is not available on this org" in grants_warning
    assert "threat_insight" in org_warning
    assert not run.records("app_grants")
    assert run.records("app_features")
    assert run.records("domains")
    assert run.records("org_settings")[0]["threat_insight"] is None
