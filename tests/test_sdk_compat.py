"""Pins the singer-sdk behaviour that ``tap_okta.sdk_compat`` relies on.

If an SDK upgrade changes one of these, this file fails before any flow test
does, and ``sdk_compat`` is the one place to adapt.
"""

from __future__ import annotations

import inspect
import logging
import typing as t
from typing import Any

import pytest
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers import _state
from singer_sdk.streams import Stream
from typing_extensions import override

from tap_okta import sdk_compat
from tap_okta.errors import OktaAPIError
from tap_okta.tap import TapOkta

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
