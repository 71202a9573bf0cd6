"""The few places where tap-okta leans on singer-sdk internals, in one module.

The SDK has no public API for these; ``tests/test_sdk_compat.py`` pins the
behaviour each one relies on, so an SDK upgrade that changes it fails there
first.

- Table versions: the SDK stamps RECORD messages with ``Stream._stream_version``
  and writes ACTIVATE_VERSION (through the stream maps) with
  ``Stream._write_activate_version_message``. Its own ACTIVATE_VERSION goes out
  at the start of every ``sync()`` of a full-table stream, child contexts
  included, which is wrong for a run that reads only part of a stream; the
  tap turns that off and sends it itself after a complete read.
- STATE on demand: ``Stream._write_state_message``, for an expected failure's
  last STATE (forced past its ``is_flushed`` shortcut, see ``write_state``).
- Bookmarks: the SDK keeps a stream's replication value under
  ``replication_key_value`` (or, for unsorted streams, inside
  ``progress_markers`` with a ``replication_key_signpost`` cap).
- Schemas found at discovery: the SDK caches a stream's catalog metadata
  (``Stream._metadata``, ``Stream._mask``) from the schema it first saw; a
  schema given later must drop them.
- A failing stream's last words: ``Stream.sync`` logs "An unhandled error
  occurred while syncing" at ERROR through the stream's public ``log`` from
  inside its ``except`` block, so the exception being unwound is
  ``sys.exc_info()``'s there (see ``unwinding``).
- Config validation errors (public API, but its order matters): ``Tap.__init__``
  sets ``config`` (env settings merged) before it validates it, and raises
  ``ConfigValidationError`` whose ``errors`` quote the offending values.
- RECORD messages: ``Stream._generate_record_messages`` (called by
  ``_write_record_message`` for every record) prunes deselected properties and
  conforms types by walking every record against the schema, which is most of
  the tap's CPU time per record. ``generate_record_messages`` is the same
  method with two shortcuts that cannot change its output: no pruning when
  nothing is deselected, and the SDK's own conformance only for a record that
  it would change (``Conformance`` decides with one pass over the record,
  using the SDK's own schema tests, precomputed per schema).
- Before any stream syncs: ``Tap.sync_all`` (final) starts with
  ``_reset_state_progress_markers``, before any stream reads its state; the
  tap binds the state to the org there (``TapOkta.bind_state``), so another
  org's bookmarks are set aside before the SDK reads one.
- CLI logging: ``PluginBase.cli`` sets up the console log (format, level from
  the environment) with ``_setup_console_logging``; a failure found before the
  CLI runs (a config or state file that is not JSON) is logged the same way
  (``setup_cli_logging``).
- Fields Okta adds: a record's top-level key that the stream's schema does not
  declare is added to the schema (``Stream.schema``, the input catalog's
  ``Stream._input_schema`` and the default stream maps' ``transformed_schema``)
  and announced with ``Stream._write_schema_message`` before the record, so a
  typed target makes a column for it (see ``NewFields``).
- SIGTERM and SIGINT: the SDK installs ``_handle_termination`` for both (in the
  main thread); the tap's handler writes the current state, then exits 0.
  ``OktaMessageWriter`` keeps that STATE from cutting a line in two.
"""

from __future__ import annotations

import datetime
import decimal
import math
import sys
import typing as t

from singer_sdk._logging import _setup_console_logging
from singer_sdk.helpers._catalog import pop_deselected_record_properties
from singer_sdk.helpers._typing import (
    _is_exclusive_boolean_type,
    conform_record_data_types,
    is_object_type,
    is_uniform_list,
)
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.mapper import RemoveRecordTransform, SameRecordTransform
from singer_sdk.plugin_base import _plugin_log_level
from singer_sdk.singerlib import RecordMessage
from singer_sdk.singerlib.catalog import SelectionMask

from tap_okta.bookmarks import normalize_timestamp

if t.TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from singer_sdk.streams import Stream

BOOKMARK = "replication_key_value"
PROGRESS = "progress_markers"
SIGNPOST = "replication_key_signpost"
# The SDK's own bookkeeping; a complete read starts without any of it.
_SDK_BOOKMARK_KEYS = (BOOKMARK, "replication_key", PROGRESS, SIGNPOST, "starting_replication_value")


def setup_cli_logging(plugin_name: str) -> None:
    """The console log the SDK's CLI sets up, for a failure before the CLI runs."""
    _setup_console_logging(log_level=_plugin_log_level(plugin_name=plugin_name))


def write_state(stream: Stream) -> None:
    """A STATE message now, whatever the SDK last flushed.

    The streams' own bookkeeping (boundary sets, the change feed's position)
    moves after the SDK's last STATE, so its ``is_flushed`` shortcut would drop
    exactly what a re-run needs to skip.
    """
    stream.state_manager.is_flushed = False
    stream._write_state_message()


def set_record_version(stream: Stream, version: int | None) -> None:
    """Stamp this stream's RECORD messages with ``version`` from now on."""
    stream._stream_version = version


def write_activate_version(stream: Stream, version: int) -> None:
    """ACTIVATE_VERSION for the stream (and its aliases under stream maps)."""
    stream._write_activate_version_message(version)


def bookmark_of(state: t.Mapping[str, t.Any], *, capped: bool = True) -> str | None:
    """The replication value the SDK will leave in ``state`` when the stream ends
    (``capped=False``: the newest value emitted, before the signpost cap)."""
    markers = state.get(PROGRESS)
    if not markers:  # sorted: the SDK advanced the bookmark record by record
        value = state.get(BOOKMARK)
        return str(value) if value else None
    value = markers.get(BOOKMARK)
    if not value:
        return None
    # Unsorted: the SDK caps the bookmark at its signpost when it finalizes.
    signpost = state.get(SIGNPOST)
    return min(str(value), str(signpost)) if signpost and capped else str(value)


def bookmark_at_start(state: t.Mapping[str, t.Any]) -> str | None:
    """The bookmark the stream's run started from: an unsorted stream's moves only
    when the SDK finalizes it (``bookmark_of`` is where it will end)."""
    value = state.get(BOOKMARK)
    return str(value) if value else None


def restore_bookmark(state: dict[str, t.Any], floor: str | None) -> None:
    """Undo a step back of a sorted stream's bookmark below ``floor``.

    A sorted stream's bookmark is its last record's value; records written
    out of order (deletions, before the read) must not move it back.
    """
    if not floor or state.get(PROGRESS):
        return
    current = state.get(BOOKMARK)
    if not current or normalize_timestamp(str(current)) < normalize_timestamp(floor):
        state[BOOKMARK] = floor


def clear_bookmark(state: dict[str, t.Any]) -> None:
    """Forget the SDK's bookmark so the stream reads from its start date."""
    for key in _SDK_BOOKMARK_KEYS:
        state.pop(key, None)


def replace_schema(stream: Stream, schema: dict[str, t.Any]) -> None:
    """Give one stream instance ``schema`` (discovery's), metadata derived anew.

    The streams declare ``schema`` as a class attribute (one dict for every
    instance); the instance's own copy shadows it.
    """
    vars(stream)["schema"] = schema
    stream._schema = schema
    stream._metadata = None
    stream._mask = None


def unwinding(*expected: type[BaseException]) -> bool:
    """True while an exception of one of the ``expected`` types is being handled,
    as it is when ``Stream.sync`` logs its "An unhandled error" line."""
    return isinstance(sys.exc_info()[1], expected)


# --- RECORD messages ---------------------------------------------------------------

# Values the SDK's conformance (``_conform_primitive_property``) turns into something
# else whatever the schema says; a JSON decoder never makes them, Python code might.
_CONVERTED = (datetime.datetime, datetime.date, datetime.timedelta, datetime.time, bytes)
_NUMBERS = (float, decimal.Decimal)

# A check: True when the SDK's conformance would change the value.
Check: t.TypeAlias = "Callable[[t.Any], bool]"


def _primitive_check(exclusive_boolean: bool) -> Check:
    """``_conform_primitive_property``: what it changes, for a schema like this one."""

    def changes(value: t.Any) -> bool:
        if value is None or value is True or value is False:
            return False  # None stays None; a bool != 0 is itself
        if isinstance(value, _NUMBERS):
            return math.isnan(value) or math.isinf(value)  # -> None
        if isinstance(value, _CONVERTED):
            return True
        return exclusive_boolean  # elem != 0

    return changes


class Conformance:
    """Whether the SDK's type conformance (level RECURSIVE) would change a record.

    Mirrors ``singer_sdk.helpers._typing._conform_record_data_types``: a property
    not in an object's ``properties`` is dropped unless the object allows
    ``additionalProperties``; a list under a uniform-list schema is conformed item
    by item; a dict under an object schema with ``properties`` recursively; any
    other value as a primitive (NaN and infinities become None, exclusive
    booleans ``!= 0``, dates and bytes are converted, the rest is kept). The
    schema tests are the SDK's own, evaluated once per schema node.
    """

    def __init__(self, schema: dict[str, t.Any]) -> None:
        self.changes: Check = self._object(schema)

    def _object(self, schema: dict[str, t.Any]) -> Check:
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return lambda record: True  # the SDK would fail on it: let it say why
        open_ = bool(schema.get("additionalProperties"))
        checks = {name: self._property(sub) for name, sub in properties.items()}
        # Per property, the value types the SDK keeps as they are whatever the value:
        # most of every record, so most values need no call.
        kept = {name: self._kept_types(sub) for name, sub in properties.items()}
        get = kept.get

        def changes(record: t.Any) -> bool:
            for name, value in record.items():
                types = get(name)
                if types is None:
                    if open_:
                        continue
                    return True  # dropped (and warned about) by the SDK
                if type(value) in types:
                    continue
                if checks[name](value):
                    return True
            return False

        return changes

    @staticmethod
    def _kept_types(schema: dict[str, t.Any]) -> frozenset[type]:
        """None stays None and a bool stays itself (an exclusive boolean is ``!= 0``);
        strings and integers stay unless the schema is an exclusive boolean; dicts
        and lists unless the SDK would recurse into them."""
        if _is_exclusive_boolean_type(schema):
            return frozenset({type(None), bool})
        kept = {type(None), bool, str, int}
        if not (is_object_type(schema) and "properties" in schema):
            kept.add(dict)
        if not is_uniform_list(schema):
            kept.add(list)
        return frozenset(kept)

    def _property(self, schema: dict[str, t.Any]) -> Check:
        primitive = _primitive_check(_is_exclusive_boolean_type(schema))
        uniform_list = bool(is_uniform_list(schema))
        nested = self._object(schema) if is_object_type(schema) and "properties" in schema else None
        item = self._item(schema["items"]) if uniform_list else None

        def changes(value: t.Any) -> bool:
            if item is not None and isinstance(value, list):
                return any(item(element) for element in value)
            if nested is not None and isinstance(value, dict):
                return nested(value)
            return primitive(value)

        return changes

    def _item(self, schema: dict[str, t.Any]) -> Check:
        primitive = _primitive_check(_is_exclusive_boolean_type(schema))
        nested = self._object(schema) if is_object_type(schema) else None

        def changes(value: t.Any) -> bool:
            if nested is not None and isinstance(value, dict):
                return nested(value)
            return primitive(value)

        return changes


# --- Fields Okta adds ----------------------------------------------------------------

# A new field's JSON types, by its value. Objects and arrays are declared together as
# exactly ["null", "object", "array"]: target-duckdb (pipelinewise) stores that as a JSON
# column and JSON-encodes every value, target-postgres (MeltanoLabs) as jsonb. A scalar
# gets its own type: a JSON column would hold a string only in target-postgres
# (pipelinewise writes strings into it unencoded), and an all-types list fails
# target-duckdb for the same reason.
_JSON_TYPES: dict[type, tuple[str, ...]] = {
    bool: ("boolean",),
    int: ("integer",),
    float: ("number",),
    decimal.Decimal: ("number",),
    str: ("string",),
    dict: ("object", "array"),
    list: ("object", "array"),
}
_TYPE_ORDER = ("null", "object", "array", "string", "number", "integer", "boolean")
# Python types a declared JSON type accepts.
_ACCEPTS: dict[str, tuple[type, ...]] = {
    "null": (type(None),),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float, decimal.Decimal),
    "string": (str,),
    "object": (dict,),
    "array": (list,),
}


def _new_field_schema(types: set[str]) -> dict[str, t.Any]:
    if "number" in types:
        types.discard("integer")  # JSON Schema's number includes the integers
    return {"type": [name for name in _TYPE_ORDER if name in types or name == "null"]}


def _accepted(schema: dict[str, t.Any]) -> frozenset[type]:
    return frozenset(py for name in schema["type"] for py in _ACCEPTS[name])


class NewFields:
    """The top-level keys a stream declares, and the types of those this run added."""

    def __init__(
        self, schema: dict[str, t.Any], added: dict[str, frozenset[type]] | None = None
    ) -> None:
        properties = schema.get("properties") or {}
        # Keys this run added, with the Python types their declared JSON types accept:
        # only these need a look at the value (a later value may need a wider type).
        self.added: dict[str, frozenset[type]] = dict(added or {})
        self.known = frozenset(properties) | self.added.keys()
        # A closed root's undeclared keys are the SDK's to drop (with its warning).
        self.open = schema.get("additionalProperties") is True

    def unseen(self, record: dict[str, t.Any]) -> bool:
        """Whether ``record`` has a key, or an added key a value type, not yet declared.

        About 1 us for a user of a dozen keys (one hash lookup per key, in C), against
        some 25 us for the rest of its RECORD path.
        """
        if not self.open:
            return False
        if not self.known.issuperset(record):
            return True
        if not self.added:
            return False
        get = record.get
        return any(type(get(name)) not in accepted for name, accepted in self.added.items())


def declare_new_fields(stream: Stream, record: dict[str, t.Any], fields: NewFields) -> None:
    """Add ``record``'s undeclared top-level keys to the stream's schema, widen an added
    key's type for a value it does not accept, and write the stream's SCHEMA again.

    A key whose value is null waits for its first value: the target loses nothing.
    """
    changed: dict[str, dict[str, t.Any]] = {}
    properties = stream.effective_schema.get("properties") or {}
    for name, value in record.items():
        kind = _JSON_TYPES.get(type(value))
        if kind is None:
            continue  # null, or a value no JSON decoder makes
        if name in fields.added:
            if type(value) in fields.added[name]:
                continue
            schema = _new_field_schema({*properties[name]["type"], *kind})
            stream.logger.info(
                "Stream '%s': field '%s' now also holds %s values; SCHEMA widened.",
                stream.name,
                name,
                "/".join(kind),
            )
        elif name not in fields.known:
            schema = _new_field_schema(set(kind))
            stream.logger.info(
                "Stream '%s': field '%s' is not in this version's schema; "
                "declared as %s and passed on.",
                stream.name,
                name,
                "/".join(t for t in schema["type"] if t != "null"),
            )
        else:
            continue
        changed[name] = schema
        fields.added[name] = _accepted(schema)
    if not changed:
        return
    fields.known = fields.known | changed.keys()
    stream_schema = _with_properties(stream.schema, changed)
    vars(stream)["schema"] = stream_schema
    stream._schema = stream_schema
    if stream._input_schema is not None:
        stream._input_schema = _with_properties(stream._input_schema, changed)
    for stream_map in stream.stream_maps:
        # A map the user configured has its own schema and properties: left as it is.
        if isinstance(stream_map, SameRecordTransform) and not isinstance(
            stream_map, RemoveRecordTransform
        ):
            stream_map.transformed_schema = _with_properties(stream_map.transformed_schema, changed)
    stream._write_schema_message()


def _with_properties(schema: dict[str, t.Any], added: dict[str, t.Any]) -> dict[str, t.Any]:
    """A copy of ``schema`` with ``added`` properties: the streams' class-level schemas
    are shared by every instance, so they are never changed in place."""
    return {**schema, "properties": {**schema.get("properties", {}), **added}}


class RecordPath:
    """What ``generate_record_messages`` precomputes for one stream's schema and mask."""

    def __init__(
        self,
        schema: dict[str, t.Any],
        mask: SelectionMask,
        added: dict[str, frozenset[type]] | None = None,
    ) -> None:
        self.schema = schema
        self.mask = mask
        self.conformance = Conformance(schema)
        self.fields = NewFields(schema, added)
        # Every breadcrumb selected (missing ones default to their parent's): the
        # SDK's pruning removes nothing.
        self.fully_selected = all(mask.values())


def record_path(stream: Stream) -> RecordPath:
    """The stream's ``RecordPath``, rebuilt when its effective schema or mask changes."""
    schema, mask = stream.effective_schema, stream.mask
    path: RecordPath | None = vars(stream).get("_tap_okta_record_path")
    if path is None or path.schema is not schema or path.mask is not mask:
        # The fields this run added stay known when the schema changes.
        path = RecordPath(schema, mask, path.fields.added if path is not None else None)
        vars(stream)["_tap_okta_record_path"] = path
    return path


def generate_record_messages(
    stream: Stream, record: dict[str, t.Any], level: TypeConformanceLevel
) -> Generator[RecordMessage, None, None]:
    """``Stream._generate_record_messages``, without the walks that change nothing,
    and with a SCHEMA message first for a top-level field the schema lacks."""
    path = record_path(stream)
    if path.fields.unseen(record):
        declare_new_fields(stream, record, path.fields)
        path = record_path(stream)
    if not path.fully_selected:
        pop_deselected_record_properties(record, stream.schema, path.mask)
    if level is not TypeConformanceLevel.RECURSIVE or path.conformance.changes(record):
        record = conform_record_data_types(
            stream_name=stream.name,
            record=record,
            schema=path.schema,
            level=level,
            logger=stream.logger,
        )
    for stream_map in stream.stream_maps:
        mapped_record = stream_map.transform(record)
        if mapped_record is not None:
            yield RecordMessage(
                stream=stream_map.stream_alias,
                record=mapped_record,
                version=stream._stream_version,
                time_extracted=utc_now(),
            )
