"""The dbt models of transform/ through the real pipeline, against simulator truth.

One simulated org, one Meltano install, one DuckDB file and one PostgreSQL database
go through a first load and rounds of changes. After each round, for each adapter:
``meltano run`` of the tap (default and security streams) into the target, then
``dbt-<adapter>:build`` (every model and its dbt tests); then every mart is compared,
row by row, with what tests/transform_truth.py computes from the org itself.
``okta_access_history`` must answer "who could use app X at T" for instants between
the rounds. A last project loads only the default streams: the core models build,
pass their tests and equal the truth.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests import transform_truth as truth
from tests.harness import API_KEY
from tests.okta_sim import OktaSimulator
from tests.okta_sim.plain_lists import api_token_obj
from tests.okta_sim.security_data import FACTOR_KIND_INDEX
from tests.warehouse import (  # noqa: F401 (fixtures)
    PostgresInfo,
    WarehouseProject,
    install_plugins,
    postgres,
)

pytestmark = pytest.mark.e2e

UTC = timezone.utc
DIRECTORY = ("tap-okta",)
SECURITY = ("tap-okta", "tap-okta--security")
ADAPTERS = {"duckdb": "target-duckdb", "postgres": "target-postgres"}
# Each mart's grain and the contract columns compared with the truth.
APP_ACCESS = (
    ("user_id", "app_id"),
    (
        "user_login",
        "user_status",
        "app_label",
        "app_status",
        "assigned_directly",
        "via_group_ids",
        "scope",
        "last_login",
    ),
)
USER_MFA = (
    ("user_id",),
    ("active_factor_types", "active_factor_count", "has_mfa", "has_phishing_resistant_mfa"),
)
ADMIN_COLUMNS = (
    "user_login",
    "user_status",
    "role_type",
    "role_label",
    "custom_role_id",
    "resource_set_id",
    "via_group_id",
    "has_mfa",
    "has_phishing_resistant_mfa",
    "last_login",
    "scope",
    "targeted_group_ids",
    "targeted_app_ids",
)


class Warehouse:
    """One adapter's project: loads, builds, and reads the marts back."""

    def __init__(self, adapter: str, project: WarehouseProject) -> None:
        self.adapter, self.project = adapter, project
        self.target = ADAPTERS[adapter]
        self.seconds: list[float] = []
        # meltano.yml's dbt utilities read the warehouse the target loads from these.
        if project.duckdb_path is not None:
            project.env["DBT_DUCKDB_PATH"] = str(project.duckdb_path)
        if project.postgres is not None:
            info = project.postgres
            project.env.update(
                DBT_POSTGRES_HOST=info.host,
                DBT_POSTGRES_PORT=str(info.port),
                DBT_POSTGRES_USER=info.user,
                DBT_POSTGRES_PASSWORD=info.password,
                DBT_POSTGRES_DBNAME=info.dbname,
            )

    def load_and_build(self, extractors: tuple[str, ...]) -> None:
        started = time.monotonic()
        blocks = [b for extractor in extractors for b in (extractor, self.target)]
        self.project.pipeline(*blocks, f"dbt-{self.adapter}:build")
        self.seconds.append(time.monotonic() - started)

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        if self.adapter == "duckdb":
            assert self.project.duckdb_path is not None
            with duckdb.connect(str(self.project.duckdb_path), read_only=True) as conn:
                cursor = conn.execute(sql, params or [])
                names = [d[0] for d in cursor.description or []]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        assert self.project.postgres is not None
        with self.project.postgres.connect() as conn:
            conn.execute("SET TIME ZONE 'UTC'")
            cur = conn.execute(sql.replace("?", "%s"), params or [])  # type: ignore[arg-type]
            names = [d.name for d in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def relation(self, model: str) -> str:
        """The schema dbt built the model in: found, not assumed (profiles may differ)."""
        rows = self.query(
            "select table_schema from information_schema.tables where table_name = ?", [model]
        )
        schemas = sorted({r["table_schema"] for r in rows} - {"okta"})
        assert len(schemas) == 1, f"{model}: built in {schemas or 'no schema'}"
        return f'"{schemas[0]}"."{model}"'

    def has_table(self, table: str, schema: str = "okta") -> bool:
        found = self.query(
            "select 1 from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        )
        return bool(found)

    def mart(self, model: str) -> list[dict[str, Any]]:
        return self.query(f"select * from {self.relation(model)}")  # noqa: S608

    def users_of_app_at(self, app_id: str, at: datetime) -> frozenset[str]:
        """The "as of" question, asked as README documents it."""
        when: Any = at.replace(tzinfo=None) if self.adapter == "duckdb" else at
        rows = self.query(
            f"select distinct principal_id from {self.relation('okta_access_history')}"  # noqa: S608
            " where principal_type = 'user' and object_type = 'app' and object_id = ?"
            " and valid_from <= ? and (valid_to is null or valid_to > ?)",
            [app_id, when, when],
        )
        return frozenset(r["principal_id"] for r in rows)


def compare_marts(wh: Warehouse, org: Any, *, security: bool = True) -> dict[str, int]:
    """Every mart against the truth; returns each mart's row count."""
    problems: dict[str, list[str]] = {}
    counts: dict[str, int] = {}

    def check(name: str, want: truth.Rows, key: tuple[str, ...], columns: tuple[str, ...]):
        records = wh.mart(name)
        counts[name] = len(records)
        have = truth.mart_rows(records, key, columns)
        if diff := truth.differences(want, have):
            problems[name] = diff

    check("okta_app_access", truth.app_access(org), *APP_ACCESS)
    if security:
        check("okta_user_mfa", truth.user_mfa(org), *USER_MFA)
        key = ("user_id", "role_assignment_id", "via_group_id")
        # Without role_targets, a role Okta can limit has scope unknown.
        targets = truth.role_targets(org) if wh.has_table("role_targets") else None
        check("okta_admin_access", truth.admin_access(org, targets), key, ADMIN_COLUMNS)
    found = wh.mart("okta_access_findings")
    counts["okta_access_findings"] = len(found)
    have_findings = {(r["finding"], r["user_id"], r["object_id"]) for r in found}
    want_findings = truth.findings(org, datetime.now(UTC), security=security)
    if have_findings != want_findings:
        problems["okta_access_findings"] = [
            f"missing {sorted(want_findings - have_findings)[:5]}",
            f"extra {sorted(have_findings - want_findings)[:5]}",
        ]
    for name in ("okta_access_history", "okta_signin_daily"):
        counts[name] = len(wh.mart(name))
    assert not problems, f"{wh.adapter}: {problems}"
    return counts


@pytest.fixture(scope="module")
def org_sim() -> Iterator[OktaSimulator]:
    with OktaSimulator(users=300, seed=11, api_key=API_KEY) as simulator:
        simulator.rate_limits.window_seconds = 5
        yield simulator


def active_without(org: Any, exclude: set[str]) -> list[str]:
    return [u["id"] for u in org.all_users() if u["status"] == "ACTIVE" and u["id"] not in exclude]


def round_assignments(org: Any) -> None:
    """Direct assign and unassign; access through a membership change; a group assigned
    to an app and another unassigned."""
    apps = [a["id"] for a in org.all_apps() if a["status"] == "ACTIVE"]
    app = next(a for a in apps if org.removable_app_user_ids(a))
    org.unassign_app_user(app, org.removable_app_user_ids(app)[0])
    org.assign_app_user(app, active_without(org, set(org.app_user_ids(app)))[0])
    # A member joins a group assigned to an app: access through the group (scope GROUP).
    plain = {g["id"] for g in org.all_groups() if g["type"] == "OKTA_GROUP"}
    grouped = next(
        (a, g)
        for a in apps
        for g in org.app_group_ids(a)
        if g in plain
        and org.group_members(g)
        and active_without(org, set(org.group_members(g)) | set(org.app_user_ids(a)))
    )
    group_app, group = grouped
    members = set(org.group_members(group))
    newcomer = active_without(org, members | set(org.app_user_ids(group_app)))[0]
    org.add_group_member(group, newcomer)
    assert newcomer in org.app_user_ids(group_app, "GROUP")
    # A member leaves another assigned group.
    other = next(
        (a, g, u)
        for a in apps
        for g in org.app_group_ids(a)
        if g != group and g in plain
        for u in org.group_members(g)
        if u not in org.app_user_ids(a, "USER")
        and not any(u in org.group_members(h) for h in org.app_group_ids(a) if h != g)
    )
    org.remove_group_member(other[1], other[2])
    assert other[2] not in org.app_user_ids(other[0])
    # A group gets an app; another group loses one.
    target_app = next(a for a in apps if a not in (app, group_app, other[0]))
    new_group = next(
        g["id"]
        for g in org.all_groups()
        if g["type"] == "OKTA_GROUP"
        and g["id"] not in org.app_group_ids(target_app)
        and org.group_members(g["id"])
    )
    org.assign_app_group(target_app, new_group)
    lost = next(a for a in apps if a not in (target_app, group_app) and org.app_group_ids(a))
    org.unassign_app_group(lost, org.app_group_ids(lost)[0])


def round_lifecycle_admin_mfa(org: Any) -> None:
    """A user deprovisioned (keeps its apps), one deleted (its API token stays), an app
    deleted; API tokens created, a log stream deactivated; admin roles granted and
    revoked, directly and through a group; a factor enrolled, one reset."""
    holders = {u for a in org.all_apps() for u in org.app_user_ids(a["id"])}
    users = active_without(org, set())
    deprovisioned = next(u for u in users if u in holders)
    org.set_user_status(deprovisioned, "DEPROVISIONED")
    deleted = next(u for u in reversed(users) if u in holders and u != deprovisioned)
    org.set_user_status(deleted, "DEPROVISIONED")
    # API tokens: the user about to be deleted made one (it stays listed: a finding),
    # and an admin makes one limited to a network zone (not a finding).
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for token_id, user_id, network in (
        ("00Te2eDeletedUser00", deleted, {"connection": "ANYWHERE"}),
        (
            "00Te2eZoneLimited00",
            active_without(org, {deprovisioned, deleted})[0],
            {"connection": "ZONE", "include": [sorted(org.zones)[0]]},
        ),
    ):
        fields = {"name": token_id, "userId": user_id, "created": created, "network": network}
        org.add_listed("api_tokens", api_token_obj(org, token_id, fields))
    # A log stream is deactivated (read in full every run, so no event is needed).
    with org.lock:
        stream = next(
            s for _, s in sorted(org.listed["log_streams"].items()) if s["status"] == "ACTIVE"
        )
        stream.update(status="INACTIVE", lastUpdated=created)
    org.delete_user(deleted)
    app = next(a["id"] for a in reversed(org.all_apps()) if org.app_user_ids(a["id"]))
    org.set_app_status(app, "INACTIVE")
    org.delete_app(app)

    admins = set(org.user_roles)
    without_factors = [u for u in active_without(org, admins) if not org.factors.get(u)]
    org.assign_user_role(without_factors[0], "HELP_DESK_ADMIN")  # an admin without MFA
    revoked_user = sorted(org.user_roles)[0]
    org.unassign_user_role(revoked_user, sorted(org.user_roles[revoked_user])[0])
    group = next(
        g["id"]
        for g in org.all_groups()
        if g["type"] == "OKTA_GROUP"
        and g["id"] not in org.group_roles
        and org.group_members(g["id"])
    )
    org.assign_group_role(group, "REPORT_ADMIN")
    if org.group_roles:
        revoked_group = next(g for g in sorted(org.group_roles) if g != group)
        org.unassign_group_role(revoked_group, sorted(org.group_roles[revoked_group])[0])
    # MFA: an admin enrolls a phishing-resistant factor; another user's factor is reset.
    admin = next(u for u in active_without(org, set()) if u in set(org.user_roles))
    webauthn = FACTOR_KIND_INDEX[("webauthn", "FIDO")]
    if not any(f.kind == webauthn for f in org.factors.get(admin, [])):
        org.enroll_factor(admin, "webauthn")
    reset_user = next(u for u in active_without(org, {admin}) if org.factors.get(u))
    org.reset_factor(reset_user, org.factors[reset_user][0].id)


# Three loads and builds on each adapter, after a meltano install of the dbt utilities.
@pytest.mark.timeout(1500)
def test_every_mart_equals_the_org_through_rounds_of_changes(
    tmp_path: Path,
    org_sim: OktaSimulator,
    postgres: PostgresInfo,  # noqa: F811
) -> None:
    install_plugins()
    org = org_sim.org
    settings = {"emit_activate_version_messages": True, "full_sync_interval_days": 7}
    warehouses = [
        Warehouse(
            "duckdb",
            WarehouseProject(
                tmp_path / "duckdb",
                org_url=org_sim.base_url,
                api_key=API_KEY,
                duckdb_path=tmp_path / "warehouse.duckdb",
                tap_settings=settings,
            ),
        ),
        Warehouse(
            "postgres",
            WarehouseProject(
                tmp_path / "postgres",
                org_url=org_sim.base_url,
                api_key=API_KEY,
                postgres=postgres.create_database(),
                tap_settings=settings,
            ),
        ),
    ]
    for wh in warehouses:
        wh.project.workdir.mkdir()
    timeline = truth.Timeline()
    rounds = (
        ("first load", None),
        ("assignments", round_assignments),
        ("lifecycle, admin roles, MFA", round_lifecycle_admin_mfa),
    )
    for name, change in rounds:
        if change is not None:
            time.sleep(1.1)  # history's instants are whole seconds apart
            change(org)
        for wh in warehouses:
            wh.load_and_build(SECURITY)
        counts = {wh.adapter: compare_marts(wh, org) for wh in warehouses}
        print(f"\nFIGURES transform {name}: {counts}")
        time.sleep(1.1)
        timeline.record(org, datetime.now(UTC).replace(microsecond=0))

    # "Who could use app X at T", at each instant between the rounds.
    apps = sorted({a for _, state in timeline.instants for a in state})
    for at, _ in timeline.instants:
        for wh in warehouses:
            for app in apps:
                want = timeline.users_of(app, at)
                have = wh.users_of_app_at(app, at)
                assert have == want, (wh.adapter, app, at, sorted(want ^ have)[:5])
    for wh in warehouses:
        print(f"FIGURES transform {wh.adapter} seconds per load+build: {wh.seconds}")


@pytest.mark.timeout(900)
def test_default_streams_only_build_the_core_models(tmp_path: Path, sim: OktaSimulator) -> None:
    install_plugins()
    wh = Warehouse(
        "duckdb",
        WarehouseProject(
            tmp_path,
            org_url=sim.base_url,
            api_key=API_KEY,
            duckdb_path=tmp_path / "warehouse.duckdb",
        ),
    )
    wh.load_and_build(DIRECTORY)
    tables = {r["table_name"] for r in wh.query("select table_name from information_schema.tables")}
    assert "user_factors" not in tables
    assert "user_roles" not in tables
    counts = compare_marts(wh, sim.org, security=False)
    assert counts["okta_app_access"] > 0
