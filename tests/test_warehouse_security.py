"""The access-review job through a real warehouse: the security tables equal the org.

``meltano run tap-okta--security target-postgres`` (soft deletes, ACTIVATE_VERSION)
through a round of changes to factors, admin roles, devices, policies, group rules
and zones, then a complete read a week later. Every table's live rows are compared
by primary key with the simulator's state. (target-duckdb's hard deletes are
exercised by test_warehouse.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tap_okta.ratelimit import CLOCK_OFFSET_ENV
from tests.harness import API_KEY
from tests.okta_sim import OktaSimulator
from tests.warehouse import (  # noqa: F401 (fixtures)
    SCHEMA,
    SECURITY_KEYS,
    PostgresInfo,
    WarehouseProject,
    duckdb_path,
    install_plugins,
    postgres,
    postgres_database,
    postgres_types,
)

pytestmark = pytest.mark.e2e

# target-duckdb's deletes are covered by test_warehouse; one target keeps the suite short.
TARGETS = ("target-postgres",)
Keys = set[tuple[Any, ...]]


@pytest.fixture(scope="module")
def installed() -> None:
    install_plugins()  # once per session, shared with the other Meltano tests


def org_keys(sim: OktaSimulator) -> dict[str, Keys]:
    snapshot = sim.org.snapshot()
    return {t: {k if isinstance(k, tuple) else (k,) for k in snapshot[t]} for t in SECURITY_KEYS}


def compare(
    project: WarehouseProject, target: str, sim: OktaSimulator
) -> dict[str, dict[str, Any]]:
    expected = org_keys(sim)
    result = {}
    for table in SECURITY_KEYS:
        have = project.live_keys(target, table)
        want = expected[table]
        result[table] = {"missing": want - have, "extra": have - want, "rows": len(have)}
    return result


def change_the_org(sim: OktaSimulator) -> Keys:
    """Changes of every kind; returns the factors removed (they wait for a complete read)."""
    org = sim.org
    snapshot = org.snapshot()
    users = sorted(u["id"] for u in org.all_users() if u["status"] == "ACTIVE")
    with_factors = sorted({u for u, _ in snapshot["user_factors"]})
    org.enroll_factor(next(u for u in users if u not in with_factors), "webauthn")
    reset_user, reset_factor = sorted(snapshot["user_factors"])[0]
    org.reset_factor(reset_user, reset_factor)
    group, assignment = sorted(snapshot["group_roles"])[0]
    org.unassign_group_role(group, assignment)
    admin, role = sorted(snapshot["user_roles"])[0]
    org.unassign_user_role(admin, role)
    device = sorted(snapshot["devices"])[0]
    org.deactivate_device(device)
    org.delete_device(device)
    policy, rule = sorted(snapshot["policy_rules"])[0]
    org.delete_policy_rule(policy, rule)
    org.delete_group_rule(sorted(snapshot["group_rules"])[0])
    zone = sorted(z["id"] for z in org.snapshot_objects("network_zones") if not z.get("system"))[0]
    org.delete_zone(zone)
    return {(reset_user, reset_factor)}


@pytest.mark.parametrize("target", TARGETS)
def test_the_security_tables_stay_equal_to_the_org(
    target: str,
    installed: None,
    tmp_path: Path,
    sim: OktaSimulator,
    postgres_database: PostgresInfo,  # noqa: F811
    duckdb_path: Path,  # noqa: F811
) -> None:
    project = WarehouseProject(
        tmp_path,
        org_url=sim.base_url,
        api_key=API_KEY,
        postgres=postgres_database,
        duckdb_path=duckdb_path,
        tap_settings={"emit_activate_version_messages": True, "full_sync_interval_days": 7},
    )
    project.load(target, ("tap-okta--security",))
    first = compare(project, target, sim)
    for table, row in first.items():
        assert not row["missing"], (table, row)
        assert not row["extra"], (table, row)
        assert row["rows"], f"{table}: no rows (nothing compared)"

    removed_factors = change_the_org(sim)
    project.load(target, ("tap-okta--security",))
    second = compare(project, target, sim)
    for table, row in second.items():
        assert not row["missing"], (table, row)
        # A removed factor's id is in no event: it waits for the complete read.
        assert row["extra"] == (removed_factors if table == "user_factors" else set()), (table, row)

    sim.org.clock.advance(8 * 86400)
    # ... on the tap's machine too: the tap saves no time past its own clock.
    project.env[CLOCK_OFFSET_ENV] = str(sim.org.clock.offset)
    project.load(target, ("tap-okta--security",))
    third = compare(project, target, sim)
    for table, row in third.items():
        assert not row["missing"], (table, row)
        # target-duckdb ignores ACTIVATE_VERSION: the removed factor's row stays there.
        stays = removed_factors if table == "user_factors" and target == "target-duckdb" else set()
        assert row["extra"] == stays, (table, row)

    if target == "target-postgres":
        types = postgres_types(postgres_database, "policies") | postgres_types(
            postgres_database, "devices"
        )
        assert types["priority"] in {"bigint", "integer"}
        assert types["lastUpdated"].startswith("timestamp")
        assert types["system"] == "boolean"
