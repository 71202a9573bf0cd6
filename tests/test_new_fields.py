"""Fields Okta adds to its objects reach the output instead of being dropped.

Every stream's record schema is open at its root, as its nested objects are, so a
top-level field no schema names (the simulator's ``Org.NEW_FIELDS``) passes the
SDK's conformance and the tap's fast path unchanged. Fields Okta's current objects
carry are declared (``isCloneable`` on custom roles).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tap_okta.tap import STREAM_TYPES
from tests.harness import API_KEY, TapRun, sync_in_process
from tests.okta_sim import OktaSimulator
from tests.okta_sim.org import Org


def test_every_stream_record_schema_is_open_at_its_root() -> None:
    closed = [
        kind.name
        for kind in STREAM_TYPES
        if kind.schema.get("additionalProperties") is not True  # type: ignore[attr-defined]
    ]
    assert not closed


def test_a_top_level_field_okta_adds_reaches_the_output_for_users_groups_and_apps(
    sim: OktaSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    sim.org.add_new_fields()
    caplog.set_level(logging.WARNING)
    run = sync_in_process(
        {"org_url": sim.base_url, "api_key": API_KEY}, streams=("users", "groups", "apps")
    )
    for stream, (name, value) in Org.NEW_FIELDS.items():
        records = run.records(stream)
        assert records, stream
        live = [r for r in records if not r.get("_sdc_deleted_at")]
        assert all(r.get(name) == value for r in live), (stream, name)
    # Passed on, not dropped with the SDK's "not in schema" warning.
    assert "not found in catalog schema" not in caplog.text


def test_custom_roles_keep_is_cloneable(sim: OktaSimulator) -> None:
    run = sync_in_process({"org_url": sim.base_url, "api_key": API_KEY}, streams=("custom_roles",))
    roles = run.records("custom_roles")
    assert roles
    assert all(role["isCloneable"] is True for role in roles)
    assert "isCloneable" in STREAM_TYPES_BY_NAME["custom_roles"].schema["properties"]


STREAM_TYPES_BY_NAME = {kind.name: kind for kind in STREAM_TYPES}


def _schemas(run: TapRun, stream: str) -> list[dict[str, Any]]:
    return [m for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == stream]


def test_a_new_field_is_declared_in_one_more_schema_message_before_its_first_record(
    sim: OktaSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    # A typed target makes its columns from SCHEMA messages: without one naming the
    # field, target-postgres and target-duckdb drop it.
    config = {"org_url": sim.base_url, "api_key": API_KEY}
    streams = tuple(Org.NEW_FIELDS)
    before = {
        s: len(_schemas(r, s)) for r in [sync_in_process(config, streams=streams)] for s in streams
    }
    sim.org.add_new_fields()
    caplog.set_level(logging.INFO)
    run = sync_in_process(config, streams=streams)
    declared = {
        "lifecycleReason": ["null", "string"],
        "sourceDirectory": ["null", "object", "array"],  # a JSON column in both targets
        "priorityLevel": ["null", "integer"],
    }
    for stream, (name, _) in Org.NEW_FIELDS.items():
        schemas = _schemas(run, stream)
        assert len(schemas) == before[stream] + 1, stream
        mine = [m for m in run.messages if m.get("stream") == stream]
        first_record = next(i for i, m in enumerate(mine) if m["type"] == "RECORD")
        first_with_field = next(
            i for i, m in enumerate(mine) if m["type"] == "RECORD" and name in m["record"]
        )
        announced = next(
            i
            for i, m in enumerate(mine)
            if m["type"] == "SCHEMA" and name in m["schema"]["properties"]
        )
        assert first_record == first_with_field  # every live record has the field
        assert announced == first_with_field - 1
        assert mine[announced]["schema"]["properties"][name] == {"type": declared[name]}
        assert mine[announced]["key_properties"] == schemas[0]["key_properties"]
        lines = [r.getMessage() for r in caplog.records if f"field '{name}'" in r.getMessage()]
        assert len(lines) == 1, lines
        assert f"'{stream}'" in lines[0]


def test_a_new_fields_type_is_widened_for_a_value_it_does_not_accept(
    sim: OktaSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    org = sim.org
    with org.lock:
        ids = org.sorted_ids("users")
        for user_id in ids:
            org.users[user_id]["lifecycleReason"] = "ADMIN_ACTION"
        org.users[ids[1]]["lifecycleReason"] = None  # a null neither declares nor widens
        org.users[ids[2]]["lifecycleReason"] = {"code": "SCIM"}
        org._bump("users")
    caplog.set_level(logging.INFO)
    run = sync_in_process({"org_url": sim.base_url, "api_key": API_KEY}, streams=("users",))
    declared = [
        m["schema"]["properties"]["lifecycleReason"]["type"]
        for m in _schemas(run, "users")
        if "lifecycleReason" in m["schema"]["properties"]
    ]
    # Declared by the first value seen, widened once by the other kind.
    assert len(declared) == 2
    assert declared[-1] == ["null", "object", "array", "string"]
    reasons = {r["id"]: r.get("lifecycleReason") for r in run.records("users")}
    assert reasons[ids[2]] == {"code": "SCIM"}
    assert reasons[ids[0]] == "ADMIN_ACTION"
    assert "now also holds" in caplog.text
