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
# Three orgs, unioned (var okta_union_schemas): the same rows, one with every opt-in
# stream loaded, one with the security streams of before the posture streams (issue 24),
# one with the default streams only.
FULL, LEGACY, CORE = "okta", "okta_legacy", "okta_core"

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
# OAuth service apps (no users): a_svc holds okta.users.manage, a_svc2 had it revoked.
SERVICE_APPS = [("a_svc", "Sync bot"), ("a_svc2", "Retired bot")]
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
    ("u_ivan", "ra_users", "USER_ADMIN", "USER"),  # no targets: org-wide
    ("u_judy", "ra_apps", "APP_ADMIN", "USER"),  # limited to two apps
    ("u_alice", "ra_custom", "CUSTOM", "USER"),  # limited by its resource set
]
GROUP_ROLES = [("g_admins", "ra_helpdesk", "HELP_DESK_ADMIN")]
# Role targets (the contract of issue 24): principal type, principal, assignment, role
# type, target type, target id, catalog app name. The group's HELP_DESK_ADMIN assignment
# is limited to Engineering; u_judy's APP_ADMIN to the Wiki instance and every
# Salesforce instance (Okta names the catalog app when no instance is chosen).
ROLE_TARGETS = [
    ("group", "g_admins", "ra_helpdesk", "HELP_DESK_ADMIN", "group", "g_eng", None),
    ("user", "u_judy", "ra_apps", "APP_ADMIN", "app", "a_wiki", "wiki"),
    ("user", "u_judy", "ra_apps", "APP_ADMIN", "app", "salesforce", "salesforce"),
]
# API tokens: id, user, network (None: absent), _sdc_deleted_at.
ZONE = {"connection": "ZONE", "include": ["nzo_office"], "exclude": []}
API_TOKENS: list[tuple[Any, ...]] = [
    ("t_alice_zone", "u_alice", ZONE, None),  # restricted, ACTIVE user: nothing
    ("t_alice_any", "u_alice", {"connection": "ANYWHERE"}, None),
    ("t_bob", "u_bob", None, None),  # no network object: anywhere
    ("t_carol", "u_carol", ZONE, None),  # SUSPENDED user
    ("t_gina", "u_gina", ZONE, None),  # soft-deleted user
    ("t_hank", "u_hank", {"connection": "ANYWHERE"}, None),  # user gone (hard delete)
    ("t_revoked", "u_dave", {"connection": "ANYWHERE"}, "2026-06-22T00:00:00Z"),
]
# Log streams: id, status, _sdc_deleted_at.
LOG_STREAMS = [
    ("ls_on", "ACTIVE", None),
    ("ls_off", "INACTIVE", None),
    ("ls_gone", "INACTIVE", "2026-06-22T00:00:00Z"),
]
# App features: app, feature, status, deactivate capability. a_wiki deprovisions; a_crm
# provisions but does not deactivate; a_svc (no users) has none.
APP_FEATURES = [
    ("a_wiki", "USER_PROVISIONING", "ENABLED", "ENABLED"),
    ("a_wiki", "INBOUND_PROVISIONING", "DISABLED", None),
    ("a_crm", "USER_PROVISIONING", "ENABLED", "DISABLED"),
]
# App grants: app, grant, scope, status.
APP_GRANTS = [
    ("a_svc", "gr_1", "okta.users.manage", "ACTIVE"),
    ("a_svc", "gr_2", "okta.groups.manage", "ACTIVE"),
    ("a_svc", "gr_3", "okta.users.read", "ACTIVE"),
    ("a_svc2", "gr_4", "okta.users.manage", "REVOKED"),
    ("a_wiki", "gr_5", "okta.users.manage", "ACTIVE"),  # a web app, not a service app
]
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
_TEXT, _TIME, _JSON = (
    {"type": ["string", "null"]},
    {"type": ["string", "null"], "format": "date-time"},
    {"type": ["object", "null"]},
)
# The streams of issue 24 other branches declare, in the record contract agreed for
# them (their keys and fields): the tap's own schema wins once it declares one.
CONTRACT_SCHEMAS: dict[str, dict[str, Any]] = {
    "role_targets": {
        "properties": {
            **dict.fromkeys(("principal_type", "principal_id", "role_assignment_id"), _TEXT),
            **dict.fromkeys(("role_type", "target_type", "target_id", "app_name"), _TEXT),
            "target": _JSON,
        }
    },
    "group_owners": {
        "properties": {
            **dict.fromkeys(("group_id", "id", "type", "displayName", "originId"), _TEXT),
            "originType": _TEXT,
            "resolved": {"type": ["boolean", "null"]},
            "lastUpdated": _TIME,
        }
    },
    "app_grants": {
        "properties": {
            **dict.fromkeys(("app_id", "id", "clientId", "scopeId", "issuer"), _TEXT),
            **dict.fromkeys(("status", "source", "userId"), _TEXT),
            "createdBy": _JSON,
            **dict.fromkeys(("created", "lastUpdated"), _TIME),
        }
    },
    "app_features": {
        "properties": {
            **dict.fromkeys(("app_id", "name", "status", "description"), _TEXT),
            "capabilities": _JSON,
        }
    },
    "org_settings": {
        "properties": {
            **dict.fromkeys(("id", "companyName", "subdomain", "website", "status"), _TEXT),
            "threat_insight": _JSON,
            **dict.fromkeys(("created", "lastUpdated"), _TIME),
        }
    },
}


@dataclass
class Warehouse:
    schema: str
    conn: duckdb.DuckDBPyConnection

    def table(self, stream: str, rows: list[dict[str, Any]]) -> None:
        props = (SCHEMAS.get(stream) or CONTRACT_SCHEMAS[stream])["properties"]
        columns = {name.lower(): duckdb_type(prop) for name, prop in props.items()}
        columns |= {"_sdc_extracted_at": "timestamp", "_sdc_batched_at": "timestamp"}
        columns |= {"_sdc_deleted_at": "timestamp"}
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


def load_org(
    conn: duckdb.DuckDBPyConnection, schema: str, *, security: bool, posture: bool = False
) -> None:
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
        + [{"id": "a_old", "label": "Old", "_sdc_deleted_at": "2026-06-21T00:00:00Z"}]
        + [
            {
                "id": a,
                "label": label,
                "status": "ACTIVE",
                "signOnMode": "OPENID_CONNECT",
                "settings": {"oauthClient": {"application_type": "service"}},
            }
            for a, label in SERVICE_APPS
        ],
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
                {
                    "userId": u,
                    "id": r,
                    "type": t,
                    "label": t.title(),
                    "assignmentType": k,
                    **({"role": "cr_1", "resource-set": "rs_1"} if t == "CUSTOM" else {}),
                }
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
    if posture:
        load_posture(wh)


def load_posture(wh: Warehouse) -> None:
    """The posture streams of issue 24 (api_tokens, log_streams, and the contract's)."""
    keys = ("principal_type", "principal_id", "role_assignment_id", "role_type")
    wh.table(
        "role_targets",
        [
            {
                **dict(zip(keys, row[:4], strict=True)),
                "target_type": kind,
                "target_id": oid,
                "app_name": app_name,
                "target": {"id": oid} if kind == "group" else {"name": app_name, "id": oid},
            }
            for *row, kind, oid, app_name in ROLE_TARGETS
        ],
    )
    wh.table(
        "api_tokens",
        [
            {"id": t, "name": f"token {t}", "userId": u, "network": n, "_sdc_deleted_at": d}
            | {"created": "2026-03-01T00:00:00Z"}
            for t, u, n, d in API_TOKENS
        ],
    )
    wh.table(
        "log_streams",
        [
            {"id": i, "name": f"SIEM {i}", "status": st, "lastUpdated": "2026-06-02T00:00:00Z"}
            | {"_sdc_deleted_at": d}
            for i, st, d in LOG_STREAMS
        ],
    )
    wh.table(
        "app_features",
        [
            {
                "app_id": a,
                "name": n,
                "status": st,
                "capabilities": {"update": {"lifecycleDeactivate": {"status": deactivate}}}
                if deactivate
                else None,
            }
            for a, n, st, deactivate in APP_FEATURES
        ],
    )
    wh.table(
        "app_grants",
        [
            {
                "app_id": a,
                "id": g,
                "scopeId": scope,
                "status": st,
                "issuer": "https://acme.okta.com",
                "source": "ADMIN",
                "createdBy": {"id": "u_alice", "type": "User"},
                "created": "2026-04-01T00:00:00Z",
            }
            for a, g, scope, st in APP_GRANTS
        ],
    )
    wh.table(
        "group_owners",
        [
            {"group_id": "g_eng", "id": "u_alice", "type": "USER", "resolved": True},
            {"group_id": "g_admins", "id": "g_eng", "type": "GROUP", "resolved": True},
            {"group_id": "g_gone", "id": "u_alice", "type": "USER"},  # a deleted group's
        ],
    )
    wh.table(
        "org_settings",
        [{"id": "00o_acme", "companyName": "Acme", "threat_insight": {"action": "audit"}}],
    )


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
        json.dumps({"okta_now": NOW, "okta_union_schemas": [FULL, LEGACY, CORE]}),
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
    # The marts and what they read, and UNREAD (the staging models of the other opt-in
    # streams are built by the end-to-end tests), with their data tests.
    args = [*dbt_args(command, workdir, profiles), "--select", "+path:models/marts", *UNREAD]
    result = dbtRunner(manifest=manifest).invoke(args)
    failures = [
        f"{r.node.name}: {r.status} {r.message}"
        for r in (result.result or [])
        if str(r.status) not in ("success", "pass")
    ]
    assert not failures, failures  # a model that failed, or a data test that did
    assert result.success, result.exception


# The posture streams' staging models no mart reads: the contract's on fixture rows,
# the others (empty here: their tables are not loaded) on the simulator's end to end.
UNREAD = (
    "stg_okta__group_owners",
    "stg_okta__org_settings",
    *(
        f"stg_okta__{s}"
        for s in ("event_hooks", "inline_hooks", "domains", "behaviors", "agent_pools")
    ),
    "stg_okta__profile_mappings",
)


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
        load_org(conn, FULL, security=True, posture=True)
        load_org(conn, LEGACY, security=True)
        load_org(conn, CORE, security=False)
    dbt_build(manifest, path, workdir)
    # dbt-duckdb keeps its connection open in this process: open the file the same way.
    with duckdb.connect(str(path)) as conn:
        yield Built(workdir, workdir / "profiles", conn)


def rows(
    conn: duckdb.DuckDBPyConnection, query: str, params: Sequence[Any] = ()
) -> set[tuple[Any, ...]]:
    """The rows of a query, lists (DuckDB arrays) as tuples so rows can be compared as sets."""
    return {
        tuple(tuple(v) if isinstance(v, list) else v for v in r)
        for r in conn.execute(query, list(params)).fetchall()
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
        " has_phishing_resistant_mfa from okta_models.okta_admin_access"
        " where source_relation = 'okta'",
    )
    assert got == {
        ("u_alice", "ra_super", "SUPER_ADMIN", None, True, True),
        ("u_alice", "ra_custom", "CUSTOM", None, True, True),
        # Once, through the group, though user_roles lists it as well.
        ("u_bob", "ra_helpdesk", "HELP_DESK_ADMIN", "g_admins", True, False),
        ("u_dave", "ra_report", "REPORT_ADMIN", None, True, True),  # FastPass
        ("u_ivan", "ra_users", "USER_ADMIN", None, False, False),
        ("u_judy", "ra_apps", "APP_ADMIN", None, False, False),
    }


def test_admin_scope_from_role_targets(built: Built) -> None:
    query = (
        "select role_assignment_id, scope, targeted_group_ids, targeted_app_ids"
        " from okta_models.okta_admin_access where source_relation = ?"
    )
    empty: tuple[str, ...] = ()
    always = {
        ("ra_super", "org", empty, empty),  # a type Okta never limits
        ("ra_report", "org", empty, empty),
        ("ra_custom", "resource_set", empty, empty),  # its resource set limits it
    }
    # role_targets loaded: targets where it has rows, org-wide where it has none.
    assert rows(built.conn, query, [FULL]) == always | {
        ("ra_helpdesk", "targeted", ("g_eng",), empty),  # the group's assignment
        ("ra_users", "org", empty, empty),
        ("ra_apps", "targeted", empty, ("a_wiki", "salesforce")),
    }
    # Not loaded: what Okta can limit is unknown, not org-wide; the lists are null.
    assert rows(built.conn, query, [LEGACY]) == always | {
        ("ra_helpdesk", "unknown", None, None),
        ("ra_users", "unknown", None, None),
        ("ra_apps", "unknown", None, None),
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


ACCESS_FINDINGS = {
    ("suspended_with_app_access", "u_carol", "a_wiki"),
    ("deprovisioned_with_app_access", "u_dave", "a_crm"),
    # Last sign-in 2026-01-02, more than 90 days before 2026-06-30.
    ("dormant_with_app_access", "u_bob", "a_wiki"),
    ("dormant_with_app_access", "u_bob", "a_crm"),
    ("never_signed_in_with_app_access", "u_erin", "a_crm"),
    ("admin_without_phishing_resistant_mfa", "u_bob", "ra_helpdesk"),
    ("admin_without_mfa", "u_ivan", "ra_users"),
    ("admin_without_phishing_resistant_mfa", "u_ivan", "ra_users"),
    ("admin_without_mfa", "u_judy", "ra_apps"),
    ("admin_without_phishing_resistant_mfa", "u_judy", "ra_apps"),
}


def findings_of(built: Built, org: str) -> set[tuple[Any, ...]]:
    return rows(
        built.conn,
        "select finding, user_id, object_id from okta_models.okta_access_findings"
        " where source_relation = ?",
        [org],
    )


def test_findings(built: Built) -> None:
    assert findings_of(built, FULL) == ACCESS_FINDINGS | {
        # A token is a finding when its user is not ACTIVE, or gone (soft or hard).
        ("api_token_of_inactive_user", "u_carol", "t_carol"),
        ("api_token_of_inactive_user", "u_gina", "t_gina"),
        ("api_token_of_inactive_user", "u_hank", "t_hank"),
        # ... and when it is accepted from anywhere (ANYWHERE, or no network object).
        ("api_token_without_network_restriction", "u_alice", "t_alice_any"),
        ("api_token_without_network_restriction", "u_bob", "t_bob"),
        ("api_token_without_network_restriction", "u_hank", "t_hank"),
        # CRM provisions but does not deactivate; Wiki does; the bots have no users.
        ("app_without_deprovisioning", None, "a_crm"),
        ("log_stream_inactive", None, "ls_off"),  # not the deleted one
        # The ACTIVE manage grants of a service app, not a revoked one or a web app's.
        ("service_app_with_manage_scopes", None, "a_svc"),
    }


def test_posture_findings_need_their_streams(built: Built) -> None:
    """Without the posture streams, no posture finding (no app is "without
    deprovisioning" because app_features was not read)."""
    assert findings_of(built, LEGACY) == ACCESS_FINDINGS
    assert findings_of(built, CORE) == {f for f in ACCESS_FINDINGS if not f[0].startswith("admin_")}


def test_finding_columns(built: Built) -> None:
    got = rows(
        built.conn,
        "select finding, object_type, object_label, user_status, since::varchar, finding_key"
        " from okta_models.okta_access_findings where source_relation = 'okta'"
        " and finding in ('api_token_of_inactive_user', 'log_stream_inactive',"
        " 'service_app_with_manage_scopes', 'app_without_deprovisioning')",
    )
    assert got == {
        # since: when the user's status changed; a deleted user's: unknown.
        (
            "api_token_of_inactive_user",
            "api_token",
            "token t_carol",
            "SUSPENDED",
            "2026-06-10 00:00:00",
            "okta:api_token_of_inactive_user:u_carol:t_carol",
        ),
        (
            "api_token_of_inactive_user",
            "api_token",
            "token t_gina",
            None,
            None,
            "okta:api_token_of_inactive_user:u_gina:t_gina",
        ),
        (
            "api_token_of_inactive_user",
            "api_token",
            "token t_hank",
            None,
            None,
            "okta:api_token_of_inactive_user:u_hank:t_hank",
        ),
        (
            "log_stream_inactive",
            "log_stream",
            "SIEM ls_off",
            None,
            "2026-06-02 00:00:00",
            "okta:log_stream_inactive::ls_off",
        ),
        (
            "service_app_with_manage_scopes",
            "app",
            "Sync bot",
            None,
            "2026-04-01 00:00:00",
            "okta:service_app_with_manage_scopes::a_svc",
        ),
        (
            "app_without_deprovisioning",
            "app",
            "CRM",
            None,
            None,
            "okta:app_without_deprovisioning::a_crm",
        ),
    }


def test_contract_staging(built: Built) -> None:
    """The staging of the streams issue 24's contract fixes, on rows in its shape."""
    owners = rows(
        built.conn,
        "select group_id, owner_id, owner_type, resolved from okta_models.stg_okta__group_owners"
        " where source_relation = 'okta'",
    )
    assert owners == {("g_eng", "u_alice", "USER", True), ("g_admins", "g_eng", "GROUP", True)}
    org = rows(
        built.conn,
        "select source_relation, org_id, company_name, threat_insight_action"
        " from okta_models.stg_okta__org_settings",
    )
    assert org == {("okta", "00o_acme", "Acme", "audit")}
    grants = rows(
        built.conn,
        "select grant_id, scope_id, grant_status, grant_source, created_by_id"
        " from okta_models.stg_okta__app_grants where app_id = 'a_svc'",
    )
    assert grants == {
        ("gr_1", "okta.users.manage", "ACTIVE", "ADMIN", "u_alice"),
        ("gr_2", "okta.groups.manage", "ACTIVE", "ADMIN", "u_alice"),
        ("gr_3", "okta.users.read", "ACTIVE", "ADMIN", "u_alice"),
    }
    features = rows(
        built.conn,
        "select app_id, feature_name, feature_status, deactivate_users_status"
        " from okta_models.stg_okta__app_features",
    )
    assert features == {(a, n, st, d) for a, n, st, d in APP_FEATURES}
    targets = rows(
        built.conn,
        "select principal_type, principal_id, role_assignment_id, target_type, target_id,"
        " app_name from okta_models.stg_okta__role_targets",
    )
    assert targets == {(*r[:3], *r[4:]) for r in ROLE_TARGETS}
    tokens = rows(
        built.conn,
        "select api_token_id, network_connection from okta_models.stg_okta__api_tokens",
    )
    assert tokens == {(t, n and n["connection"]) for t, _, n, d in API_TOKENS if d is None}


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
        found: dict[str, set[tuple[Any, ...]]] = {FULL: set(), LEGACY: set(), CORE: set()}
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
    assert admins[LEGACY] == admins[FULL]
    mfa = per_org("select source_relation, user_id, has_mfa from okta_models.okta_user_mfa")
    assert {has_mfa for _, has_mfa in mfa[CORE]} == {False}
