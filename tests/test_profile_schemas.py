"""Okta profile schemas -> the catalog's JSON Schema (``tap_okta.profile_schemas``)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import jsonschema
import pytest

from tap_okta import profile_schemas, sdk_compat
from tap_okta.profile_schemas import (
    attribute_schema,
    merge_attribute,
    merge_profiles,
    profile_attributes,
    with_profile,
)
from tap_okta.schemas import USER
from tap_okta.tap import TapOkta

CONFIG = {"org_url": "https://acme.okta.com", "api_key": "00profile-schema-unit-tests-token"}


def okta_schema(custom: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The shape of ``GET /api/v1/meta/schemas/user/default`` (Okta's docs)."""
    return {
        "id": "https://acme.okta.com/meta/schemas/user/default",
        "$schema": "http://json-schema.org/draft-04/schema#",
        "name": "user",
        "definitions": {
            "base": {
                "id": "#base",
                "type": "object",
                "properties": base
                or {
                    "login": {"title": "Username", "type": "string", "required": True},
                    "email": {"title": "Primary email", "type": "string", "format": "email"},
                },
                "required": ["login"],
            },
            "custom": {"id": "#custom", "type": "object", "properties": custom, "required": []},
        },
        "type": "object",
        "properties": {
            "profile": {"allOf": [{"$ref": "#/definitions/custom"}, {"$ref": "#/definitions/base"}]}
        },
    }


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ({"type": "string"}, {"type": ["string", "null"]}),
        ({"type": "integer"}, {"type": ["integer", "null"]}),
        ({"type": "number"}, {"type": ["number", "null"]}),
        ({"type": "boolean"}, {"type": ["boolean", "null"]}),
        (
            {"type": "array", "items": {"type": "string"}},
            {"type": ["array", "null"], "items": {"type": ["string", "null"]}},
        ),
        (
            {"type": "array", "items": {"type": "integer"}},
            {"type": ["array", "null"], "items": {"type": ["integer", "null"]}},
        ),
        (
            {"type": "array", "items": {"type": "number"}},
            {"type": ["array", "null"], "items": {"type": ["number", "null"]}},
        ),
        ({"type": "array"}, {"type": ["array", "null"]}),  # items unknown: any array
        ({"type": ["string", "null"]}, {"type": ["string", "null"]}),
    ],
)
def test_every_okta_type_becomes_a_nullable_json_type(
    attribute: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert attribute_schema(attribute) == expected


@pytest.mark.parametrize(
    ("okta_format", "declared"),
    [
        ("email", "email"),
        ("date-time", "date-time"),
        ("date", "date"),
        # Okta takes relative URLs there; JSON Schema's "uri" would not.
        ("uri", "uri-reference"),
        ("country-code", None),
        ("language-code", None),
        ("locale", None),
        ("timezone", None),
        ("ref-id", None),
        ("encrypted", None),
    ],
)
def test_only_formats_targets_understand_are_declared(
    okta_format: str, declared: str | None
) -> None:
    schema = attribute_schema({"type": "string", "format": okta_format})
    assert schema is not None
    assert schema.get("format") == declared
    if declared is None:  # Okta's own formats are named, for people
        assert f"Okta format: {okta_format}" in schema["description"]


def test_enum_and_one_of_are_described_not_enforced() -> None:
    schema = attribute_schema(
        {
            "title": "T-shirt size",
            "description": "Swag size",
            "type": "string",
            "enum": ["S", "M", "XL"],
            "oneOf": [
                {"const": "S", "title": "Small"},
                {"const": "M", "title": "Medium"},
                {"const": "XL", "title": "Extra large"},
            ],
            "minLength": 1,
            "maxLength": 2,
            "pattern": "[A-Z]+",
            "required": True,
            "permissions": [{"principal": "SELF", "action": "READ_ONLY"}],
            "master": {"type": "PROFILE_MASTER"},
            "scope": "NONE",
            "unique": "NOT_UNIQUE",
        }
    )
    assert schema == {
        "type": ["string", "null"],
        "title": "T-shirt size",
        "description": "Swag size. Okta enum: S (Small), M (Medium), XL (Extra large).",
    }
    # A value Okta accepted before the admin narrowed the enum still validates.
    jsonschema.validate("XXL", schema)
    jsonschema.validate(None, schema)


def test_enums_of_numbers_and_of_array_items_are_described() -> None:
    numbers = attribute_schema(
        {"type": "number", "enum": [Decimal("0.5"), Decimal("1.0")], "oneOf": []}
    )
    assert numbers is not None
    assert numbers["description"] == "Okta enum: 0.5, 1.0."
    array = attribute_schema(
        {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "title": "Letters"}
    )
    assert array is not None
    assert array["items"] == {"type": ["string", "null"]}
    assert array["description"] == "Okta enum: a, b."


@pytest.mark.parametrize("attribute", [{"type": "object"}, {}, {"type": ["object", "string"]}])
def test_undocumented_types_are_left_to_the_open_profile(attribute: dict[str, Any]) -> None:
    assert attribute_schema(attribute) is None


def test_profile_attributes_reads_base_then_custom_in_okta_order() -> None:
    body = okta_schema(
        {
            "costCode": {"type": "string"},
            "badgeIds": {"type": "array", "items": {"type": "string"}},
            "blob": {"type": "object"},
        }
    )
    attributes = profile_attributes(body)
    assert list(attributes) == ["login", "email", "costCode", "badgeIds"]
    assert attributes["email"]["format"] == "email"
    assert profile_attributes({}) == {}
    assert profile_attributes({"definitions": {"custom": {"properties": None}}}) == {}


def test_same_type_in_two_user_types_is_no_conflict() -> None:
    a = {"type": ["string", "null"], "format": "email", "title": "Owner"}
    merged, conflict = merge_attribute(a, copy.deepcopy(a))
    assert not conflict
    assert merged == a


@pytest.mark.parametrize(
    ("a", "b", "merged_types"),
    [
        ("integer", "number", ["number", "null"]),
        ("integer", "string", ["integer", "string", "null"]),
        ("boolean", "string", ["boolean", "string", "null"]),
        ("array", "string", ["array", "string", "null"]),
    ],
)
def test_a_conflict_becomes_a_type_that_holds_both(a: str, b: str, merged_types: list[str]) -> None:
    schema_a = attribute_schema({"type": a, "items": {"type": "string"}})
    schema_b = attribute_schema({"type": b, "items": {"type": "string"}})
    assert schema_a is not None
    assert schema_b is not None
    merged, conflict = merge_attribute(schema_a, schema_b)
    assert conflict
    assert merged["type"] == merged_types
    samples = {"integer": 3, "number": 2.5, "string": "x", "boolean": True, "array": ["x"]}
    for value in (samples[a], samples[b], None):
        jsonschema.validate(value, merged)


def test_formats_survive_a_merge_only_when_both_agree() -> None:
    email = {"type": ["string", "null"], "format": "email"}
    plain = {"type": ["string", "null"]}
    assert "format" not in merge_attribute(email, plain)[0]
    stamp = {"type": ["string", "null"], "format": "date-time"}
    number = {"type": ["number", "null"]}
    assert "format" not in merge_attribute(stamp, number)[0]


def test_arrays_of_different_items_merge_their_items() -> None:
    strings = attribute_schema({"type": "array", "items": {"type": "string"}})
    integers = attribute_schema({"type": "array", "items": {"type": "integer"}})
    assert strings is not None
    assert integers is not None
    merged, _ = merge_attribute(strings, integers)
    assert merged["items"] == {"type": ["integer", "string", "null"]}


def test_merge_profiles_unions_names_and_reports_each_conflict_once() -> None:
    employees = profile_attributes(
        okta_schema({"jobLevel": {"type": "integer"}, "fte": {"type": "number"}})
    )
    contractors = profile_attributes(
        okta_schema({"jobLevel": {"type": "string"}, "agency": {"type": "string"}})
    )
    interns = profile_attributes(okta_schema({"jobLevel": {"type": "string"}}))
    merged, conflicts = merge_profiles(
        [("User", employees), ("Contractor", contractors), ("Intern", interns)]
    )
    assert list(merged) == ["login", "email", "jobLevel", "fte", "agency"]
    assert merged["jobLevel"]["type"] == ["integer", "string", "null"]
    [conflict] = conflicts
    assert conflict.name == "jobLevel"
    assert conflict.declared == [
        ("User", ["integer"]),
        ("Contractor", ["string"]),
        ("Intern", ["string"]),
    ]
    assert "jobLevel" in conflict.describe()
    assert "User: integer, Contractor: string" in conflict.describe()


def test_with_profile_names_the_attributes_and_keeps_profile_open() -> None:
    stream_schema = USER.to_dict()
    before = copy.deepcopy(stream_schema)
    attributes = {
        "clearanceLevel": {"type": ["integer", "null"]},
        "email": {"type": ["string", "null"], "format": "email"},
    }
    typed = with_profile(stream_schema, attributes)
    assert stream_schema == before  # not modified in place
    profile = typed["properties"]["profile"]
    assert profile["additionalProperties"] is True
    assert profile["properties"]["clearanceLevel"] == {"type": ["integer", "null"]}
    assert profile["properties"]["email"]["format"] == "email"  # Okta's wins
    assert "managerId" in profile["properties"]  # built-in ones stay
    assert list(profile["properties"])[:2] == ["clearanceLevel", "email"]
    # An attribute nobody declared still validates (and is kept by the SDK).
    record = {"id": "00u1", "profile": {"clearanceLevel": 3, "addedLater": {"x": 1}}}
    jsonschema.validate(record, typed)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "00u1", "profile": {"clearanceLevel": "high"}}, typed)


def test_replace_schema_gives_one_stream_new_metadata() -> None:
    """Pins the SDK internals ``sdk_compat.replace_schema`` relies on."""
    tap = TapOkta(config=CONFIG, parse_env_config=False)
    users = tap.streams["users"]
    _ = users.metadata  # the SDK caches metadata from the schema it first saw
    typed = profile_schemas.with_profile(
        users.schema, {"deskNumber": {"type": ["integer", "null"]}}
    )
    sdk_compat.replace_schema(users, typed)
    assert users.schema is typed
    breadcrumb = ("properties", "profile", "properties", "deskNumber")
    assert breadcrumb in users.metadata
    entry = users._singer_catalog_entry.to_dict()
    assert entry["schema"]["properties"]["profile"]["properties"]["deskNumber"]
    # Other instances (and the class) keep the built-in schema.
    assert "deskNumber" not in type(users).schema["properties"]["profile"]["properties"]
    other = TapOkta(config=CONFIG, parse_env_config=False).streams["users"]
    assert "deskNumber" not in other.schema["properties"]["profile"]["properties"]
