"""Pins the singer-sdk behaviour that ``tap_okta.sdk_compat`` relies on.

If an SDK upgrade changes one of these, this file fails before any flow test
does, and ``sdk_compat`` is the one place to adapt.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from singer_sdk.helpers import _state
from singer_sdk.streams import Stream

from tap_okta import sdk_compat
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
