"""The dbt models of transform/, built in process on a small DuckDB file.

The fast tier's check of the access-review models: a handful of hand-made rows, in the
shape target-duckdb writes them (schema ``okta``, one table per stream, lower-cased
column names, JSON for nested objects, soft-deleted rows as target-postgres keeps them),
then ``dbt build`` (models and their data tests) through dbt's programmatic runner, then
the marts read back and compared with what Okta's semantics say they must hold. The
end-to-end tests build the same models through ``meltano run`` on the simulator's org.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt.cli.main import dbtRunner
from dbt.contracts.graph.manifest import Manifest

from tap_okta.tap import STREAM_TYPES
from tests.harness import ROOT

TRANSFORM = ROOT / "transform"
NOW = "2026-06-30 00:00:00"  # var okta_now: the build's "now"
# Two orgs, unioned (var okta_union_schemas): the same rows, one with the opt-in
# security streams loaded, one with the default streams only.
FULL, CORE = "okta", "okta_core"

# Ids: users u_*, groups g_*, apps a_*.
USERS: list[dict[str, Any]] = [
    # status, last sign-in (None: never)
    {"id": "u_alice", "status": "ACTIVE", "lastLogin": "2026-06-29T08:00:00Z"},
    {"id": "u_bob", "status": "ACTIVE", "lastLogin": "2026-01-02T08:00:00Z"},  # dormant
    {"id": "u_carol", "status": "SUSPENDED", "lastLogin": "2026-06-01T08:00:00Z"},
    {"id": "u_dave", "status": "DEPROVISIONED", "lastLogin": "2026-05-01T08:00:00Z"},
    {"id": "u_erin", "status": "ACTIVE", "lastLogin": None},
    {"id": "u_ivan", "status": "ACTIVE", "lastLogin": "2026-06-28T08:00:00Z"},
    {"id": "u_judy", "status": "ACTIVE", "lastLogin": "2026-06-28T08:00:00Z"},
    # Deleted: target-postgres keeps the row with _sdc_deleted_at.
    {"id": "u_gina", "status": None, "lastLogin": None, "_sdc_deleted_at": "2026-06-20T00:00:00Z"},
]
GROUPS = [
    ("g_everyone", "Everyone", "BUILT_IN"),
    ("g_eng", "Engineering", "OKTA_GROUP"),
    ("g_admins", "Help desk", "OKTA_GROUP"),
]
APPS = [("a_wiki", "Wiki", "ACTIVE"), ("a_crm", "CRM", "ACTIVE"), ("a_old", "Old", "ACTIVE")]
GROUP_MEMBERS = [("g_everyone", u["id"]) for u in USERS if u["id"] != "u_gina"] + [
    ("g_eng", "u_alice"),
    ("g_eng", "u_bob"),
    ("g_admins", "u_bob"),
    ("g_eng", "u_hank"),  # u_hank was deleted (hard): this row lingers
    ("g_eng", "u_gina"),  # u_gina is soft-deleted: this row lingers
]
APP_GROUPS = [("a_wiki", "g_eng"), ("a_crm", "g_everyone")]
APP_USERS: list[tuple[Any, ...]] = [
    # app, user, scope, _sdc_deleted_at
    ("a_wiki", "u_alice", "USER", None),  # directly and through Engineering
    ("a_wiki", "u_bob", "GROUP", None),  # through Engineering only
    ("a_wiki", "u_carol", "USER", None),
    ("a_crm", "u_dave", "USER", None),
    ("a_crm", "u_alice", "GROUP", None),
    ("a_crm", "u_bob", "GROUP", None),
    ("a_crm", "u_erin", "GROUP", None),
    ("a_crm", "u_ivan", "GROUP", None),
    ("a_crm", "u_judy", "GROUP", None),
    ("a_wiki", "u_erin", "USER", "2026-06-25T00:00:00Z"),  # unassigned: soft-deleted row
    ("a_wiki", "u_gina", "USER", None),  # of a deleted user: lingers
    ("a_old", "u_alice", "USER", None),  # of a deleted app: lingers
]
USER_ROLES = [
    # user, assignment id, type, assignmentType
    ("u_alice", "ra_super", "SUPER_ADMIN", "USER"),
    ("u_bob", "ra_helpdesk", "HELP_DESK_ADMIN", "GROUP"),  # Okta lists group roles too
    ("u_dave", "ra_report", "REPORT_ADMIN", "USER"),
]
GROUP_ROLES = [("g_admins", "ra_helpdesk", "HELP_DESK_ADMIN")]
USER_FACTORS = [
    # user, factor, type, status
    ("u_alice", "f_1", "webauthn", "ACTIVE"),
    ("u_alice", "f_2", "push", "ACTIVE"),
    ("u_bob", "f_3", "sms", "ACTIVE"),
    ("u_bob", "f_4", "webauthn", "PENDING_ACTIVATION"),
    ("u_dave", "f_5", "signed_nonce", "ACTIVE"),
]


def event(
    uuid: str,
    published: str,
    event_type: str,
    targets: Sequence[tuple[str, str]],
    *,
    actor: str = "u_admin",
    result: str = "SUCCESS",
    ip: str = "192.0.2.1",
    country: str = "United States",
) -> dict[str, Any]:
    def target(kind: str, oid: str) -> dict[str, Any]:
        if kind == "ROLE":  # Okta's ROLE target: id = role type, alternateId = assignment
            return {"type": "ROLE", "id": "HelpDeskAdmin", "alternateId": oid}
        if kind == "AppUser":  # an AppUser's id is not the user's id
            return {"type": "AppUser", "id": "0ua" + oid, "alternateId": "x"}
        return {"type": kind, "id": oid, "alternateId": oid}

    return {
        "uuid": uuid,
        "published": published,
        "eventType": event_type,
        "actor": {"id": actor, "type": "User"},
        "client": {"ipAddress": ip, "geographicalContext": {"country": country}},
        "outcome": {"result": result},
        "target": [target(kind, oid) for kind, oid in targets],
    }


def app_user_event(uuid: str, at: str, kind: str, app: str, user: str) -> dict[str, Any]:
    return event(
        uuid,
        at,
        f"application.user_membership.{kind}",
        [("AppUser", user), ("AppInstance", app), ("User", user)],
    )


LOGS = [
    # The history starts with the first event the log holds.
    event("e01", "2026-06-01T00:00:00Z", "user.session.start", [], actor="u_judy"),
    # u_ivan: assigned to Wiki on 06-05, unassigned on 06-15.
    app_user_event("e02", "2026-06-05T00:00:00Z", "add", "a_wiki", "u_ivan"),
    app_user_event("e03", "2026-06-15T00:00:00Z", "remove", "a_wiki", "u_ivan"),
    # u_judy held Wiki before the history starts; removed on 06-20.
    app_user_event("e04", "2026-06-20T00:00:00Z", "remove", "a_wiki", "u_judy"),
    # u_bob joined Engineering on 06-12, which gave him Wiki (through the group).
    event(
        "e05",
        "2026-06-12T00:00:00Z",
        "group.user_membership.add",
        [("User", "u_bob"), ("UserGroup", "g_eng")],
    ),
    app_user_event("e06", "2026-06-12T00:00:00Z", "add", "a_wiki", "u_bob"),
    # A failed grant changes nothing.
    event(
        "e07",
        "2026-06-13T00:00:00Z",
        "user.account.privilege.grant",
        [("User", "u_erin"), ("ROLE", "ra_nope")],
        result="FAILURE",
    ),
    # Sign-ins on 06-29.
    event("s1", "2026-06-29T08:00:00Z", "user.session.start", [], actor="u_alice"),
    event("s2", "2026-06-29T08:01:00Z", "user.authentication.auth_via_mfa", [], actor="u_alice"),
    event(
        "s3",
        "2026-06-29T09:00:00Z",
        "user.authentication.sso",
        [("AppInstance", "a_wiki")],
        actor="u_alice",
        ip="198.51.100.7",
        country="Germany",
    ),
    event(
        "s4", "2026-06-29T10:00:00Z", "user.session.start", [], actor="u_alice", result="FAILURE"
    ),
]


def duckdb_type(prop: dict[str, Any]) -> str:
    """target-duckdb 0.8.0's column type for a JSON schema property (db_sync.column_type)."""
    types = prop.get("type", ())
    types = [types] if isinstance(types, str) else types
    if "object" in types or "array" in types or not types:
        return "json"
    if prop.get("format") == "date-time":
        return "timestamp"
    if "number" in types:
        return "double"
    if "integer" in types:
        return "bigint"
    if "boolean" in types:
        return "boolean"
    return "varchar"


SCHEMAS = {getattr(s, "name"): getattr(s, "schema") for s in STREAM_TYPES}  # noqa: B009


@dataclass
class Warehouse:
    schema: str
    conn: duckdb.DuckDBPyConnection

    def table(self, stream: str, rows: list[dict[str, Any]]) -> None:
        props = SCHEMAS[stream]["properties"]
        columns = {name.lower(): duckdb_type(prop) for name, prop in props.items()}
        columns |= {"_sdc_extracted_at": "timestamp", "_sdc_batched_at": "timestamp"}
        ddl = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
        self.conn.execute(f'create table {self.schema}."{stream}" ({ddl})')
        for row in rows:
            names = [name.lower() for name in row]
            values = [
                json.dumps(v) if columns[n] == "json" else v
                for n, v in zip(names, row.values(), strict=True)
            ]
            cols = ", ".join(f'"{n}"' for n in names)
            marks = ", ".join("?" for _ in names)
            insert = f'insert into {self.schema}."{stream}" ({cols}) values ({marks})'  # noqa: S608
            self.conn.execute(insert, values)


def load_org(conn: duckdb.DuckDBPyConnection, schema: str, *, security: bool) -> None:
    conn.execute(f"create schema {schema}")
    wh = Warehouse(schema, conn)
    wh.table(
        "users",
        [
            {
                "id": u["id"],
                "status": u["status"],
                "lastLogin": u["lastLogin"],
                "created": "2025-01-01T00:00:00Z",
                "statusChanged": "2026-06-10T00:00:00Z",
                "profile": {"login": f"{u['id'][2:]}@example.com"},
                "_sdc_deleted_at": u.get("_sdc_deleted_at"),
            }
            for u in USERS
        ],
    )
    wh.table("groups", [{"id": g, "type": t, "profile": {"name": n}} for g, n, t in GROUPS])
    wh.table(
        "apps",
        [{"id": a, "label": label, "status": s} for a, label, s in APPS[:2]]
        + [{"id": "a_old", "label": "Old", "_sdc_deleted_at": "2026-06-21T00:00:00Z"}],
    )
    wh.table("group_members", [{"groupId": g, "userId": u} for g, u in GROUP_MEMBERS])
    wh.table("app_groups", [{"appId": a, "id": g, "priority": 0} for a, g in APP_GROUPS])
    wh.table(
        "app_users",
        [
            {"appId": a, "id": u, "scope": s, "status": "PROVISIONED", "_sdc_deleted_at": d}
            for a, u, s, d in APP_USERS
        ],
    )
    wh.table("logs", LOGS)
    if security:
        wh.table(
            "user_roles",
            [
                {"userId": u, "id": r, "type": t, "label": t.title(), "assignmentType": k}
                for u, r, t, k in USER_ROLES
            ],
        )
        wh.table(
            "group_roles",
            [
                {
                    "groupId": g,
                    "id": r,
                    "type": t,
                    "label": t.title(),
                    "assignmentType": "GROUP",
                }
                for g, r, t in GROUP_ROLES
            ],
        )
        wh.table(
            "user_factors",
            [{"userId": u, "id": f, "factorType": t, "status": s} for u, f, t, s in USER_FACTORS],
        )
        wh.table("custom_roles", ())
        wh.table("resource_sets", ())


def write_profile(workdir: Path, path: Path) -> Path:
    """A profiles.yml (JSON is YAML) naming the project's profile, on this DuckDB file."""
    profiles = workdir / "profiles"
    profiles.mkdir(exist_ok=True)
    output = {"type": "duckdb", "path": str(path), "schema": "okta_models", "threads": 1}
    profile = {"meltano": {"target": "fast", "outputs": {"fast": output}}}
    (profiles / "profiles.yml").write_text(json.dumps(profile))
    return profiles


def dbt_args(
    command: str, workdir: Path, profiles: Path, *, partial_parse: bool = False
) -> list[str]:
    # Everything dbt writes goes to workdir, none to transform/.
    return [
        command,
        "--project-dir",
        str(TRANSFORM),
        "--profiles-dir",
        str(profiles),
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
        "--partial-parse" if partial_parse else "--no-partial-parse",
        "--quiet",
        "--vars",
        json.dumps({"okta_now": NOW, "okta_union_schemas": [FULL, CORE]}),
    ]


@pytest.fixture(scope="module")
def manifest(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    """The project parsed once for the module, and every build given that manifest.

    Parsing is most of a small build's time: it keeps dbt's partial-parse file in
    pytest's cache (.pytest_cache), so a run after a change re-parses only the files
    that changed, as ``dbt`` itself does between runs.
    """
    cache = request.config.cache
    workdir = cache.mkdir("dbt-transform") if cache else tmp_path_factory.mktemp("parse")
    # The manifest names the database: the file's stem, the same in every build here.
    profiles = write_profile(workdir, workdir / "warehouse.duckdb")
    result = dbtRunner().invoke(dbt_args("parse", workdir, profiles, partial_parse=True))
    assert result.success, result.exception
    assert isinstance(result.result, Manifest)
    return result.result


def dbt_build(manifest: Manifest, path: Path, workdir: Path, command: str = "build") -> None:
    """``dbt build`` (models, then their data tests) on the DuckDB file; fails on any failure."""
    profiles = write_profile(workdir, path)
    # The marts and what they read (the staging models of the other opt-in streams
    # are built by the end-to-end tests), with their data tests.
    args = [*dbt_args(command, workdir, profiles), "--select", "+path:models/marts"]
    result = dbtRunner(manifest=manifest).invoke(args)
    failures = [
        f"{r.node.name}: {r.status} {r.message}"
        for r in (result.result or [])
        if str(r.status) not in ("success", "pass")
    ]
    assert not failures, failures  # a model that failed, or a data test that did
    assert result.success, result.exception


@dataclass
class Built:
    workdir: Path
    profiles: Path
    conn: duckdb.DuckDBPyConnection


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, manifest: Manifest) -> Iterator[Built]:
    workdir = tmp_path_factory.mktemp("transform")
    path = workdir / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        load_org(conn, FULL, security=True)
        load_org(conn, CORE, security=False)
    dbt_build(manifest, path, workdir)
    # dbt-duckdb keeps its connection open in this process: open the file the same way.
    with duckdb.connect(str(path)) as conn:
        yield Built(workdir, workdir / "profiles", conn)


def rows(conn: duckdb.DuckDBPyConnection, query: str) -> set[tuple[Any, ...]]:
    """The rows of a query, lists (DuckDB arrays) as tuples so rows can be compared as sets."""
    return {
        tuple(tuple(v) if isinstance(v, list) else v for v in r)
        for r in conn.execute(query).fetchall()
    }


def test_app_access_is_oktas_app_user_list_with_its_routes(
    built: duckdb.DuckDBPyConnection,
) -> None:
    got = rows(
        built.conn,
        "select user_id, app_id, scope, assigned_directly, via_group_ids"
        " from okta_models.okta_app_access where source_relation = 'okta'",
    )
    assert got == {
        ("u_alice", "a_wiki", "USER", True, ("g_eng",)),  # direct and through a group
        ("u_bob", "a_wiki", "GROUP", False, ("g_eng",)),
        ("u_carol", "a_wiki", "USER", True, ()),
        ("u_dave", "a_crm", "USER", True, ("g_everyone",)),
        ("u_alice", "a_crm", "GROUP", False, ("g_everyone",)),
        ("u_bob", "a_crm", "GROUP", False, ("g_everyone",)),
        ("u_erin", "a_crm", "GROUP", False, ("g_everyone",)),
        ("u_ivan", "a_crm", "GROUP", False, ("g_everyone",)),
        ("u_judy", "a_crm", "GROUP", False, ("g_everyone",)),
        # Not: u_erin's soft-deleted Wiki row, deleted u_gina's, deleted app a_old's.
    }


def test_admin_access_direct_and_through_groups(built: Built) -> None:
    got = rows(
        built.conn,
        "select user_id, role_assignment_id, role_type, via_group_id, has_mfa,"
        " has_phishing_resistant_mfa from okta_models.okta_admin_access",
    )
    assert got == {
        ("u_alice", "ra_super", "SUPER_ADMIN", None, True, True),
        # Once, through the group, though user_roles lists it as well.
        ("u_bob", "ra_helpdesk", "HELP_DESK_ADMIN", "g_admins", True, False),
        ("u_dave", "ra_report", "REPORT_ADMIN", None, True, True),  # FastPass
    }


def test_user_mfa_counts_active_factors_only(built: Built) -> None:
    got = rows(
        built.conn,
        "select user_id, active_factor_types, active_factor_count, has_mfa,"
        " has_phishing_resistant_mfa from okta_models.okta_user_mfa"
        " where user_id in ('u_alice', 'u_bob', 'u_erin') and source_relation = 'okta'",
    )
    assert got == {
        ("u_alice", ("push", "webauthn"), 2, True, True),
        ("u_bob", ("sms",), 1, True, False),  # the pending WebAuthn does not count
        ("u_erin", (), 0, False, False),
    }


def test_findings(built: Built) -> None:
    got = rows(
        built.conn,
        "select finding, user_id, object_id from okta_models.okta_access_findings"
        " where source_relation = 'okta'",
    )
    assert got == {
        ("suspended_with_app_access", "u_carol", "a_wiki"),
        ("deprovisioned_with_app_access", "u_dave", "a_crm"),
        # Last sign-in 2026-01-02, more than 90 days before 2026-06-30.
        ("dormant_with_app_access", "u_bob", "a_wiki"),
        ("dormant_with_app_access", "u_bob", "a_crm"),
        ("never_signed_in_with_app_access", "u_erin", "a_crm"),
        ("admin_without_phishing_resistant_mfa", "u_bob", "ra_helpdesk"),
    }


def test_access_history_as_of(built: Built, manifest: Manifest) -> None:
    # The README's as-of query: the macro okta_access_as_of, compiled by dbt once, the
    # instant a query parameter.
    call = """{{ okta_access_as_of("'a_wiki'", "cast($at as timestamp)", "'okta'") }}"""
    args = dbt_args("compile", built.workdir, built.profiles)
    result = dbtRunner(manifest=manifest).invoke([*args, "--inline", call])
    assert result.success, result.exception
    query = result.result.results[0].node.compiled_code  # type: ignore[union-attr]

    def wiki_users(at: str) -> set[tuple[Any, ...]]:
        found = built.conn.execute(f"select user_id, how, source from ({query})", {"at": at})  # noqa: S608
        return {tuple(r) for r in found.fetchall()}

    seeded = "first complete read"
    # 06-10: u_ivan (assigned 06-05) and u_judy (held it before the history) could use it;
    # so could u_gina, deleted 06-20 (her row lingers in app_users).
    assert wiki_users("2026-06-10 00:00:00") == {
        ("u_alice", "direct", seeded),
        ("u_carol", "direct", seeded),
        ("u_gina", "direct", seeded),
        ("u_ivan", "direct", "system log"),
        ("u_judy", "direct", seeded),
    }
    # Now: u_bob (through Engineering since 06-12); u_ivan and u_judy are gone.
    assert wiki_users("2026-06-29 00:00:00") == {
        ("u_alice", "direct", seeded),
        ("u_bob", "group", "system log"),
        ("u_carol", "direct", seeded),
    }


def test_signin_daily(built: Built) -> None:
    got = rows(
        built.conn,
        "select day::varchar, user_id, app_id, successes, failures, mfa_challenges, distinct_ips,"
        " countries from okta_models.okta_signin_daily"
        " where user_id = 'u_alice' and source_relation = 'okta'",
    )
    assert got == {
        ("2026-06-29", "u_alice", None, 1, 1, 1, 1, ("United States",)),
        ("2026-06-29", "u_alice", "a_wiki", 1, 0, 0, 1, ("Germany",)),
    }


def test_org_without_the_security_streams(built: Built) -> None:
    """The second org (default streams only) has the same core marts and no admin rows."""

    def per_org(query: str) -> dict[str, set[tuple[Any, ...]]]:
        found: dict[str, set[tuple[Any, ...]]] = {FULL: set(), CORE: set()}
        for row in rows(built.conn, query):
            found[row[0]].add(row[1:])
        return found

    access = per_org(
        "select source_relation, user_id, app_id, scope, via_group_ids"
        " from okta_models.okta_app_access"
    )
    assert access[CORE] == access[FULL]
    assert len(access[CORE]) == 9
    history = per_org(
        "select source_relation, principal_id, object_type, object_id, valid_from, valid_to"
        " from okta_models.okta_access_history"
    )
    assert history[CORE] == {row for row in history[FULL] if row[1] != "admin_role"}
    admins = per_org("select source_relation, user_id from okta_models.okta_admin_access")
    assert admins[CORE] == set()
    assert admins[FULL]
    mfa = per_org("select source_relation, user_id, has_mfa from okta_models.okta_user_mfa")
    assert {has_mfa for _, has_mfa in mfa[CORE]} == {False}
