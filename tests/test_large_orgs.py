"""What a large org needs, over HTTP against the simulator: streams the org lacks are
skipped, routes of one Okta bucket share its budget under the per-token ceiling, and
a run capped by ``max_run_seconds`` is resumed by the next one without gaps or repeats.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
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


def chain_capped_runs(
    config: dict[str, Any],
    state: dict[str, Any] | None,
    streams: tuple[str, ...],
    after_cut: Callable[[dict[str, Any]], bool] | None = None,
) -> list[TapRun]:
    """Runs capped by ``config``'s max_run_seconds, each from the last one's state,
    until one ends without being cut short. ``after_cut`` is called with the state
    of each run cut short until it returns True."""
    runs: list[TapRun] = []
    while len(runs) < 60:
        run = run_tap(config, streams=streams, state=state)
        assert run.returncode == 0, run.stderr[-3000:]
        runs.append(run)
        state = run.final_state
        if "Stopped after max_run_seconds" not in run.stderr:
            break
        if after_cut is not None and after_cut(state):
            after_cut = None
    assert len(runs) > 2, "the cap never cut a run short"
    assert "Stopped after max_run_seconds" not in runs[-1].stderr
    assert after_cut is None, "the runs ended before after_cut could act"
    return runs


def test_capped_runs_resume_without_gaps_or_repeats(slow_sim: OktaSimulator) -> None:
    sim = slow_sim
    config = {"org_url": sim.base_url, "api_key": API_KEY, "max_run_seconds": 1}
    runs = chain_capped_runs(config, None, DEFAULT_STREAMS)
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


# -- the per-principal security streams: resumable complete reads too ----------

PER_PRINCIPAL = ("group_roles", "user_factors")
PER_PRINCIPAL_KEYS = {"group_roles": ("groupId", "id"), "user_factors": ("userId", "id")}


@pytest.fixture
def slow_security_sim() -> Iterator[OktaSimulator]:
    # More groups than the default org: group_roles' read is cut short too.
    with OktaSimulator(
        users=150, groups=100, seed=11, api_key=API_KEY, latency_seconds=0.03
    ) as simulator:
        simulator.rate_limits.window_seconds = 5
        yield simulator


def record_messages(runs: list[TapRun], stream: str) -> list[dict[str, Any]]:
    return [
        m for run in runs for m in run.messages if m["type"] == "RECORD" and m["stream"] == stream
    ]


def activations(runs: list[TapRun], stream: str) -> list[tuple[int, int]]:
    """(run index, version) of each ACTIVATE_VERSION of ``stream``."""
    return [
        (i, m["version"])
        for i, run in enumerate(runs)
        for m in run.messages
        if m["type"] == "ACTIVATE_VERSION" and m["stream"] == stream
    ]


def test_capped_runs_resume_the_per_principal_reads(slow_security_sim: OktaSimulator) -> None:
    """user_factors and group_roles stop between principals at max_run_seconds and the
    next run goes on after the last one read in full: every record exactly once, one
    table version over the runs, ACTIVATE_VERSION once, after the last principal."""
    sim = slow_security_sim
    config = {
        "org_url": sim.base_url,
        "api_key": API_KEY,
        "max_run_seconds": 1,
        "emit_activate_version_messages": True,
    }
    runs = chain_capped_runs(config, None, PER_PRINCIPAL)
    snapshot = sim.org.snapshot()
    for stream in PER_PRINCIPAL:
        stops = [run for run in runs if f"Stream '{stream}': max_run_seconds reached" in run.stderr]
        assert stops, f"{stream} was never cut short"
        assert "its complete read goes on after" in stops[0].stderr
        messages = record_messages(runs, stream)
        keys = [tuple(m["record"][f] for f in PER_PRINCIPAL_KEYS[stream]) for m in messages]
        repeated = [k for k, n in Counter(keys).items() if n > 1]
        assert not repeated, (stream, repeated[:5])
        assert set(keys) == set(snapshot[stream]), stream
        [version] = {m.get("version") for m in messages}
        assert version is not None
        # Once, by the run that read the last principal, with the version of every run.
        [(index, activated)] = activations(runs, stream)
        assert activated == version, stream
        assert not record_messages(runs[index + 1 :], stream), stream
        assert "progress" not in runs[-1].final_state["bookmarks"][stream]


def test_a_resumed_group_roles_read_keeps_its_deletions_exact(
    slow_security_sim: OktaSimulator,
) -> None:
    """Roles revoked while a capped complete read of group_roles is under way, in a
    group it has read and in one it has not, and one granted in a group it has read:
    each revoked role is deleted once, and the table ends as the org."""
    sim = slow_security_sim
    org = sim.org
    groups = sorted(g["id"] for g in org.all_groups())
    # The first group is read by the first run that reads any; the last by the last.
    first_group, last_group = groups[0], groups[-1]
    early = (first_group, org.assign_group_role(first_group, "HELP_DESK_ADMIN")["id"])
    late = (last_group, org.assign_group_role(last_group, "HELP_DESK_ADMIN")["id"])
    base = {"org_url": sim.base_url, "api_key": API_KEY, "emit_activate_version_messages": True}
    first = run_tap(base, streams=("group_roles",))
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.final_state["bookmarks"]["group_roles"]["known"][last_group] == [late[1]]
    granted: list[tuple[str, str]] = []

    def change_roles(state: dict[str, Any]) -> bool:
        progress = state["bookmarks"]["group_roles"].get("progress")
        if not progress:
            return False  # group_roles did not start this run
        assert first_group <= progress["done"] < last_group
        org.unassign_group_role(*early)
        org.unassign_group_role(*late)
        granted.append((first_group, org.assign_group_role(first_group, "REPORT_ADMIN")["id"]))
        return True

    # A complete read again (the interval has passed), capped.
    config = {**base, "max_run_seconds": 1, "full_sync_interval_days": 1e-9}
    runs = chain_capped_runs(config, first.final_state, ("group_roles",), change_roles)
    messages = record_messages(runs, "group_roles")
    tombstones = [
        (m["record"]["groupId"], m["record"]["id"])
        for m in messages
        if m["record"].get("_sdc_deleted_at")
    ]
    assert sorted(tombstones) == sorted([early, late])
    # The table, replaying the first run and the chain: the org as it is now.
    table: set[tuple[str, str]] = set()
    for m in [*record_messages([first], "group_roles"), *messages]:
        key = (m["record"]["groupId"], m["record"]["id"])
        if m["record"].get("_sdc_deleted_at"):
            table.discard(key)
        else:
            table.add(key)
    assert granted[0] in table
    assert table == set(org.snapshot()["group_roles"])
    [version] = {m.get("version") for m in messages}
    assert activations(runs, "group_roles") == [(len(runs) - 1, version)]
    assert version != {m.get("version") for m in record_messages([first], "group_roles")}.pop()
