"""The boundary set that keeps re-read records from being emitted twice."""

from __future__ import annotations

import logging

import pytest

from tap_okta.bookmarks import (
    DELIVERED_KEY,
    Delivered,
    format_timestamp,
    normalize_timestamp,
    parse_timestamp,
)
from tap_okta.redact import MASK, install_log_redaction, register_secret


def test_timestamps_round_trip_in_oktas_format() -> None:
    assert format_timestamp(parse_timestamp("2024-01-31T12:00:00Z")) == "2024-01-31T12:00:00.000Z"
    assert format_timestamp(parse_timestamp("2024-01-31T12:00:00.019+00:00")).endswith(".019Z")


def test_delivered_lives_in_the_state_and_survives_a_reload() -> None:
    state: dict[str, object] = {}
    delivered = Delivered(state)
    delivered.add("2024-01-01T00:00:05.000Z", "00u1")
    assert state[DELIVERED_KEY] == ["2024-01-01T00:00:05.000Z 00u1"]
    again = Delivered(state)
    assert ("2024-01-01T00:00:05Z", "00u1") in again
    assert ("2024-01-01T00:00:05Z", "00u2") not in again
    # A newer version of the same record is a change, not a repeat.
    assert ("2024-01-01T00:00:06Z", "00u1") not in again


def test_prune_keeps_only_the_boundary_and_respects_the_cap() -> None:
    state: dict[str, object] = {}
    delivered = Delivered(state, cap=3)
    for second in range(10):
        delivered.add(f"2024-01-01T00:00:{second:02d}.000Z", f"id{second}")
    assert len(delivered) <= 6
    delivered.prune("2024-01-01T00:00:08.000Z")
    assert state[DELIVERED_KEY] == ["2024-01-01T00:00:08.000Z id8", "2024-01-01T00:00:09.000Z id9"]
    delivered.prune(None)
    assert len(delivered) == 2


def test_secrets_are_masked_in_any_log_record(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    secret = "SSWS-secret-value-0123456789"
    register_secret(secret)
    log = logging.getLogger("some.library")
    with caplog.at_level(logging.DEBUG):
        log.debug("header was %s", secret)
        try:
            raise ValueError(f"bad token {secret}")
        except ValueError:
            log.exception("failed")
    assert secret not in caplog.text
    assert MASK in caplog.text


def test_normalize_takes_oktas_own_form_as_it_is_and_the_rest_through_a_parse() -> None:
    import datetime as dt
    import random

    rng = random.Random(3)
    start = dt.datetime(1000, 1, 1, tzinfo=dt.timezone.utc).timestamp()
    end = dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc).timestamp()
    for _ in range(5000):
        moment = dt.datetime.fromtimestamp(rng.uniform(start, end), dt.timezone.utc)
        for text in (
            format_timestamp(moment),
            moment.isoformat(),
            moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ):
            assert normalize_timestamp(text) == format_timestamp(parse_timestamp(text))
    for not_a_date in (
        "2024-13-01T00:00:00.000Z",
        "2024-02-30T00:00:00.000Z",
        "2024-01-01T24:00:00.000Z",
    ):
        with pytest.raises(ValueError):  # noqa: PT011 (fromisoformat says it several ways)
            normalize_timestamp(not_a_date)
