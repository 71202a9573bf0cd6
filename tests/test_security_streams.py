"""The security streams (admin roles, MFA factors, devices, policies, …) over real HTTP.

Not selected by default. What every stream keeps (each alone writes the org once,
at its page size, with its own scope) is in ``test_stream_contracts.py``; here,
what is particular to these: between complete reads, factors, group roles and
devices are re-read only where the System Log says they changed; deletions;
policy types; secrets. Through the CLI: in this process these flows wait some 45 s
on rate-limit windows, too long for the fast tier.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tap_okta.tap import STREAM_TYPES
from tests.harness import (
    ALL_SCOPES,
    API_KEY,
    TapRun,
    assert_clean_failure,
    assert_no_secrets,
    discovered_catalog,
    report,
    run_tap,
    service_app_config,
    tap_api_requests,
)
from tests.okta_sim import ALL_FAMILIES, OktaSimulator
from tests.okta_sim.oauth import ALL_READ_SCOPES
from tests.okta_sim.security_data import POLICY_TYPES as SIM_POLICY_TYPES

pytestmark = pytest.mark.cli

ORIGINAL = ("users", "groups", "group_members", "apps", "app_users", "app_groups", "logs")
SECURITY: dict[str, type[Any]] = {cls.name: cls for cls in STREAM_TYPES if cls.name not in ORIGINAL}
#: The scopes a service app had before the security streams existed.
BASE_SCOPES = set(ALL_SCOPES)


def keys(stream: str, records: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    fields = SECURITY[stream].primary_keys
    return [tuple(str(r[f]) for f in fields) for r in records]


def expected(sim: OktaSimulator, stream: str) -> set[tuple[str, ...]]:
    return {k if isinstance(k, tuple) else (k,) for k in sim.org.snapshot()[stream]}


def live(run: TapRun, stream: str) -> list[tuple[str, ...]]:
    return keys(stream, [r for r in run.records(stream) if not r.get("_sdc_deleted_at")])


def deleted(run: TapRun, stream: str) -> list[tuple[str, ...]]:
    return keys(stream, [r for r in run.records(stream) if r.get("_sdc_deleted_at")])


def requested_paths(sim: OktaSimulator, since: int) -> Counter[str]:
    return Counter(r.path for r in tap_api_requests(sim)[since:])


@pytest.fixture(scope="module")
def org() -> Iterator[OktaSimulator]:
    with OktaSimulator(users=300, seed=23, api_key=API_KEY) as simulator:
        simulator.rate_limits.window_seconds = 5
        yield simulator


@pytest.fixture(scope="module")
def oauth(org: OktaSimulator) -> dict[str, Any]:
    app = org.org.register_service_app(scopes=set(ALL_READ_SCOPES))
    return {
        "org_url": org.base_url,
        "client_id": app.client_id,
        "key_id": app.key_id,
        "private_key": app.private_key_pem,
    }


def test_discovery_lists_the_security_streams_unselected() -> None:
    catalog = json.loads(discovered_catalog())
    selected = {}
    for entry in catalog["streams"]:
        root = next(m["metadata"] for m in entry["metadata"] if m["breadcrumb"] == [])
        selected[entry["tap_stream_id"]] = (root.get("selected"), root.get("selected-by-default"))
    assert set(SECURITY) <= set(selected)
    for name in SECURITY:
        assert selected[name] == (False, False), name
    for name in ORIGINAL:
        assert selected[name] == (True, True), name
    # Every security stream declares the Singer delete marker and a primary key.
    for entry in catalog["streams"]:
        if entry["tap_stream_id"] in SECURITY:
            assert "_sdc_deleted_at" in entry["schema"]["properties"]
            assert entry["key_properties"]


def test_a_service_app_with_only_the_original_scopes_sees_no_change(org: OktaSimulator) -> None:
    """No catalog: the SDK selects what is selected by default, the original streams."""
    config = service_app_config(org, org.org.register_service_app(scopes=BASE_SCOPES))
    start = len(org.requests)
    run = run_tap(config)
    assert run.returncode == 0, run.stderr[-3000:]
    assert set(run.counts()) == set(ORIGINAL)
    token_requests = [r for r in org.requests[start:] if r.path == "/oauth2/v1/token"]
    asked = set(" ".join((r.form or {}).get("scope", "") for r in token_requests).split())
    assert asked <= BASE_SCOPES, asked


# -- between complete reads: only what the System Log names -------------------


@pytest.fixture
def config(api_config: dict[str, Any]) -> dict[str, Any]:
    return {**api_config, "emit_activate_version_messages": True}


EVENT_DRIVEN = ("user_factors", "group_roles", "devices", "user_roles")


class SecurityChanges:
    """One round of changes to factors, admin roles and devices, and what they must yield."""

    def __init__(self, sim: OktaSimulator) -> None:
        org = sim.org
        before = org.snapshot()
        users = sorted(u["id"] for u in org.all_users() if u["status"] == "ACTIVE")
        with_factors = sorted({user for user, _ in before["user_factors"]})
        self.enrolled = next(u for u in users if u not in with_factors)
        self.reset_user, self.reset_factor = sorted(before["user_factors"])[0]
        self.new_factor = org.enroll_factor(self.enrolled, "token:software:totp")["id"]
        org.reset_factor(self.reset_user, self.reset_factor)

        role_groups = sorted({group for group, _ in before["group_roles"]})
        self.revoked_group, self.revoked_role = sorted(before["group_roles"])[0]
        groups = sorted(g["id"] for g in org.all_groups() if g["type"] == "OKTA_GROUP")
        self.granted_group = next(g for g in groups if g not in role_groups)
        self.granted_role = org.assign_group_role(self.granted_group, "HELP_DESK_ADMIN")["id"]
        org.unassign_group_role(self.revoked_group, self.revoked_role)

        admins = sorted(before["user_roles"])
        self.admin_demoted, self.demoted_role = admins[0]
        self.new_admin = next(u for u in users if u not in {a for a, _ in admins})
        self.new_admin_role = org.assign_user_role(self.new_admin, "REPORT_ADMIN")["id"]
        org.unassign_user_role(self.admin_demoted, self.demoted_role)

        devices = sorted(d for (d,) in as_keys(before["devices"]))
        self.device_deleted, self.device_updated = devices[:2]
        org.deactivate_device(self.device_deleted)
        org.delete_device(self.device_deleted)
        org.update_device(self.device_updated)

        after = org.snapshot()
        # A revoked group role also leaves its members' user_roles lists.
        self.gone = {s: as_keys(before[s]) - as_keys(after[s]) for s in EVENT_DRIVEN}
        self.new = {s: as_keys(after[s]) - as_keys(before[s]) for s in EVENT_DRIVEN}


def as_keys(items: Any) -> set[tuple[str, ...]]:
    return {k if isinstance(k, tuple) else (k,) for k in items}


def factor_reads(sim: OktaSimulator, since: int) -> set[str]:
    return {
        r.path.split("/")[4]
        for r in sim.requests[since:]
        if r.path.startswith("/api/v1/users/") and r.path.endswith("/factors")
    }


def group_role_reads(sim: OktaSimulator, since: int) -> set[str]:
    return {
        r.path.split("/")[4]
        for r in sim.requests[since:]
        if r.path.startswith("/api/v1/groups/") and r.path.endswith("/roles")
    }


def test_between_complete_reads_only_what_the_system_log_names_is_read(
    sim: OktaSimulator, config: dict[str, Any]
) -> None:
    first = run_tap(config, streams=EVENT_DRIVEN)
    assert first.returncode == 0, first.stderr[-3000:]
    users = len(sim.org.all_users())
    assert len(factor_reads(sim, 0)) == users  # the first run is complete
    for stream in EVENT_DRIVEN:
        assert set(live(first, stream)) == expected(sim, stream), stream

    changes = SecurityChanges(sim)
    start = len(sim.requests)
    second = run_tap(config, state=first.final_state, streams=EVENT_DRIVEN)
    assert second.returncode == 0, second.stderr[-3000:]
    # One factor request per user an event names; one role request per group.
    assert factor_reads(sim, start) == {changes.enrolled, changes.reset_user}
    assert group_role_reads(sim, start) == {changes.granted_group, changes.revoked_group}
    assert (changes.enrolled, changes.new_factor) in live(second, "user_factors")
    assert {u for u, _ in live(second, "user_factors")} <= {changes.enrolled, changes.reset_user}
    assert (changes.reset_user, changes.reset_factor) not in live(second, "user_factors")

    assert live(second, "group_roles") == [(changes.granted_group, changes.granted_role)]
    assert deleted(second, "group_roles") == [(changes.revoked_group, changes.revoked_role)]
    assert changes.gone["group_roles"] == {(changes.revoked_group, changes.revoked_role)}
    assert (changes.new_admin, changes.new_admin_role) in live(second, "user_roles")
    assert (changes.admin_demoted, changes.demoted_role) in changes.gone["user_roles"]
    # user_roles is read in full: every assignment gone is deleted once, the demoted
    # admin's and the revoked group's members' alike.
    assert sorted(deleted(second, "user_roles")) == sorted(changes.gone["user_roles"])
    assert set(live(second, "user_roles")) == expected(sim, "user_roles")
    assert deleted(second, "devices") == [(changes.device_deleted,)]
    assert live(second, "devices") == [(changes.device_updated,)]
    # Incremental: no ACTIVATE_VERSION for the event-driven streams.
    activated = {m["stream"] for m in second.messages if m["type"] == "ACTIVATE_VERSION"}
    assert activated == {"user_roles"}  # read in full every run

    start = len(sim.requests)
    third = run_tap(config, state=second.final_state, streams=EVENT_DRIVEN)
    assert third.returncode == 0, third.stderr[-3000:]
    assert not factor_reads(sim, start)
    assert not group_role_reads(sim, start)
    for stream in ("user_factors", "group_roles", "devices"):
        assert not third.records(stream), stream
    assert not deleted(third, "user_roles")
    report(
        "security_hourly",
        first_requests=len(tap_api_requests(sim)[:start]),
        second_factor_reads=2,
        third_requests=len(tap_api_requests(sim)[start:]),
    )


def test_user_factors_complete_read_every_interval_activates_the_version(
    sim: OktaSimulator, config: dict[str, Any]
) -> None:
    config = {**config, "full_sync_interval_days": 1 / 86400}  # one second
    first = run_tap(config, streams=("user_factors",))
    assert first.returncode == 0, first.stderr[-3000:]
    sim.org.clock.advance(5)
    start = len(sim.requests)
    second = run_tap(config, state=first.final_state, streams=("user_factors",))
    assert second.returncode == 0, second.stderr[-3000:]
    assert len(factor_reads(sim, start)) == len(sim.org.all_users())
    versions = {m.get("version") for m in second.messages if m["type"] == "RECORD"}
    activate = [m for m in second.messages if m["type"] == "ACTIVATE_VERSION"]
    assert len(activate) == 1
    assert versions == {activate[0]["version"]}


def test_snapshot_streams_write_each_deletion_once(
    sim: OktaSimulator, config: dict[str, Any]
) -> None:
    streams = ("policy_rules", "group_rules", "network_zones")
    first = run_tap(config, streams=streams)
    assert first.returncode == 0, first.stderr[-3000:]
    snapshot = sim.org.snapshot()
    policy, rule = sorted(k for k in snapshot["policy_rules"])[0]
    group_rule = sorted(snapshot["group_rules"])[0]
    zone = next(z["id"] for z in sim.org.snapshot_objects("network_zones") if not z.get("system"))
    sim.org.delete_policy_rule(policy, rule)
    sim.org.delete_group_rule(group_rule[0] if isinstance(group_rule, tuple) else group_rule)
    sim.org.delete_zone(zone)
    second = run_tap(config, state=first.final_state, streams=streams)
    assert second.returncode == 0, second.stderr[-3000:]
    assert deleted(second, "policy_rules") == [(policy, rule)]
    assert len(deleted(second, "group_rules")) == 1
    assert deleted(second, "network_zones") == [(zone,)]
    for stream in streams:
        assert set(live(second, stream)) == expected(sim, stream), stream
    third = run_tap(config, state=second.final_state, streams=streams)
    for stream in streams:
        assert not deleted(third, stream), stream


def test_policies_of_types_the_org_lacks_are_skipped(
    sim: OktaSimulator, config: dict[str, Any]
) -> None:
    run = run_tap(config, streams=("policies",))
    assert run.returncode == 0, run.stderr[-3000:]
    assert set(live(run, "policies")) == expected(sim, "policies")
    assert "no ENTITY_RISK policies" in run.stderr


def test_policies_of_every_documented_type_are_read(
    sim: OktaSimulator, config: dict[str, Any]
) -> None:
    """An org with every feature: each type of Okta's PolicyType enum is listed."""
    sim.org.disabled_policy_types.clear()
    run = run_tap(config, streams=("policies", "policy_rules"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert set(live(run, "policies")) == expected(sim, "policies")
    assert set(live(run, "policy_rules")) == expected(sim, "policy_rules")
    assert {r["type"] for r in run.records("policies")} == set(SIM_POLICY_TYPES)
    assert "Okta lists no" not in run.stderr


def test_a_service_app_without_the_roles_scope_names_stream_and_scope(sim: OktaSimulator) -> None:
    app = sim.org.register_service_app(scopes=BASE_SCOPES)
    config = {
        "org_url": sim.base_url,
        "client_id": app.client_id,
        "key_id": app.key_id,
        "private_key": app.private_key_pem,
    }
    run = run_tap(config, streams=("user_roles",))
    assert_clean_failure(run, "okta.roles.read", "user_roles")
    assert_no_secrets(run, app.private_key_pem)


def test_secrets_in_factors_and_identity_providers_stay_out(org: OktaSimulator) -> None:
    config = {"org_url": org.base_url, "api_key": API_KEY}
    run = run_tap(config, streams=("user_factors", "identity_providers"))
    assert run.returncode == 0, run.stderr[-3000:]
    secrets = [
        f["_embedded"]["activation"]["sharedSecret"]
        for f in org.org.snapshot_objects("user_factors")
        if ((f.get("_embedded") or {}).get("activation") or {}).get("sharedSecret")
    ]
    secrets += [
        i["protocol"]["credentials"]["client"]["client_secret"]
        for i in org.org.snapshot_objects("identity_providers")
        if (((i.get("protocol") or {}).get("credentials") or {}).get("client") or {}).get(
            "client_secret"
        )
    ]
    assert secrets, "the simulated org has no factor or IdP secret to keep out"
    for secret in secrets:
        assert secret not in run.stdout
    assert all("activation" not in (r.get("_embedded") or {}) for r in run.records("user_factors"))


def test_an_api_token_whose_admin_cannot_read_roles_names_stream_and_role(
    sim: OktaSimulator,
) -> None:
    token = "00sim-token-of-a-read-only-admin-4d2a"
    sim.org.add_api_token(token, permissions=ALL_FAMILIES - {"roles"})
    run = run_tap({"org_url": sim.base_url, "api_key": token}, streams=("user_roles",))
    assert_clean_failure(run, "user_roles", "E0000006", "Super Administrator")
    assert_no_secrets(run, token)


def test_a_token_without_the_stream_scope_names_stream_scope_and_role(
    org: OktaSimulator, oauth: dict[str, Any]
) -> None:
    """``scopes`` set by hand without the stream's: Okta answers 403 insufficient_scope."""
    run = run_tap({**oauth, "scopes": sorted(BASE_SCOPES)}, streams=("custom_roles",))
    assert_clean_failure(run, "custom_roles", "okta.roles.read", "Super Administrator")
    assert_no_secrets(run, oauth["private_key"])


# -- fields Okta documents (management OpenAPI spec) ---------------------------------

DOCUMENTED_FIELDS = (
    ("network_zones", "useAsExemptList"),
    ("resource_set_resources", "conditions"),
    ("authorization_servers", "jwks"),
    ("authorization_servers", "jwks_uri"),
    ("authorization_servers", "accessTokenEncryptedResponseAlgorithm"),
    ("apps", "expressConfiguration"),
    ("user_factors", "factorProfileId"),
)
PRIMARY_KEYS = {cls.name: cls.primary_keys for cls in STREAM_TYPES}


def test_fields_okta_documents_reach_the_output(sim: OktaSimulator, config: dict[str, Any]) -> None:
    # The generated apps carry no expressConfiguration: give one app that of Okta's example.
    express = {
        "supportedCapabilities": ["SSO", "PROVISIONING", "UNIVERSAL_LOGOUT"],
        "enabledCapabilities": ["SSO"],
    }
    saml = sorted(a["id"] for a in sim.org.all_apps() if a["signOnMode"] == "SAML_2_0")[0]
    with sim.org.lock:
        sim.org.apps[saml]["expressConfiguration"] = express
    streams = tuple(dict.fromkeys(stream for stream, _ in DOCUMENTED_FIELDS))
    run = run_tap(config, streams=streams)
    assert run.returncode == 0, run.stderr[-3000:]
    schemas = {m["stream"]: m["schema"] for m in run.messages if m["type"] == "SCHEMA"}
    for stream, field in DOCUMENTED_FIELDS:
        assert field in schemas[stream]["properties"], (stream, field)
        pks = PRIMARY_KEYS[stream]
        source = sim.org.all_apps() if stream == "apps" else sim.org.snapshot_objects(stream)
        carried = {tuple(o[k] for k in pks): o[field] for o in source if o.get(field) is not None}
        assert carried, f"no {stream} object of the simulated org has {field}"
        written = {tuple(r[k] for k in pks): r.get(field) for r in run.records(stream)}
        assert {key: written.get(key) for key in carried} == carried, (stream, field)
