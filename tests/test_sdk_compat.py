"""Pins the singer-sdk behaviour that ``tap_okta.sdk_compat`` relies on.

If an SDK upgrade changes one of these, this file fails before any flow test
does, and ``sdk_compat`` is the one place to adapt.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import inspect
import json
import logging
import random
import signal
import typing as t
from typing import Any

import pytest
import requests
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers import _state
from singer_sdk.singerlib import StateMessage
from singer_sdk.streams import Stream
from typing_extensions import override

from tap_okta import sdk_compat
from tap_okta.errors import OktaAPIError
from tap_okta.tap import TapOkta
from tests.conftest import API_KEY
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


def test_the_sdk_sends_its_own_activate_version_only_when_the_stream_asks() -> None:
    # The directory streams answer False here and send it after a complete read.
    source = inspect.getsource(Stream.sync)
    assert "self.emit_activate_version_messages" in source
    assert "_write_activate_version_message" in source
    assert isinstance(inspect.getattr_static(Stream, "emit_activate_version_messages"), property)


@pytest.mark.parametrize("is_sorted", [True, False])
def test_bookmark_keys(is_sorted: bool) -> None:
    state: dict[str, Any] = {}
    for stamp in ("2024-01-01T00:00:02.000Z", "2024-01-01T00:00:01.000Z"):
        _state.increment_state(
            state,
            latest_record={"lastUpdated": stamp},
            replication_key="lastUpdated",
            is_sorted=is_sorted,
            # As the streams set it: users sorted and unchecked, groups and logs checked.
            check_sorted=not is_sorted,
        )
    if is_sorted:
        # Sorted and unchecked: the last record's value wins (restore_bookmark undoes a step back).
        assert state[sdk_compat.BOOKMARK] == "2024-01-01T00:00:01.000Z"
        sdk_compat.restore_bookmark(state, "2024-01-01T00:00:02.000Z")
        assert state[sdk_compat.BOOKMARK] == "2024-01-01T00:00:02.000Z"
    else:
        # Unsorted: the largest value is kept, capped by the signpost at the end.
        assert state[sdk_compat.PROGRESS][sdk_compat.BOOKMARK] == "2024-01-01T00:00:02.000Z"
        state[sdk_compat.SIGNPOST] = "2024-01-01T00:00:01.500Z"
        assert sdk_compat.bookmark_of(state) == "2024-01-01T00:00:01.500Z"
    sdk_compat.clear_bookmark(state)
    assert sdk_compat.bookmark_of(state) is None


def test_state_on_demand_is_written_even_right_after_the_sdks_own(
    tap: TapOkta, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[Any] = []
    monkeypatch.setattr(tap.state_writer, "write_state", written.append)
    stream = tap.streams["users"]
    stream.state_manager.is_flushed = True  # the SDK just wrote one
    stream.stream_state["delivered"] = ["2024-01-01T00:00:00.000Z 00u1"]  # ours moved on
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


def _typed(value: Any) -> Any:
    """A value with its types spelled out (5 and 5.0, True and 1 differ; NaN == NaN)."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    if isinstance(value, float | decimal.Decimal):
        return (type(value).__name__, repr(value))
    return (type(value).__name__, value)


def _messages(messages: Any) -> list[tuple[Any, ...]]:
    return [(m.stream, m.version, _typed(m.record)) for m in messages]


def _okta_records(sim: OktaSimulator) -> dict[str, list[dict[str, Any]]]:
    """What Okta answers for each stream, decoded as the tap decodes it."""
    session = requests.Session()
    session.headers["Authorization"] = f"SSWS {API_KEY}"
    since = (sim.org.clock.now() - dt.timedelta(days=89)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    paths = {
        "users": "/api/v1/users?limit=200",
        "groups": "/api/v1/groups?limit=200",
        "apps": "/api/v1/apps?limit=200",
        "logs": f"/api/v1/logs?limit=1000&since={since}",
    }
    found = {}
    for name, path in paths.items():
        response = session.get(sim.base_url + path, timeout=30)
        response.raise_for_status()
        found[name] = json.loads(response.content, parse_float=decimal.Decimal)
    app = found["apps"][0]["id"]
    for name, path in (("app_users", "users"), ("app_groups", "groups")):
        response = session.get(f"{sim.base_url}/api/v1/apps/{app}/{path}", timeout=30)
        found[name] = [dict(r, appId=app) for r in json.loads(response.content)]
    found["group_members"] = [{"groupId": "00g1", "userId": u["id"]} for u in found["users"]]
    return found


ODD_VALUES = [
    None,
    True,
    False,
    0,
    1,
    5,
    5.0,
    decimal.Decimal("5.0"),
    decimal.Decimal("1E+999999"),  # a float's infinity to the SDK
    float("nan"),
    float("inf"),
    "",
    "yes",
    "2024-01-31T12:00:00.000Z",
    dt.datetime(2024, 1, 31, 12, tzinfo=dt.timezone.utc),
    dt.date(2024, 1, 31),
    b"\x00",
    [],
    [1, "a", None],
    [{"x": 1}],
    {},
    {"nested": {"x": float("nan")}},
]


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
    for name, records in _okta_records(sim).items():
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
    for record in _okta_records(sim)["users"][:50]:
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


def test_the_sdk_writes_records_through_generate_record_messages() -> None:
    # The shortcut replaces this method; the SDK must still call it for every record.
    source = inspect.getsource(Stream._write_record_message)
    assert "self._generate_record_messages(record)" in source
    source = inspect.getsource(Stream._generate_record_messages)
    for step in ("pop_deselected_record_properties", "conform_record_data_types", "utc_now()"):
        assert step in source


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
