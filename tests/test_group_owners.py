"""``group_owners``: what is particular to it (its contract is in test_stream_contracts.py).

Each group's owners (users or groups), read group by group in full every run: an owner
removed becomes a deletion; opt-in, skipped with one warning without its scope or on an
org without group owners; a run cut short by ``max_run_seconds`` resumes after the last
group it read whole.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import API_KEY, TapRun, run_tap, service_app_config, sync_in_process
from tests.okta_sim import OktaSimulator
from tests.okta_sim.admin_scopes import GROUP_OWNERS_FEATURE, set_group_owners
from tests.okta_sim.oauth import ALL_READ_SCOPES

SCOPE = "okta.groups.read"


def warnings(run: TapRun) -> list[str]:
    return run.warning_lines()


def keys(run: TapRun, *, deleted: bool = False) -> set[tuple[str, str]]:
    return {
        (str(r["group_id"]), str(r["id"]))
        for r in run.records("group_owners")
        if bool(r.get("_sdc_deleted_at")) == deleted
    }


def test_owners_land_and_an_owner_removed_is_deleted_once(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    group = sorted(g for g, o in sim.org.groups.items() if o["type"] == "OKTA_GROUP")[0]
    users = sorted(sim.org.users)[:2]
    owner = {"type": "USER", "displayName": "Owner", "originType": "OKTA_DIRECTORY"}
    set_group_owners(sim.org, group, {users[0]: owner, users[1]: owner})
    first = sync_in_process(api_config, streams=("group_owners",))
    assert first.returncode == 0, first.stderr[-3000:]
    assert keys(first) == sim.org.snapshot()["group_owners"]
    row = next(
        r for r in first.records("group_owners") if (r["group_id"], r["id"]) == (group, users[0])
    )
    assert (row["type"], row["originType"]) == ("USER", "OKTA_DIRECTORY")

    set_group_owners(sim.org, group, {users[0]: owner})
    second = sync_in_process(api_config, state=first.final_state, streams=("group_owners",))
    assert keys(second, deleted=True) == {(group, users[1])}
    assert keys(second) == sim.org.snapshot()["group_owners"]
    third = sync_in_process(api_config, state=second.final_state, streams=("group_owners",))
    assert not keys(third, deleted=True)


def test_the_groups_read_of_the_run_are_not_listed_again(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    start = len(sim.requests)
    run = sync_in_process(api_config, streams=("groups", "group_owners"))
    assert run.returncode == 0, run.stderr[-3000:]
    group_lists = [r for r in sim.requests[start:] if r.path == "/api/v1/groups"]
    assert len(group_lists) == 1  # the groups stream's own, not a second listing
    owners = [r.path for r in sim.requests[start:] if r.path.endswith("/owners")]
    assert sorted(owners) == sorted(f"/api/v1/groups/{g}/owners" for g in sim.org.groups)


@pytest.mark.cli
@pytest.mark.parametrize("missing", ["scope", "feature"])
def test_without_its_scope_or_feature_one_warning_and_the_rest_lands(
    sim: OktaSimulator, missing: str
) -> None:
    scopes = ALL_READ_SCOPES - {SCOPE} if missing == "scope" else ALL_READ_SCOPES
    config = service_app_config(sim, sim.org.register_service_app(scopes=set(scopes)))
    if missing == "feature":
        sim.org.disabled_features.add(GROUP_OWNERS_FEATURE)
    run = run_tap(config, streams=("group_owners", "trusted_origins"))
    assert run.returncode == 0, run.stderr[-3000:]
    [warning] = warnings(run)
    assert "'group_owners'" in warning
    assert SCOPE in warning if missing == "scope" else "not available" in warning
    assert run.records("trusted_origins")
    assert not run.records("group_owners")


def test_a_capped_read_resumes_after_the_last_group_read_whole() -> None:
    """Past max_run_seconds the read stops between groups; the next run goes on after the
    last one it wrote whole: every owner once over the runs, one table version,
    ACTIVATE_VERSION once, by the run that read the last group."""
    with OktaSimulator(
        users=150, groups=100, seed=11, api_key=API_KEY, latency_seconds=0.03
    ) as sim:
        config = {
            "org_url": sim.base_url,
            "api_key": API_KEY,
            "max_run_seconds": 1,
            "emit_activate_version_messages": True,
        }
        runs: list[TapRun] = []
        state: dict[str, Any] | None = None
        while len(runs) < 30:
            run = sync_in_process(config, state=state, streams=("group_owners",))
            assert run.returncode == 0, run.stderr[-3000:]
            runs.append(run)
            state = run.final_state
            if "progress" not in state["bookmarks"]["group_owners"]:
                break
        assert len(runs) > 2, "the cap never cut a run short"
        assert "its complete read goes on after group" in runs[0].stderr
        messages = [m for r in runs for m in r.messages if m["type"] == "RECORD"]
        written = [(m["record"]["group_id"], m["record"]["id"]) for m in messages]
        assert len(written) == len(set(written))
        assert set(written) == sim.org.snapshot()["group_owners"]
        assert len({m.get("version") for m in messages}) == 1
        activations = [
            i for i, r in enumerate(runs) for m in r.messages if m["type"] == "ACTIVATE_VERSION"
        ]
        assert activations == [len(runs) - 1]
