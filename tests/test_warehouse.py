"""The directory job through real warehouse targets: what the tables hold is the org, now.

``meltano run tap-okta--directory target-postgres`` (MeltanoLabs, soft deletes and
ACTIVATE_VERSION) and ``target-duckdb`` (hard deletes of rows whose record carries
``_sdc_deleted_at``; it ignores ACTIVATE_VERSION), through rounds of changes in the
simulator. After each round every table's live rows are compared, by primary key,
with the simulator's state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from psycopg import sql

from tap_okta.ratelimit import CLOCK_OFFSET_ENV
from tests.harness import API_KEY
from tests.okta_sim import OktaSimulator
from tests.okta_sim.org import Org
from tests.warehouse import (  # noqa: F401 (fixtures)
    DIRECTORY_KEYS,
    SCHEMA,
    PostgresInfo,
    WarehouseProject,
    duckdb_column_name,
    duckdb_path,
    duckdb_table_name,
    install_plugins,
    postgres,
    postgres_all_keys,
    postgres_database,
)

pytestmark = pytest.mark.e2e

TARGETS = ("target-postgres", "target-duckdb")
Keys = set[tuple[Any, ...]]
RELATIONS = {
    "group_members": ("groups", "users"),
    "app_users": ("apps", "users"),
    "app_groups": ("apps", "groups"),
}


@pytest.fixture(scope="module")
def installed() -> None:
    seconds = install_plugins()  # once per session, shared with test_meltano_e2e
    print(f"\nFIGURES meltano install: {seconds:.1f} s")


def org_keys(sim: OktaSimulator) -> dict[str, Keys]:
    snapshot = sim.org.snapshot()
    return {t: {k if isinstance(k, tuple) else (k,) for k in keys} for t, keys in snapshot.items()}


def joined_to_live_parents(table: str, keys: Keys, present: dict[str, Keys]) -> Keys:
    """A relationship's rows whose both ends are live: how to query around cascades."""
    left, right = RELATIONS[table]
    lefts = {k[0] for k in present[left]}
    rights = {k[0] for k in present[right]}
    return {k for k in keys if k[0] in lefts and k[1] in rights}


class Round:
    """One pipeline run and the comparison of every table with the org."""

    def __init__(self, project: WarehouseProject, target: str, sim: OktaSimulator) -> None:
        self.project, self.target, self.sim = project, target, sim
        self.figures: list[str] = []

    def run(self, name: str) -> dict[str, dict[str, int]]:
        self.project.load(self.target)
        expected = org_keys(self.sim)
        present = {t: self.project.live_keys(self.target, t) for t in DIRECTORY_KEYS}
        result: dict[str, dict[str, int]] = {}
        for table in DIRECTORY_KEYS:
            want, have = expected[table], present[table]
            row = {
                "expected": len(want),
                "present": len(want & have),
                "extra": len(have - want),
                "missing": len(want - have),
            }
            if table in RELATIONS:
                row["extra_after_join"] = len(joined_to_live_parents(table, have, present) - want)
            if self.project.postgres is not None and self.target == "target-postgres":
                keys = DIRECTORY_KEYS[table]
                every = postgres_all_keys(self.project.postgres, SCHEMA, table, keys)
                # A row marked deleted must be gone from the org: no unchanged row is.
                row["deleted_but_live_in_org"] = len((every - have) & want)
            result[table] = row
            print(f"FIGURES warehouse {self.target} {name} {table}: {row}")
        return result


def batched_at(info: PostgresInfo, table: str) -> dict[tuple[Any, ...], Any]:
    keys = DIRECTORY_KEYS[table]
    query = sql.SQL("SELECT {cols}, _sdc_batched_at, _sdc_table_version FROM {t}").format(
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in keys), t=sql.Identifier(SCHEMA, table)
    )
    with info.connect() as conn:
        return {tuple(r[: len(keys)]): r[len(keys) :] for r in conn.execute(query).fetchall()}


def new_field_values(project: WarehouseProject, target: str, table: str, field: str) -> list[Any]:
    """The distinct values a table's column for a field Okta added holds (JSON decoded)."""
    if target == "target-postgres":
        assert project.postgres is not None
        query = sql.SQL("SELECT DISTINCT {c} FROM {t}").format(
            c=sql.Identifier(field), t=sql.Identifier(SCHEMA, table)
        )
        with project.postgres.connect() as conn:
            return [row[0] for row in conn.execute(query).fetchall()]
    assert project.duckdb_path is not None
    column, name = duckdb_column_name(field), duckdb_table_name(table)
    with duckdb.connect(str(project.duckdb_path), read_only=True) as conn:
        rows = conn.execute(f'SELECT DISTINCT "{column}" FROM "{SCHEMA}"."{name}"').fetchall()  # noqa: S608
    # A JSON column comes back as its text.
    return [json.loads(v) if isinstance(v, str) and v[:1] == "{" else v for (v,) in rows]


def pick(sim: OktaSimulator) -> dict[str, str]:
    """Objects the rounds change, chosen so no round's change hides another's."""
    org = sim.org
    groups = [
        g["id"]
        for g in org.all_groups()
        if g["type"] == "OKTA_GROUP" and org.group_members(g["id"])
    ]
    apps = [
        a["id"]
        for a in org.all_apps()
        if org.removable_app_user_ids(a["id"]) and org.app_group_ids(a["id"])
    ]
    users = [u["id"] for u in org.all_users()]
    # A group assigned to an app other than the ones above: its new member gets that
    # app through the group (scope GROUP), an assignment no event names directly.
    via_group = next(
        (a["id"], g)
        for a in org.all_apps()
        if a["id"] not in apps[:2]
        for g in org.app_group_ids(a["id"])
        if g in groups[3:]
    )
    return {
        "group_app": via_group[0],
        "assigned_group": via_group[1],
        "group_a": groups[0],
        "group_b": groups[1],
        "group_deleted": groups[2],
        "app": apps[0],
        "app_deleted": apps[1],
        "user_deleted": next(
            u for u in reversed(users) if any(u in org.group_members(g) for g in groups[3:])
        ),
    }


@pytest.mark.parametrize("target", TARGETS)
def test_rounds_of_changes_keep_every_table_equal_to_the_org(
    target: str,
    installed: None,
    tmp_path: Path,
    sim: OktaSimulator,
    postgres_database: PostgresInfo,  # noqa: F811
    duckdb_path: Path,  # noqa: F811
) -> None:
    org = sim.org
    project = WarehouseProject(
        tmp_path,
        org_url=sim.base_url,
        api_key=API_KEY,
        postgres=postgres_database,
        duckdb_path=duckdb_path,
        tap_settings={"emit_activate_version_messages": True, "full_sync_interval_days": 7},
    )
    rounds = Round(project, target, sim)
    chosen = pick(sim)
    # Top-level fields no schema names, as a newer Okta adds them: the tap declares them
    # in a new SCHEMA message, and each target stores them in a column of its own.
    org.add_new_fields()

    # Round 0: the first run reads everything.
    first = rounds.run("round0-initial")
    assert all(r["missing"] == 0 and r["extra"] == 0 for r in first.values()), first
    for table, (field, value) in Org.NEW_FIELDS.items():
        assert new_field_values(project, target, table, field) == [value], (table, field)
    before = batched_at(postgres_database, "group_members") if target == "target-postgres" else {}

    # Round 1: additions and removals, each logged by Okta one row at a time.
    a, b, app = chosen["group_a"], chosen["group_b"], chosen["app"]
    outsider = next(u["id"] for u in org.all_users() if u["id"] not in org.group_members(a))
    org.add_group_member(a, outsider)
    org.remove_group_member(b, org.group_members(b)[0])
    org.unassign_app_user(app, org.removable_app_user_ids(app)[0])
    org.assign_app_user(
        app, next(u["id"] for u in org.all_users() if u["id"] not in org.app_user_ids(app))
    )
    org.unassign_app_group(app, org.app_group_ids(app)[0])
    group_app, assigned_group = chosen["group_app"], chosen["assigned_group"]
    newcomer = next(
        u["id"]
        for u in org.all_users()
        # Okta assigns no app to a deactivated user.
        if u["status"] == "ACTIVE"
        and u["id"] not in org.app_user_ids(group_app)
        and u["id"] not in org.group_members(assigned_group)
    )
    org.add_group_member(assigned_group, newcomer)
    assert newcomer in org.app_user_ids(group_app)  # through the group
    org.create_user()
    org.update_user_profile(org.all_users()[0]["id"], {"title": "Round 1"})
    second = rounds.run("round1-changes")
    assert all(r["missing"] == 0 and r["extra"] == 0 for r in second.values()), second
    assert (group_app, newcomer) in project.live_keys(target, "app_users")
    if target == "target-postgres":
        after = batched_at(postgres_database, "group_members")
        everyone = next(g["id"] for g in org.all_groups() if g["type"] == "BUILT_IN")
        unchanged = [k for k in before if k[0] not in (a, b, everyone)]
        touched = [k for k in unchanged if after[k] != before[k]]
        assert unchanged
        assert not touched, f"{len(touched)} rows of unchanged groups were rewritten"

    # Round 2: deletions. The objects' own rows go at once; what cascades without an
    # event (a deleted group's members, a deleted user's memberships, a deleted app's
    # assignments) stays until the complete read, but joins to live parents hide it.
    org.set_user_status(chosen["user_deleted"], "DEPROVISIONED")
    org.delete_user(chosen["user_deleted"])
    org.delete_group(chosen["group_deleted"])
    org.set_app_status(chosen["app_deleted"], "INACTIVE")
    org.delete_app(chosen["app_deleted"])
    third = rounds.run("round2-deletions")
    for table, row in third.items():
        assert row["missing"] == 0, (table, row)
        if table in RELATIONS:
            assert row["extra_after_join"] == 0, (table, row)
        else:
            assert row["extra"] == 0, (table, row)
    assert third["group_members"]["extra"] > 0  # the cascade really is waiting

    # Round 3: a week later the run reads everything again. target-postgres honours
    # ACTIVATE_VERSION and drops the cascaded rows; target-duckdb ignores it.
    org.clock.advance(8 * 86400)  # Okta's clock (its Date header) moves on
    # ... and the tap's machine's: the tap saves no time past its own clock.
    rounds.project.env[CLOCK_OFFSET_ENV] = str(org.clock.offset)
    fourth = rounds.run("round3-complete-read")
    for table, row in fourth.items():
        assert row["missing"] == 0, (table, row)
        if target == "target-postgres" or table not in RELATIONS:
            assert row["extra"] == 0, (table, row)
        else:
            assert row["extra_after_join"] == 0, (table, row)
        assert row.get("deleted_but_live_in_org", 0) == 0, (table, row)
    for result in (first, second, third, fourth):
        assert all(r.get("deleted_but_live_in_org", 0) == 0 for r in result.values())
