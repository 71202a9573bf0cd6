"""Discovery names every profile attribute from Okta's own schemas; the sync uses them.

The simulator serves ``/api/v1/meta`` like Okta: two user types (``User`` and
``Contractor``) whose custom attributes cover every Okta type, ``jobLevel`` with a
different type in each, ``deskNumber`` that nobody has set, and a custom group
attribute or four (``tests/okta_sim/meta.py``).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from tap_okta.schemas import GROUP, USER
from tests.harness import (
    ALL_SCOPES,
    API_KEY,
    ROOT,
    TAP,
    TapRun,
    assert_clean_failure,
    assert_no_secrets,
    report,
    run_tap,
    tap_api_requests,
    tap_environment,
)
from tests.okta_sim import OktaSimulator
from tests.okta_sim.oauth import ServiceApp

SCHEMA_SCOPES = {"okta.schemas.read", "okta.userTypes.read"}
META_PATHS = [
    "/api/v1/meta/schemas/user/default",
    "/api/v1/meta/types/user",
    "/api/v1/meta/schemas/user/{contractor}",
    "/api/v1/meta/schemas/group/default",
]
# What the catalog must say about the simulated org's custom attributes.
CUSTOM_USER_TYPES: dict[str, dict[str, Any]] = {
    "isContractor": {"type": ["boolean", "null"]},
    "startDate": {"type": ["string", "null"]},
    "badgeIds": {"type": ["array", "null"], "items": {"type": ["string", "null"]}},
    "clearanceLevel": {"type": ["integer", "null"]},
    "deskNumber": {"type": ["integer", "null"]},  # nobody has set it
    "employmentType": {"type": ["string", "null"]},
    "fte": {"type": ["number", "null"]},
    "projectCodes": {"type": ["array", "null"], "items": {"type": ["integer", "null"]}},
    "lastSecurityTraining": {"type": ["string", "null"], "format": "date-time"},
    "jobLevel": {"type": ["integer", "string", "null"]},  # integer for User, string for Contractor
    "contractorAgency": {"type": ["string", "null"]},  # Contractor only
    "hourlyRate": {"type": ["number", "null"]},
    "contractEnd": {"type": ["string", "null"], "format": "date-time"},
}
BASE_USER_FORMATS = {"email": "email", "secondEmail": "email", "profileUrl": "uri-reference"}
CUSTOM_GROUP_TYPES: dict[str, dict[str, Any]] = {
    "groupOwner": {"type": ["string", "null"], "format": "email"},
    "reviewCadenceDays": {"type": ["integer", "null"]},
    "dataClassification": {"type": ["string", "null"]},
    "isPrivileged": {"type": ["boolean", "null"]},
}
CONTRACTOR_ONLY = {"contractorAgency", "hourlyRate", "contractEnd"}


@dataclass
class Discovery:
    returncode: int
    catalog: dict[str, Any]
    stderr: str
    seconds: float

    def profile(self, stream: str) -> dict[str, Any]:
        entry = next(e for e in self.catalog["streams"] if e["tap_stream_id"] == stream)
        return dict(entry["schema"]["properties"]["profile"])

    def schema(self, stream: str) -> dict[str, Any]:
        entry = next(e for e in self.catalog["streams"] if e["tap_stream_id"] == stream)
        return dict(entry["schema"])

    def warnings(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if "| WARNING" in line]

    def selecting(self, *streams: str) -> dict[str, Any]:
        catalog = json.loads(json.dumps(self.catalog))
        for entry in catalog["streams"]:
            for metadata in entry["metadata"]:
                if metadata["breadcrumb"] == []:
                    metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
        return dict(catalog)


def discover(config: dict[str, Any]) -> Discovery:
    """``tap-okta --config … --discover``, as Meltano runs it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.json"
        path.write_text(json.dumps(config))
        started = time.monotonic()
        result = subprocess.run(
            [*TAP, "--config", str(path), "--discover"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=tap_environment(),
            timeout=120,
        )
    seconds = time.monotonic() - started
    catalog = json.loads(result.stdout) if result.returncode == 0 else {}
    return Discovery(result.returncode, catalog, result.stderr, seconds)


def sync(config: dict[str, Any], catalog: dict[str, Any]) -> TapRun:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalog.json"
        path.write_text(json.dumps(catalog))
        return run_tap(config, extra_args=("--catalog", str(path)))


def meta_paths(sim: OktaSimulator) -> list[str]:
    contractor = sim.org.user_schema_ids["contractor"]
    return [
        r.path.replace(contractor, "{contractor}")
        for r in tap_api_requests(sim)
        if r.path.startswith("/api/v1/meta/")
    ]


def token_scopes(sim: OktaSimulator) -> list[str]:
    return [(r.form or {}).get("scope", "") for r in sim.requests if r.path == "/oauth2/v1/token"]


def builtin_profile(stream: str) -> dict[str, Any]:
    schema = USER if stream == "users" else GROUP
    return dict(schema.to_dict()["properties"]["profile"])


@pytest.mark.cli
def test_catalog_names_every_attribute_with_its_type(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    found = discover(api_config)
    assert found.returncode == 0, found.stderr[-3000:]

    users = found.profile("users")
    assert users["additionalProperties"] is True  # still open for what comes later
    for name, expected in CUSTOM_USER_TYPES.items():
        declared = {k: v for k, v in users["properties"][name].items() if k in expected}
        assert declared == expected, name
    for name, okta_format in BASE_USER_FORMATS.items():
        assert users["properties"][name]["format"] == okta_format, name
    # Okta's own formats stay plain strings (named in the description).
    assert "format" not in users["properties"]["countryCode"]
    assert "country-code" in users["properties"]["countryCode"]["description"]
    assert "FTE (Full-time employee)" in users["properties"]["employmentType"]["description"]
    assert "enum" not in users["properties"]["employmentType"]
    groups = found.profile("groups")
    assert groups["additionalProperties"] is True
    for name, expected in CUSTOM_GROUP_TYPES.items():
        declared = {k: v for k, v in groups["properties"][name].items() if k in expected}
        assert declared == expected, name
    # Nested metadata too: Meltano can select or deselect one attribute.
    users_entry = next(e for e in found.catalog["streams"] if e["tap_stream_id"] == "users")
    breadcrumbs = [tuple(m["breadcrumb"]) for m in users_entry["metadata"]]
    assert ("properties", "profile", "properties", "deskNumber") in breadcrumbs

    # A handful of requests: no per-user or per-group call, no sync endpoint.
    assert meta_paths(sim) == META_PATHS
    assert len(tap_api_requests(sim)) == len(META_PATHS)
    # The type conflict is reported once, by name.
    conflicts = [w for w in found.warnings() if "different types" in w]
    assert len(conflicts) == 1
    assert "'jobLevel'" in conflicts[0]
    assert "User: integer, Contractor: string" in conflicts[0]
    assert found.warnings() == conflicts
    assert_no_secrets(TapRun(0, json.dumps(found.catalog), found.stderr), API_KEY)
    report(
        "profile discovery",
        users_attributes=len(users["properties"]),
        users_custom=len(CUSTOM_USER_TYPES),
        groups_attributes=len(groups["properties"]),
        groups_custom=len(CUSTOM_GROUP_TYPES),
        api_requests=len(tap_api_requests(sim)),
        discover_seconds=round(found.seconds, 2),
    )


@pytest.mark.cli
def test_records_validate_against_the_discovered_catalog(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    found = discover(api_config)
    sim.clear_requests()
    run = sync(api_config, found.selecting("users", "groups"))
    assert run.returncode == 0, run.stderr[-3000:]
    # The sync uses the catalog's schemas: no schema endpoint, no schema scope.
    assert not [r for r in tap_api_requests(sim) if r.path.startswith("/api/v1/meta/")]
    checker = jsonschema.FormatChecker()
    seen: dict[str, set[str]] = {"users": set(), "groups": set()}
    for stream in ("users", "groups"):
        schema = found.schema(stream)
        [message] = [m for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == stream]
        assert message["schema"]["properties"]["profile"] == found.profile(stream)
        records = run.records(stream)
        assert len(records) == len(getattr(sim.org, f"all_{stream}")())
        for record in records:
            jsonschema.validate(record, schema, format_checker=checker)
            seen[stream] |= set(record.get("profile") or {})
    # Values of every custom type reached the output; deskNumber never did.
    assert set(CUSTOM_USER_TYPES) - {"deskNumber"} <= seen["users"]
    assert "deskNumber" not in seen["users"]
    assert set(CUSTOM_GROUP_TYPES) <= seen["groups"]
    # Both jobLevel types arrive, under one property that holds both.
    levels = {type(r["profile"].get("jobLevel")) for r in run.records("users")}
    assert {int, str} <= levels
    # AD groups' attributes are not in the group schema: they still pass through.
    assert "samAccountName" in seen["groups"]


@pytest.mark.cli
def test_one_attribute_can_be_deselected(sim: OktaSimulator, api_config: dict[str, Any]) -> None:
    """What Meltano's ``select: ["!users.profile.costCenter"]`` writes into the catalog."""
    found = discover(api_config)
    catalog = found.selecting("users")
    users = next(e for e in catalog["streams"] if e["tap_stream_id"] == "users")
    for metadata in users["metadata"]:
        if metadata["breadcrumb"] == ["properties", "profile", "properties", "costCenter"]:
            metadata["metadata"]["selected"] = False
    run = sync(api_config, catalog)
    assert run.returncode == 0, run.stderr[-3000:]
    profiles = [r["profile"] for r in run.records("users")]
    assert not [p for p in profiles if "costCenter" in p]
    assert [p for p in profiles if "clearanceLevel" in p]
    [message] = [m for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == "users"]
    assert "costCenter" not in message["schema"]["properties"]["profile"]["properties"]


@pytest.mark.cli
def test_an_attribute_added_after_discovery_is_kept_and_named_next_time(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    found = discover(api_config)
    user = sim.org.all_users()[0]["id"]
    sim.org.add_user_attribute(
        "parkingSpot", {"title": "Parking spot", "type": "string", "required": False}
    )
    sim.org.update_user_profile(user, {"parkingSpot": "P2-117"})
    run = sync(api_config, found.selecting("users"))
    assert run.returncode == 0, run.stderr[-3000:]
    [record] = [r for r in run.records("users") if r["id"] == user]
    assert record["profile"]["parkingSpot"] == "P2-117"
    assert not run.error_lines()
    again = discover(api_config)
    assert again.profile("users")["properties"]["parkingSpot"]["type"] == ["string", "null"]


@pytest.mark.cli
def test_flattened_records_only_carry_declared_columns(
    sim: OktaSimulator, api_config: dict[str, Any]
) -> None:
    """With flattening, every ``profile__*`` key of a record is in the SCHEMA message."""
    config = {**api_config, "flattening_enabled": True, "flattening_max_depth": 1}
    found = discover(config)
    run = sync(config, found.selecting("users", "groups"))
    assert run.returncode == 0, run.stderr[-3000:]
    for stream in ("users", "groups"):
        [message] = [m for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == stream]
        declared = message["schema"]["properties"]
        undeclared = {key for record in run.records(stream) for key in record} - set(declared)
        assert not undeclared, (stream, undeclared)
        for record in run.records(stream):
            jsonschema.validate(record, message["schema"])
    users = next(m for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == "users")
    columns = users["schema"]["properties"]
    assert columns["profile__deskNumber"]["type"] == ["integer", "null"]
    assert columns["profile__fte"]["type"] == ["number", "null"]
    assert columns["profile__lastSecurityTraining"]["format"] == "date-time"


@pytest.mark.cli
def test_service_app_asks_for_the_schema_scopes_at_discovery_only(
    sim: OktaSimulator, oauth_config: dict[str, Any], service_app: ServiceApp
) -> None:
    service_app.scopes |= SCHEMA_SCOPES
    found = discover(oauth_config)
    assert found.returncode == 0, found.stderr[-3000:]
    assert found.warnings() == [w for w in found.warnings() if "different types" in w]
    assert token_scopes(sim) == ["okta.schemas.read okta.userTypes.read"]
    assert meta_paths(sim) == META_PATHS
    assert "contractorAgency" in found.profile("users")["properties"]
    sim.clear_requests()
    run = sync(oauth_config, found.selecting("users"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert token_scopes(sim) == ["okta.users.read okta.logs.read"]


@pytest.mark.cli
def test_without_the_schemas_scope_discovery_warns_once_and_keeps_open_profiles(
    sim: OktaSimulator, oauth_config: dict[str, Any], service_app: ServiceApp
) -> None:
    assert not service_app.scopes & SCHEMA_SCOPES  # the suite's app: the four sync scopes
    found = discover(oauth_config)
    assert found.returncode == 0, found.stderr[-3000:]
    [warning] = found.warnings()
    assert "okta.schemas.read" in warning
    assert "refresh-catalog" in warning
    assert found.profile("users") == builtin_profile("users")
    assert found.profile("groups") == builtin_profile("groups")
    # Okta refused the token for these scopes (with and without the optional one).
    assert token_scopes(sim) == ["okta.schemas.read okta.userTypes.read", "okta.schemas.read"]
    assert tap_api_requests(sim) == []
    # The sync does not need them: it runs, with the open profile.
    run = sync(oauth_config, found.selecting("users"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert {"clearanceLevel", "jobLevel"} <= {
        key for record in run.records("users") for key in record["profile"]
    }


@pytest.mark.cli
def test_without_the_user_types_scope_the_default_type_is_typed(
    sim: OktaSimulator, oauth_config: dict[str, Any], service_app: ServiceApp
) -> None:
    service_app.scopes |= {"okta.schemas.read"}
    found = discover(oauth_config)
    assert found.returncode == 0, found.stderr[-3000:]
    [warning] = found.warnings()
    assert "okta.userTypes.read" in warning
    users = found.profile("users")["properties"]
    assert users["employmentType"]["type"] == ["string", "null"]
    assert users["jobLevel"]["type"] == ["integer", "null"]  # the default type's only
    assert not CONTRACTOR_ONLY & set(users)
    assert "groupOwner" in found.profile("groups")["properties"]
    assert token_scopes(sim) == ["okta.schemas.read okta.userTypes.read", "okta.schemas.read"]
    assert meta_paths(sim) == [
        "/api/v1/meta/schemas/user/default",
        "/api/v1/meta/types/user",  # 403 insufficient_scope
        "/api/v1/meta/schemas/group/default",
    ]


@pytest.mark.cli
def test_an_api_token_without_the_role_warns_once(sim: OktaSimulator) -> None:
    token = "00sim-token-of-an-admin-who-cannot-read-schemas"
    sim.org.add_api_token(token, permissions={"users", "groups", "apps", "logs"})
    found = discover({"org_url": sim.base_url, "api_key": token})
    assert found.returncode == 0, found.stderr[-3000:]
    [warning] = found.warnings()
    assert "okta.schemas.read" in warning
    assert "E0000006" in warning
    assert found.profile("users") == builtin_profile("users")
    assert found.profile("groups") == builtin_profile("groups")
    assert meta_paths(sim) == ["/api/v1/meta/schemas/user/default"]
    assert_no_secrets(TapRun(0, json.dumps(found.catalog), found.stderr), token)


@pytest.mark.cli
def test_a_transient_fault_is_retried(sim: OktaSimulator, api_config: dict[str, Any]) -> None:
    sim.faults.queue = ["503", "500"]
    sim.faults.queue_path = "^/api/v1/meta/"
    found = discover(api_config)
    assert found.returncode == 0, found.stderr[-3000:]
    assert "deskNumber" in found.profile("users")["properties"]


@pytest.mark.cli
@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"api_key": "00a-revoked-or-mistyped-api-token"}, "Okta rejected the API token"),
    ],
)
def test_a_rejected_credential_fails_discovery_in_one_line(
    sim: OktaSimulator, config: dict[str, Any], message: str
) -> None:
    found = discover({"org_url": sim.base_url, **config})
    run = TapRun(found.returncode, "", found.stderr)
    assert_clean_failure(run, message)
    assert_no_secrets(run, config["api_key"])


@pytest.mark.cli
def test_without_a_usable_config_discovery_stays_offline(sim: OktaSimulator) -> None:
    # Meltano's `select --list` before setup: no org, or an incomplete one.
    for config in ({}, {"org_url": sim.base_url}):
        found = discover(config)
        assert found.returncode == 0, found.stderr[-3000:]
        assert found.profile("users") == builtin_profile("users")
    assert sim.requests == []


@pytest.mark.cli
def test_a_sync_without_a_catalog_keeps_the_built_in_schemas(
    sim: OktaSimulator, oauth_config: dict[str, Any], service_app: ServiceApp
) -> None:
    """No catalog: no schema request, no schema scope, the built-in (open) profiles."""
    service_app.scopes |= SCHEMA_SCOPES  # granted, yet not asked for
    run = run_tap(oauth_config)
    assert run.returncode == 0, run.stderr[-3000:]
    assert [sorted(s.split()) for s in token_scopes(sim)] == [sorted(ALL_SCOPES)]
    assert not [r for r in tap_api_requests(sim) if r.path.startswith("/api/v1/meta/")]
    for stream in ("users", "groups"):
        [message] = [m for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == stream]
        assert message["schema"]["properties"]["profile"] == builtin_profile(stream)


def test_the_simulator_serves_okta_shaped_schemas(sim: OktaSimulator) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"SSWS {API_KEY}"

    def get(path: str) -> requests.Response:
        return session.get(sim.url(path), timeout=10)

    types = get("/api/v1/meta/types/user").json()
    assert [(t["name"], t["default"]) for t in types] == [("user", True), ("contractor", False)]
    for user_type in types:
        href = user_type["_links"]["schema"]["href"]
        assert href.startswith(sim.base_url + "/api/v1/meta/schemas/user/osc")
        body = session.get(href, timeout=10).json()
        assert body["properties"]["profile"]["allOf"] == [
            {"$ref": "#/definitions/custom"},
            {"$ref": "#/definitions/base"},
        ]
        assert body["definitions"]["base"]["required"] == [
            "login",
            "firstName",
            "lastName",
            "email",
        ]
        assert "deskNumber" in body["definitions"]["custom"]["properties"]
        assert get(user_type["_links"]["self"]["href"].removeprefix(sim.base_url)).ok
    default = get("/api/v1/meta/schemas/user/default").json()
    assert default["definitions"]["custom"]["properties"]["employmentType"]["oneOf"][0] == {
        "const": "FTE",
        "title": "Full-time employee",
    }
    group = get("/api/v1/meta/schemas/group/default").json()
    assert set(group["definitions"]["base"]["properties"]) == {"name", "description"}
    assert get("/api/v1/meta/schemas/user/osc-no-such-schema").status_code == 404
    assert get("/api/v1/meta/schemas/group/other").status_code == 404
    assert get("/api/v1/meta/types/user/oty-no-such-type").status_code == 404
    # Generated users: contractors have their type; nobody has deskNumber.
    contractor_type = sim.org.user_type_ids["contractor"]
    users = sim.org.all_users()
    contractors = [u for u in users if u["type"]["id"] == contractor_type]
    assert contractors
    assert all(u["profile"].get("isContractor") is True for u in contractors)
    assert not any("deskNumber" in u["profile"] for u in users)
    # Scopes: a token without okta.schemas.read gets Okta's empty 403.
    app = sim.org.register_service_app(scopes={"okta.users.read"})
    assertion = app.client_assertion(sim.token_url)
    token = requests.post(
        sim.token_url,
        data={
            "grant_type": "client_credentials",
            "scope": "okta.users.read",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
        timeout=10,
    ).json()["access_token"]
    denied = requests.get(
        sim.url("/api/v1/meta/schemas/user/default"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert denied.status_code == 403
    assert denied.content == b""
    assert 'scope="okta.schemas.read"' in denied.headers["WWW-Authenticate"]
