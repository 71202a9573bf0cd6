"""Pins the singer-sdk behaviour that ``tap_okta.sdk_compat`` relies on.

If an SDK upgrade changes one of these, this file fails before any flow test
does, and ``sdk_compat`` is the one place to adapt.
"""

from __future__ import annotations

import copy
import logging
import random
import signal
import typing as t
from typing import Any

import pytest
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.singerlib import StateMessage
from singer_sdk.streams import Stream
from typing_extensions import override

from tap_okta import sdk_compat
from tap_okta.errors import OktaAPIError
from tap_okta.tap import TapOkta
from tests.harness import API_KEY, ODD_VALUES, okta_records, typed
from tests.okta_sim import OktaSimulator

CONFIG = {"org_url": "https://acme.okta.com", "api_key": "00pinned-sdk-behaviour-token"}


@pytest.fixture
def tap() -> TapOkta:
    return TapOkta(config=CONFIG, parse_env_config=False)


def test_record_messages_carry_the_version_set_on_the_stream(tap: TapOkta) -> None:
    stream = tap.streams["apps"]
    sdk_compat.set_record_version(stream, 1234)
    [message] = list(stream._generate_record_messages({"id": "0oa1"}))
    assert message.version == 1234
    sdk_compat.set_record_version(stream, None)
    [message] = list(stream._generate_record_messages({"id": "0oa1"}))
    assert message.version is None


def test_activate_version_goes_out_through_the_stream_maps(
    tap: TapOkta, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[Any] = []
    monkeypatch.setattr(tap, "write_message", written.append)
    sdk_compat.write_activate_version(tap.streams["group_members"], 99)
    assert [(m.stream, m.version) for m in written] == [("group_members", 99)]


# --- a bare SDK tap: what the SDK itself does in sync() ------------------------------


class _Rows(Stream):
    """A bare SDK stream that yields ``rows`` and notes its state after the last one."""

    name = "rows"
    schema = th.PropertiesList(
        th.Property("id", th.StringType),
        th.Property("updated", th.DateTimeType),
        th.Property("part", th.IntegerType),  # the context, as the SDK adds it
    ).to_dict()
    primary_keys = ("id",)
    rows: t.ClassVar[list[dict[str, Any]]] = []

    def __init__(self, tap: Tap) -> None:
        super().__init__(tap)
        #: ``get_context_state`` once every row is written, before the SDK finalizes it.
        self.state_before_end: dict[str, Any] = {}

    @override
    def get_records(self, context: Any) -> t.Iterable[dict[str, Any]]:
        yield from (dict(row) for row in self.rows)
        # A generator resumes only when the SDK asks for the next record: the last
        # one is written (and counted in the state) by now.
        self.state_before_end = copy.deepcopy(dict(self.get_context_state(context)))


class _RowsTap(Tap):
    name = "rows-tap"
    config_jsonschema = th.PropertiesList(
        th.Property("emit_activate_version_messages", th.BooleanType)
    ).to_dict()

    @override
    def discover_streams(self) -> list[Stream]:
        return [_Rows(self)]


def _rows_stream(
    monkeypatch: pytest.MonkeyPatch, rows: list[dict[str, Any]], *, activate_version: bool = False
) -> tuple[_Rows, list[Any]]:
    """A bare SDK stream, and the list every message it writes goes to."""
    monkeypatch.setattr(_Rows, "rows", rows)
    tap = _RowsTap(
        config={"emit_activate_version_messages": activate_version}, parse_env_config=False
    )
    written: list[Any] = []
    monkeypatch.setattr(tap, "write_message", written.append)
    monkeypatch.setattr(tap.state_writer, "write_state", lambda state: written.append(state))
    return t.cast("_Rows", tap.streams["rows"]), written


def _kinds(written: list[Any]) -> list[str]:
    """The messages' types (STATE, a dict here, left out)."""
    return [type(m).__name__.removesuffix("Message") for m in written if not isinstance(m, dict)]


def _of(kind: str, written: list[Any]) -> list[Any]:
    return [m for m in written if _kinds([m]) == [kind]]


ROWS = [
    {"id": "1", "updated": "2024-01-01T00:00:02.000000+00:00"},
    {"id": "2", "updated": "2024-01-01T00:00:01.000000+00:00"},
]


@pytest.mark.parametrize("stream_asks", [True, False])
def test_the_sdk_sends_activate_version_at_each_sync_of_a_full_table_stream_that_asks(
    stream_asks: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Why the directory and snapshot streams answer False to
    # `emit_activate_version_messages` and send it themselves after a complete read:
    # the SDK's goes out at the start of every sync(), once per child context too.
    stream, written = _rows_stream(monkeypatch, ROWS, activate_version=True)
    monkeypatch.setattr(type(stream), "emit_activate_version_messages", stream_asks)
    stream.sync({"part": 1})
    stream.sync({"part": 2})
    kinds = [k for k in _kinds(written) if k != "Schema"]
    if stream_asks:
        assert kinds == ["ActivateVersion", "Record", "Record"] * 2
        versions = {m.version for m in _of("ActivateVersion", written) + _of("Record", written)}
        assert len(versions) == 1  # records carry the version the SDK activated
        assert versions != {None}
    else:
        assert kinds == ["Record", "Record"] * 2
        assert {m.version for m in _of("Record", written)} == {None}


def test_the_sdk_sends_no_activate_version_for_an_incremental_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream, written = _rows_stream(monkeypatch, ROWS, activate_version=True)
    stream.replication_key = "updated"
    stream.sync()
    assert "ActivateVersion" not in _kinds(written)


@pytest.mark.parametrize("is_sorted", [True, False])
def test_the_sdks_bookmark_during_and_after_a_sync(
    is_sorted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ROWS go back in time; a third row is past the signpost (the sync's start).
    future = "2999-01-01T00:00:00.000000+00:00"
    stream, _ = _rows_stream(monkeypatch, [*ROWS, {"id": "3", "updated": future}][::-1])
    stream.replication_key = "updated"
    monkeypatch.setattr(_Rows, "is_sorted", is_sorted)
    # As the streams set it: users sorted and unchecked, groups and logs checked.
    monkeypatch.setattr(_Rows, "check_sorted", not is_sorted)
    stream.stream_state.update({sdk_compat.BOOKMARK: "2023-01-01T00:00:00+00:00"})
    stream.sync()
    during, after = stream.state_before_end, stream.stream_state
    if is_sorted:
        # Record by record: the last record's value, even a step back.
        assert during[sdk_compat.BOOKMARK] == ROWS[0]["updated"]
        assert sdk_compat.bookmark_of(during) == ROWS[0]["updated"]
        assert after[sdk_compat.BOOKMARK] == ROWS[0]["updated"]
        # Records written out of order (deletions) must not move it back.
        sdk_compat.restore_bookmark(after, future)
        assert sdk_compat.bookmark_of(after) == future
    else:
        # The largest value goes into the progress markers; the bookmark stays
        # where the run started until the SDK finalizes, capped at its signpost.
        assert sdk_compat.bookmark_at_start(during) == "2023-01-01T00:00:00+00:00"
        assert during[sdk_compat.PROGRESS][sdk_compat.BOOKMARK] == future
        assert sdk_compat.bookmark_of(during, capped=False) == future
        signpost = during[sdk_compat.SIGNPOST]
        assert signpost < future
        assert sdk_compat.bookmark_of(during) == signpost
        assert after[sdk_compat.BOOKMARK] == signpost
        assert sdk_compat.PROGRESS not in after
    assert sdk_compat.bookmark_at_start(after) == sdk_compat.bookmark_of(after)
    sdk_compat.clear_bookmark(after)
    assert sdk_compat.bookmark_of(after) is None


def test_the_sdk_writes_each_record_through_the_streams_generate_record_messages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The RECORD shortcut replaces this method; the SDK must still call it, once
    # per record, and write what it yields.
    stream, written = _rows_stream(monkeypatch, ROWS)
    seen: list[str] = []

    def generate(record: dict[str, Any]) -> Any:
        seen.append(record["id"])
        return Stream._generate_record_messages(stream, record)

    monkeypatch.setattr(stream, "_generate_record_messages", generate)
    stream.sync()
    assert seen == ["1", "2"]
    assert [m.record["id"] for m in _of("Record", written)] == ["1", "2"]


def test_the_sdks_record_messages_prune_conform_and_stamp(monkeypatch: pytest.MonkeyPatch) -> None:
    stream, _ = _rows_stream(monkeypatch, [])
    monkeypatch.setitem(stream.schema["properties"], "score", {"type": ["number", "null"]})
    stream.metadata[("properties", "updated")].selected = False
    stream._mask = None  # the mask is cached from the metadata first seen
    [message] = Stream._generate_record_messages(
        stream, {"id": "1", "updated": "x", "score": float("nan"), "undeclared": 1}
    )
    assert message.record == {"id": "1", "score": None}
    assert message.time_extracted is not None


def test_state_on_demand_is_written_even_right_after_the_sdks_own(
    tap: TapOkta, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[Any] = []
    monkeypatch.setattr(tap.state_writer, "write_state", written.append)
    stream = tap.streams["users"]
    stream.state_manager.is_flushed = True  # the SDK just wrote one
    stream.stream_state["delivered"] = ["2024-01-01T00:00:00.000Z 00u1"]  # ours moved on
    stream._write_state_message()  # the SDK's own skips it: nothing new since its last
    assert written == []
    sdk_compat.write_state(stream)
    assert len(written) == 1
    assert written[0]["bookmarks"]["users"]["delivered"] == ["2024-01-01T00:00:00.000Z 00u1"]


class _Probe(Tap):
    """A bare SDK tap: what its constructor does with an invalid config."""

    name = "probe-tap"
    config_jsonschema = th.PropertiesList(
        th.Property("token", th.StringType, secret=True),
        th.Property("count", th.IntegerType),
    ).to_dict()

    #: ``config`` as the instance saw it when the SDK refused it.
    refused: t.ClassVar[list[dict[str, Any]]] = []

    def __init__(self, **kwargs: Any) -> None:
        try:
            super().__init__(**kwargs)
        except ConfigValidationError:
            self.refused.append(dict(self.config))
            raise

    @override
    def discover_streams(self) -> list[Stream]:
        return []


def test_config_is_set_env_included_before_it_is_validated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # TapOkta registers the secrets of `config` only once the SDK has refused it.
    monkeypatch.setenv("PROBE_TAP_TOKEN", "00from-the-environment")
    monkeypatch.setattr(_Probe, "refused", [])
    with pytest.raises(ConfigValidationError) as refused:
        _Probe(config={"count": "12345678901234567"}, parse_env_config=True)
    assert _Probe.refused[0]["token"] == "00from-the-environment"
    # The errors quote the offending value: they must be redacted before anyone sees them.
    assert any("12345678901234567" in error for error in refused.value.errors)


def test_the_sdk_logs_a_failing_streams_last_words_while_handling_its_exception(
    tap: TapOkta, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    stream = tap.streams["apps"]
    monkeypatch.setattr(tap, "write_message", lambda message: None)
    seen: list[bool] = []
    original_log = Stream.log

    def log(self: Stream, message: str, *args: Any, level: int = logging.INFO, **kw: Any) -> None:
        if "unhandled error" in message:
            seen.append(sdk_compat.unwinding(OktaAPIError))
        original_log(self, message, *args, level=level, **kw)

    monkeypatch.setattr(Stream, "log", log)

    def fail(**_: Any) -> Any:
        raise OktaAPIError("Okta refused")

    monkeypatch.setattr(stream, "_sync_records", fail)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(OktaAPIError):
        stream.sync()
    assert seen == [True]
    # So the tap's override keeps that line out of the one clear ERROR it ends with.
    [line] = [r for r in caplog.records if "unhandled error" in r.getMessage()]
    assert line.levelno == logging.DEBUG
    assert not sdk_compat.unwinding(OktaAPIError)  # nothing is being handled now


# --- RECORD messages: the SDK's own method and the tap's shortcut agree -------------


def _messages(messages: Any) -> list[tuple[Any, ...]]:
    return [(m.stream, m.version, typed(m.record)) for m in messages]


def _variants(record: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """The record, and copies with one value replaced or one key added, at any depth."""
    paths: list[tuple[Any, ...]] = []

    def walk(value: Any, path: tuple[Any, ...]) -> None:
        if isinstance(value, dict):
            paths.append((*path, "unknownKey"))
            for key, item in value.items():
                paths.append((*path, key))
                walk(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value[:2]):
                paths.append((*path, index))
                walk(item, (*path, index))

    walk(record, ())
    variants = [record]
    for path in rng.sample(paths, min(len(paths), 40)):
        variant = copy.deepcopy(record)
        parent = variant
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = rng.choice(ODD_VALUES)
        variants.append(variant)
    return variants


def _tap_with_profiles(sim: OktaSimulator) -> TapOkta:
    tap = TapOkta(config={"org_url": sim.base_url, "api_key": API_KEY}, parse_env_config=False)
    tap.discover_profile_attributes()  # typed profile columns, as a discovered catalog has
    return tap


def test_record_messages_match_the_sdks_own_method(sim: OktaSimulator) -> None:
    tap = _tap_with_profiles(sim)
    assert tap.streams["users"].schema["properties"]["profile"]["properties"]["isContractor"]
    rng = random.Random(5)
    checked = conformed = 0
    for name, records in okta_records(sim).items():
        stream = tap.streams[name]
        for record in records[:60]:
            for variant in _variants(record, rng):
                ours = _messages(stream._generate_record_messages(copy.deepcopy(variant)))
                sdks = _messages(Stream._generate_record_messages(stream, copy.deepcopy(variant)))
                assert ours == sdks, (name, variant)
                checked += 1
                conformed += sdk_compat.record_path(stream).conformance.changes(variant)
    assert checked > 4000
    assert 0 < conformed < checked  # both ways taken


def test_record_messages_of_a_partly_selected_stream_match_the_sdks(sim: OktaSimulator) -> None:
    tap = _tap_with_profiles(sim)
    stream = tap.streams["users"]
    stream.metadata[("properties", "credentials")].selected = False
    stream.metadata[("properties", "profile", "properties", "email")].selected = False
    stream._mask = None
    assert not sdk_compat.record_path(stream).fully_selected
    for record in okta_records(sim)["users"][:50]:
        ours = _messages(stream._generate_record_messages(copy.deepcopy(record)))
        sdks = _messages(Stream._generate_record_messages(stream, copy.deepcopy(record)))
        assert ours == sdks
        assert "credentials" not in ours[0][2]
        assert "email" not in ours[0][2]["profile"]


def test_record_messages_follow_a_new_schema(tap: TapOkta) -> None:
    stream = tap.streams["logs"]
    first = sdk_compat.record_path(stream)
    assert sdk_compat.record_path(stream) is first
    sdk_compat.replace_schema(
        stream, {"type": "object", "properties": {"uuid": {"type": "string"}}}
    )
    assert sdk_compat.record_path(stream) is not first
    [message] = stream._generate_record_messages({"uuid": "u1", "published": "x"})
    assert message.record == {"uuid": "u1"}


def test_the_sdk_handles_sigterm_and_sigint_by_writing_its_state_and_exiting_0(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        tap = TapOkta(config=CONFIG, parse_env_config=False)
        assert signal.getsignal(signal.SIGTERM) == tap._handle_termination
        assert signal.getsignal(signal.SIGINT) == tap._handle_termination
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)
    written: list[Any] = []
    monkeypatch.setattr(tap.message_writer, "write_message", written.append)
    tap.state["bookmarks"] = {"users": {"replication_key_value": "2026-12-01T00:00:00.000Z"}}
    with pytest.raises(SystemExit) as exited:
        Tap._handle_termination(tap, signal.SIGTERM, None)
    assert exited.value.code == 0
    assert len(written) == 1
    assert isinstance(written[0], StateMessage)
    assert written[0].value == tap.state


def test_sync_all_resets_progress_markers_before_any_stream_reads_its_state() -> None:
    # TapOkta binds the state to the org in this first step (TapOkta.bind_state).
    calls: list[str] = []

    class Probe(Stream):
        name = "probe"
        schema: t.ClassVar[dict[str, Any]] = th.PropertiesList(
            th.Property("id", th.StringType)
        ).to_dict()

        def get_records(self, context: Any) -> t.Iterable[dict[str, Any]]:
            calls.append("stream")
            return iter(())

    class ProbeTap(Tap):
        name = "probe-tap"
        config_jsonschema: t.ClassVar[dict[str, Any]] = th.PropertiesList().to_dict()

        def discover_streams(self) -> list[Stream]:
            return [Probe(self)]

        def _reset_state_progress_markers(self) -> None:
            calls.append("reset")
            super()._reset_state_progress_markers()

    ProbeTap(config={}, parse_env_config=False).sync_all()
    assert calls[:2] == ["reset", "stream"]


def test_cli_logging_is_the_sdks_console_log() -> None:
    import singer_sdk.logging

    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    try:
        sdk_compat.setup_cli_logging("tap-okta")
        added = [h for h in root.handlers if h not in before]
        assert len(added) == 1
        assert isinstance(added[0].formatter, singer_sdk.logging.ConsoleFormatter)
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
        root.setLevel(level)


def test_a_new_top_level_field_is_declared_through_the_sdks_schema_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What ``declare_new_fields`` relies on: the SDK's SCHEMA message is built from the
    # default stream map's ``transformed_schema`` (a ``SameRecordTransform``), and an
    # input catalog's schema (``_input_schema``) is what conformance walks.
    rows = [{"id": "1", "extra": {"a": 1}}, {"id": "2", "extra": None}, {"id": "3", "extra": []}]
    stream, written = _rows_stream(monkeypatch, rows)
    shared = _Rows.schema
    monkeypatch.setattr(_Rows, "schema", {**shared, "additionalProperties": True})
    stream._schema = _Rows.schema
    assert stream._input_schema is None
    stream._input_schema = copy.deepcopy(_Rows.schema)  # as a catalog gives it
    assert isinstance(stream.stream_maps[0], SameRecordTransform)
    stream.stream_maps[0].transformed_schema = _Rows.schema
    monkeypatch.setattr(
        stream,
        "_generate_record_messages",
        lambda record: sdk_compat.generate_record_messages(
            stream, record, stream.TYPE_CONFORMANCE_LEVEL
        ),
    )
    stream.sync()
    kinds = [k for k in _kinds(written) if k != "ActivateVersion"]
    assert kinds == ["Schema", "Schema", "Record", "Record", "Record"]
    first, second = _of("Schema", written)
    assert "extra" not in first.schema["properties"]
    assert second.schema["properties"]["extra"] == {"type": ["null", "object", "array"]}
    assert list(second.key_properties) == ["id"]
    assert [m.record.get("extra") for m in _of("Record", written)] == [{"a": 1}, None, []]
    assert "extra" in stream.effective_schema["properties"]
    assert "extra" in stream.schema["properties"]
    assert "extra" not in _Rows.schema["properties"]  # the class's schema is shared
