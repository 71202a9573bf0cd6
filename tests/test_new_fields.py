"""Fields Okta adds to its objects reach the output instead of being dropped.

Every stream's record schema is open at its root, as its nested objects are, so a
top-level field no schema names (the simulator's ``Org.NEW_FIELDS``) passes the
SDK's conformance and the tap's fast path unchanged. Fields Okta's current objects
carry are declared (``isCloneable`` on custom roles).
"""

from __future__ import annotations

import logging

import pytest

from tap_okta.tap import STREAM_TYPES
from tests.harness import API_KEY, sync_in_process
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
