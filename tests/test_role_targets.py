"""``role_targets``: what is particular to it (its contract is in test_stream_contracts.py).

The groups and apps each scoped admin role assignment covers, read for the assignment
types that take targets only, from the assignments this run's ``user_roles`` and
``group_roles`` reads listed (never asked of Okta twice); a target gone becomes a
deletion carrying the table's keys; opt-in, skipped with one warning without its scope,
role or feature.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.harness import TapRun, run_tap, service_app_config, sync_in_process
from tests.okta_sim import OktaSimulator, admin_scopes
from tests.okta_sim.admin_scopes import scope_role
from tests.okta_sim.oauth import ALL_READ_SCOPES
from tests.okta_sim.org import Org
from tests.okta_sim.plain_lists import PLAIN_LISTS, RESERVED_RANDOM_STREAMS

SCOPE = "okta.roles.read"
TARGETS = re.compile(r"^/api/v1/(users|groups)/([^/]+)/roles/([^/]+)/targets/")
ROLES = re.compile(r"^/api/v1/(users|groups)/[^/]+/roles$")


def warnings(run: TapRun) -> list[str]:
    return run.warning_lines()


def keys(run: TapRun, *, deleted: bool = False) -> set[tuple[str, ...]]:
    fields = ("principal_type", "principal_id", "role_assignment_id", "target_type", "target_id")
    return {
        tuple(str(r[f]) for f in fields)
        for r in run.records("role_targets")
        if bool(r.get("_sdc_deleted_at")) == deleted
    }


def scoped_admins(sim: OktaSimulator) -> dict[str, Any]:
    """A USER_ADMIN scoped to two groups, an APP_ADMIN to an app instance and to every
    instance of an OIN app, and an org-wide HELP_DESK_ADMIN."""
    org = sim.org
    users = sorted(u for u, o in org.users.items() if o["status"] == "ACTIVE")
    groups = sorted(g for g, o in org.groups.items() if o["type"] == "OKTA_GROUP")
    app = sorted(org.apps)[0]
    user_admin = org.assign_user_role(users[10], "USER_ADMIN")["id"]
    app_admin = org.assign_user_role(users[11], "APP_ADMIN")["id"]
    org.assign_user_role(users[12], "HELP_DESK_ADMIN")
    scope_role(org, "user", users[10], user_admin, groups=(groups[0], groups[1]))
    scope_role(org, "user", users[11], app_admin, apps=(app, "salesforce"))
    return {
        "user_admin": (users[10], user_admin),
        "app_admin": (users[11], app_admin),
        "groups": groups[:2],
        "app": app,
    }


def test_targets_of_scoped_assignments_land_with_their_role(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    made = scoped_admins(sim)
    start = len(sim.requests)
    run = sync_in_process(api_config, streams=("role_targets",))
    assert run.returncode == 0, run.stderr[-3000:]
    assert keys(run) == sim.org.snapshot()["role_targets"]
    rows = {(r["principal_id"], r["target_id"]): r for r in run.records("role_targets")}
    user, _ = made["user_admin"]
    for group in made["groups"]:
        row = rows[(user, group)]
        assert (row["role_type"], row["target_type"], row["app_name"]) == (
            "USER_ADMIN",
            "group",
            None,
        )
        assert row["target"]["id"] == group
    app_admin, _ = made["app_admin"]
    instance = rows[(app_admin, made["app"])]
    assert instance["app_name"] == sim.org.apps[made["app"]]["name"]
    catalog = rows[(app_admin, "salesforce")]
    assert (catalog["app_name"], catalog["target_type"]) == ("salesforce", "app")
    assert "id" not in catalog["target"]  # Okta names no instance: every one of it
    # Only assignments whose type takes targets are asked, each for its kind.
    asked = [TARGETS.match(r.path) for r in sim.requests[start:]]
    for match in filter(None, asked):
        kind, principal, assignment = match.groups()
        held = (sim.org.user_roles if kind == "users" else sim.org.group_roles)[principal]
        assert held[assignment]["type"] in {
            "USER_ADMIN",
            "HELP_DESK_ADMIN",
            "GROUP_MEMBERSHIP_ADMIN",
            "APP_ADMIN",
        }


def test_the_role_reads_of_the_run_are_not_asked_again(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    """With user_roles and group_roles in the run, role_targets lists no assignment
    itself; in an hourly run (group_roles re-reads only the groups the System Log
    names) it does not ask every group either."""
    scoped_admins(sim)
    streams = ("user_roles", "group_roles", "role_targets")
    start = len(sim.requests)
    first = sync_in_process(api_config, streams=streams)
    assert first.returncode == 0, first.stderr[-3000:]
    roles = [r.path for r in sim.requests[start:] if ROLES.match(r.path)]
    assert len(roles) == len(set(roles)), "a principal's roles asked twice"
    assert keys(first) == sim.org.snapshot()["role_targets"]

    group = sorted(g for g, o in sim.org.groups.items() if o["type"] == "OKTA_GROUP")[3]
    granted = sim.org.assign_group_role(group, "GROUP_MEMBERSHIP_ADMIN")["id"]
    scope_role(sim.org, "group", group, granted, groups=(group,))
    start = len(sim.requests)
    hourly = sync_in_process(api_config, state=first.final_state, streams=streams)
    assert hourly.returncode == 0, hourly.stderr[-3000:]
    group_roles = [r.path for r in sim.requests[start:] if r.path.startswith("/api/v1/groups/")]
    assert [p for p in group_roles if p.endswith("/roles")] == [f"/api/v1/groups/{group}/roles"]
    assert ("group", group, granted, "group", group) in keys(hourly)
    assert keys(hourly) == sim.org.snapshot()["role_targets"]


def test_a_target_removed_is_deleted_once_with_the_table_keys(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    made = scoped_admins(sim)
    first = sync_in_process(api_config, streams=("role_targets",))
    user, assignment = made["user_admin"]
    kept, removed = made["groups"]
    scope_role(sim.org, "user", user, assignment, groups=(kept,))
    second = sync_in_process(api_config, state=first.final_state, streams=("role_targets",))
    assert second.returncode == 0, second.stderr[-3000:]
    assert keys(second, deleted=True) == {("user", user, assignment, "group", removed)}
    assert keys(second) == sim.org.snapshot()["role_targets"]
    third = sync_in_process(api_config, state=second.final_state, streams=("role_targets",))
    assert not keys(third, deleted=True)


@pytest.mark.cli
@pytest.mark.parametrize("missing", ["scope", "feature"])
def test_without_its_scope_or_feature_one_warning_and_the_rest_lands(
    sim: OktaSimulator, missing: str
) -> None:
    scopes = ALL_READ_SCOPES - {SCOPE} if missing == "scope" else ALL_READ_SCOPES
    config = service_app_config(sim, sim.org.register_service_app(scopes=set(scopes)))
    if missing == "feature":
        sim.org.disabled_features.add("roles")
    run = run_tap(config, streams=("role_targets", "trusted_origins"))
    assert run.returncode == 0, run.stderr[-3000:]
    [warning] = warnings(run)
    assert "'role_targets'" in warning
    assert SCOPE in warning if missing == "scope" else "not available" in warning
    assert run.records("trusted_origins")
    assert not run.records("role_targets")


def test_the_generators_draw_from_streams_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Adding role targets and group owners changed no other object of a generated org."""
    taken = set(admin_scopes.RANDOM_STREAMS.values())
    assert len(taken) == len(admin_scopes.RANDOM_STREAMS)
    assert not taken & (RESERVED_RANDOM_STREAMS | {e.random_stream for e in PLAIN_LISTS})
    now = Org.generate(users=5, seed=23).clock.now()
    with_them = Org.generate(users=120, seed=23, now=now)
    monkeypatch.setattr(admin_scopes, "generate", lambda org, seed, now_s: None)
    without = Org.generate(users=120, seed=23, now=now)
    both, before = with_them.snapshot(), without.snapshot()
    assert before["role_targets"] == before["group_owners"] == set()
    assert both["role_targets"]
    assert both["group_owners"]
    mine = {"role_targets", "group_owners"}
    assert {k: v for k, v in both.items() if k not in mine} == {
        k: v for k, v in before.items() if k not in mine
    }
    assert with_them.all_users() == without.all_users()
    assert with_them.visible_events() == without.visible_events()
