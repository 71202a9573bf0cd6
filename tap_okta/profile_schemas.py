"""Okta's profile schemas (Universal Directory) as JSON Schema for the catalog.

Okta describes a user type's or the group's profile with a subset of JSON
Schema draft 4: ``definitions.base.properties`` (Okta's own attributes) and
``definitions.custom.properties`` (the org's), each attribute with a ``type``
(``string``, ``integer``, ``number``, ``boolean``, ``array`` with
``items.type``) and optional ``format``, ``enum``/``oneOf``, lengths,
``required``, ``permissions``, ``master``, ``scope``, ``unique``...

What the catalog keeps of an attribute, and why:

- The type, always nullable: a user type may lack the attribute, a user may
  never have set it, and Okta sends ``null`` for cleared values.
- ``format`` only where JSON Schema and typed targets understand it:
  ``email``, ``date-time`` and ``date`` as they are; Okta's ``uri`` as
  ``uri-reference`` (Okta accepts relative URLs there, JSON Schema's ``uri``
  does not). Okta's own formats (``country-code``, ``language-code``,
  ``locale``, ``timezone``, ``ref-id``, ``encrypted``...) stay plain strings;
  the description names them.
- ``title``, and a description that lists Okta's ``enum``/``oneOf`` values.
  Neither ``enum`` nor the lengths, ``pattern`` or ``required`` become
  constraints: Okta checks them when a value is written, not when an admin
  changes them later, so stored values may no longer satisfy them, and a
  target that validates records (SDK targets do by default) would fail a run
  on such a value.

Attributes of several user types are merged by name; the same name with
different types becomes a type that holds both (``integer`` and ``number``:
``number``; otherwise a union such as ``["integer", "string", "null"]``).
Everything here is a pure function of Okta's JSON.
"""

from __future__ import annotations

import copy
import typing as t
from dataclasses import dataclass, field

#: Okta's attribute types that become JSON Schema types as they are.
SCALAR_TYPES = ("string", "integer", "number", "boolean")
#: Okta formats -> the JSON Schema format the catalog declares.
FORMATS = {
    "email": "email",
    "uri": "uri-reference",
    "date-time": "date-time",
    "date": "date",
}
# Canonical order of the types in a union (null last), so output is stable.
_TYPE_ORDER = ("array", "boolean", "integer", "number", "string", "null")

JSONSchema: t.TypeAlias = dict[str, t.Any]


def _okta_types(declared: t.Any) -> list[str]:
    """Okta's ``type`` (a name, or now and then a list with ``null``) as names."""
    names = declared if isinstance(declared, list) else [declared]
    return [str(n) for n in names if n not in (None, "null")]


def _ordered(types: t.Iterable[str]) -> list[str]:
    unique = set(types)
    return [name for name in _TYPE_ORDER if name in unique]


def _text(value: t.Any) -> str:
    """An enum value as Okta's JSON writes it (Decimal-safe: bodies parse floats so)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _enum_values(attribute: t.Mapping[str, t.Any]) -> list[str]:
    """``enum`` values with their ``oneOf`` display names, as text."""
    choices = [c for c in attribute.get("oneOf") or [] if isinstance(c, dict) and "const" in c]
    titles = {_text(c["const"]): str(c.get("title") or "") for c in choices}
    values = attribute.get("enum")
    if not isinstance(values, list):
        values = [c["const"] for c in choices]
    texts = []
    for value in values:
        text = _text(value)
        title = titles.get(text)
        texts.append(f"{text} ({title})" if title and title != text else text)
    return texts


def _description(attribute: t.Mapping[str, t.Any], okta_format: str | None) -> str | None:
    parts = []
    text = attribute.get("description")
    if text and text != attribute.get("title"):
        parts.append(str(text).rstrip("."))
    items = attribute.get("items")
    items = items if isinstance(items, dict) else {}
    values = _enum_values(attribute) or _enum_values(items)
    if values:
        parts.append("Okta enum: " + ", ".join(values))
    if okta_format and okta_format not in FORMATS:
        parts.append(f"Okta format: {okta_format}")
    return ". ".join(parts) + "." if parts else None


def _item_schema(items: t.Any) -> JSONSchema | None:
    """An array attribute's ``items``; None when Okta gives no usable type."""
    if not isinstance(items, dict):
        return None
    types = [name for name in _okta_types(items.get("type")) if name in SCALAR_TYPES]
    if not types:
        return None
    schema: JSONSchema = {"type": [*_ordered(types), "null"]}
    okta_format = items.get("format")
    if types == ["string"] and okta_format in FORMATS:
        schema["format"] = FORMATS[okta_format]
    return schema


def attribute_schema(attribute: t.Mapping[str, t.Any]) -> JSONSchema | None:
    """One Okta attribute as a nullable JSON Schema property.

    None for what Okta does not document for profiles (``object``, no type):
    such an attribute is left to the open profile object, never dropped.
    """
    types = _okta_types(attribute.get("type"))
    known = [name for name in types if name in (*SCALAR_TYPES, "array")]
    if not known or len(known) != len(types):
        return None
    schema: JSONSchema = {"type": [*_ordered(known), "null"]}
    okta_format = attribute.get("format") if isinstance(attribute.get("format"), str) else None
    if known == ["string"] and okta_format in FORMATS:
        schema["format"] = FORMATS[okta_format]
    if "array" in known:
        items = _item_schema(attribute.get("items"))
        if items is not None:
            schema["items"] = items
    if attribute.get("title"):
        schema["title"] = str(attribute["title"])
    description = _description(attribute, okta_format)
    if description:
        schema["description"] = description
    return schema


def profile_attributes(okta_schema: t.Mapping[str, t.Any]) -> dict[str, JSONSchema]:
    """Every base and custom attribute of one Okta profile schema, in Okta's order.

    ``okta_schema`` is the body of ``/api/v1/meta/schemas/user/{id}`` or
    ``/api/v1/meta/schemas/group/default``.
    """
    definitions = okta_schema.get("definitions")
    if not isinstance(definitions, dict):
        return {}
    attributes: dict[str, JSONSchema] = {}
    for part in ("base", "custom"):
        properties = (definitions.get(part) or {}).get("properties")
        if not isinstance(properties, dict):
            continue
        for name, attribute in properties.items():
            if isinstance(attribute, dict):
                converted = attribute_schema(attribute)
                if converted is not None:
                    attributes[str(name)] = converted
    return attributes


def _merge_items(a: JSONSchema | None, b: JSONSchema | None) -> JSONSchema | None:
    if a is None or b is None:
        return a or b
    merged, _ = merge_attribute(a, b)
    return merged


def merge_attribute(a: JSONSchema, b: JSONSchema) -> tuple[JSONSchema, bool]:
    """One property that holds the values of both; True when their types differ."""
    types_a = set(a.get("type", [])) - {"null"}
    types_b = set(b.get("type", [])) - {"null"}
    conflict = types_a != types_b
    types = types_a | types_b
    if {"integer", "number"} <= types:
        types.discard("integer")  # every integer is a number
    merged: JSONSchema = {"type": [*_ordered(types), "null"]}
    if types == {"string"} and a.get("format") and a.get("format") == b.get("format"):
        merged["format"] = a["format"]
    if "array" in types:
        items = _merge_items(a.get("items"), b.get("items"))
        if items is not None:
            merged["items"] = items
    for key in ("title", "description"):
        text = a.get(key) or b.get(key)
        if text:
            merged[key] = text
    return merged, conflict


@dataclass
class Conflict:
    """An attribute whose type differs between profile schemas."""

    name: str
    #: (schema label, JSON types there), in the order the schemas were merged.
    declared: list[tuple[str, list[str]]] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)

    def describe(self) -> str:
        where = ", ".join(f"{label}: {' or '.join(types)}" for label, types in self.declared)
        return (
            f"Profile attribute '{self.name}' has different types in Okta's user types "
            f"({where}); the catalog types it as {' or '.join(self.merged)}."
        )


def merge_profiles(
    schemas: t.Iterable[tuple[str, t.Mapping[str, JSONSchema]]],
) -> tuple[dict[str, JSONSchema], list[Conflict]]:
    """The attributes of several profile schemas (``(label, attributes)``) by name."""
    merged: dict[str, JSONSchema] = {}
    declared: dict[str, list[tuple[str, list[str]]]] = {}
    conflicting: set[str] = set()
    for label, attributes in schemas:
        for name, schema in attributes.items():
            non_null = [n for n in schema.get("type", []) if n != "null"]
            declared.setdefault(name, []).append((label, non_null))
            if name not in merged:
                merged[name] = copy.deepcopy(schema)
                continue
            merged[name], conflict = merge_attribute(merged[name], schema)
            if conflict:
                conflicting.add(name)
    conflicts = [
        Conflict(name, declared[name], [n for n in merged[name]["type"] if n != "null"])
        for name in merged
        if name in conflicting
    ]
    return merged, conflicts


def with_profile(
    stream_schema: t.Mapping[str, t.Any], attributes: t.Mapping[str, JSONSchema]
) -> JSONSchema:
    """The stream's schema with ``profile`` naming ``attributes`` (and still open).

    Okta's attributes come first and win over the tap's built-in ones; built-in
    attributes Okta did not list stay. ``additionalProperties`` stays true, so an
    attribute added after discovery still reaches the target.
    """
    schema = copy.deepcopy(dict(stream_schema))
    profile = schema["properties"]["profile"]
    builtin = profile.get("properties") or {}
    profile["properties"] = {
        **copy.deepcopy(dict(attributes)),
        **{k: v for k, v in builtin.items() if k not in attributes},
    }
    profile["additionalProperties"] = True
    return schema
