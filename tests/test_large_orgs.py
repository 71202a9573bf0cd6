"""What a large org needs, over HTTP against the simulator: streams the org lacks are
skipped, routes of one Okta bucket share its budget under the per-token ceiling, and
a run capped by ``max_run_seconds`` is resumed by the next one without gaps or repeats.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.harness import API_KEY, TapRun, run_tap, service_app_config
from tests.okta_sim import OktaSimulator

pytestmark = pytest.mark.cli

DEFAULT_STREAMS = ("users", "groups", "group_members", "apps", "app_users", "app_groups", "logs")
# Each of these is missing on the org of the test below: Classic Engine (404) or a
# feature it has not licensed (E0000015).
MISSING = ("authenticators", "devices", "authorization_servers")
SECURITY_SCOPES = {
    "okta.users.read",
    "okta.groups.read",
    "okta.authenticators.read",
    "okta.devices.read",
    "okta.authorizationServers.read",
}


def warnings_about(run: TapRun, stream: str) -> list[str]:
    return [
        line
        for line in run.stderr.splitlines()
        if "WARNING" in line and f"Stream '{stream}' is not available on this org" in line
    ]


@pytest.mark.parametrize("method", ["api_key", "service_app"])
def test_streams_the_org_lacks_are_skipped_and_the_others_land(
    sim: OktaSimulator, method: str
) -> None:
    sim.org.engine = "classic"
    sim.org.disabled_features.add("API_ACCESS_MANAGEMENT")
    if method == "api_key":
        config: dict[str, Any] = {"org_url": sim.base_url, "api_key": API_KEY}
    else:
        config = service_app_config(sim, sim.org.register_service_app(scopes=SECURITY_SCOPES))
    run = run_tap(config, streams=("users", "groups", *MISSING))
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(run.records("users")) == len(sim.org.all_users())
    assert len(run.records("groups")) == len(sim.org.all_groups())
    for stream in MISSING:
        [line] = warnings_about(run, stream)
        assert not run.records(stream)
        assert "E0000007" in line or "E0000015" in line, line
    assert "Identity Engine" in warnings_about(run, "authenticators")[0]
    assert "E0000015" in warnings_about(run, "authorization_servers")[0]
    bookmarks = run.final_state["bookmarks"]
    assert bookmarks["users"]["replication_key_value"]
    assert bookmarks["groups"]["replication_key_value"]
    assert not [line for line in run.stderr.splitlines() if "| ERROR" in line]


def test_a_404_on_the_first_call_still_points_at_org_url(sim: OktaSimulator) -> None:
    sim.org.engine = "classic"
    run = run_tap({"org_url": sim.base_url, "api_key": API_KEY}, streams=("authenticators",))
    assert run.returncode == 1
    assert "org_url" in run.last_line(), run.last_line()


def test_routes_of_one_bucket_stay_under_the_per_token_ceiling(sim: OktaSimulator) -> None:
    """apps, app_users and app_groups draw on Okta's one /api/v1/apps* bucket; under
    the default 50% per-token ceiling and rate_limit_share 0.5 the run gets no 429."""
    sim.rate_limits.limits["/api/v1/apps"] = 20
    sim.rate_limits.window_seconds = 2
    sim.rate_limits.token_share = 0.5
    run = run_tap(
        {"org_url": sim.base_url, "api_key": API_KEY}, streams=("apps", "app_users", "app_groups")
    )
    assert run.returncode == 0, run.stderr[-3000:]
    apps_requests = [r for r in sim.requests if r.path.startswith("/api/v1/apps")]
    assert len(apps_requests) > 2 * 20  # more than two windows' worth: pacing was needed
    assert [r.status for r in sim.requests if r.status == 429] == []
    assert len(run.records("app_users")) == len(sim.org.snapshot()["app_users"])


@pytest.fixture
def slow_sim() -> Iterator[OktaSimulator]:
    # Every answer takes 30 ms, as over a network: a run has something to cap.
    with OktaSimulator(users=300, seed=11, api_key=API_KEY, latency_seconds=0.03) as simulator:
        simulator.rate_limits.window_seconds = 5
        yield simulator


def key_of(stream: str, record: dict[str, Any]) -> tuple[Any, ...]:
    fields = {
        "group_members": ("groupId", "userId"),
        "app_users": ("appId", "id"),
        "app_groups": ("appId", "id"),
        "logs": ("uuid",),
    }.get(stream, ("id",))
    return tuple(record[f] for f in fields)


def test_capped_runs_resume_without_gaps_or_repeats(slow_sim: OktaSimulator) -> None:
    sim = slow_sim
    config = {"org_url": sim.base_url, "api_key": API_KEY, "max_run_seconds": 1}
    runs: list[TapRun] = []
    state: dict[str, Any] | None = None
    while len(runs) < 40:
        run = run_tap(config, streams=DEFAULT_STREAMS, state=state)
        assert run.returncode == 0, run.stderr[-3000:]
        runs.append(run)
        state = run.final_state
        if "Stopped after max_run_seconds" not in run.stderr:
            break
    assert len(runs) > 2, "the cap never cut a run short"
    assert "Stopped after max_run_seconds" not in runs[-1].stderr
    cut = runs[0].stderr
    assert "Stopped after max_run_seconds=1, state saved" in cut
    assert "The next run goes on with what remains" in cut
    # Every record of every stream exactly once over the runs (apps: a full list each
    # run), and together they are the org.
    snapshot = sim.org.snapshot()
    for stream in DEFAULT_STREAMS:
        if stream == "apps":
            continue
        keys = [key_of(stream, r) for run in runs for r in run.records(stream)]
        repeated = [k for k, n in Counter(keys).items() if n > 1]
        assert not repeated, (stream, repeated[:5])
        if stream != "logs":
            want = {k if isinstance(k, tuple) else (k,) for k in snapshot[stream]}
            assert set(keys) == want, stream
    events = {r["uuid"] for run in runs for r in run.records("logs")}
    assert events == sim.org.event_uuids()
