"""The boundary set that keeps re-read records from being emitted twice."""

from __future__ import annotations

import logging
import random
import typing as t

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


class _EveryPrune:
    """What ``Delivered`` did before its shortcuts: normalize at every use, sort at every prune."""

    def __init__(self, state: dict[str, t.Any], cap: int) -> None:
        self.entries: list[str] = state.setdefault(DELIVERED_KEY, [])
        self.index = set(self.entries)
        self.cap = cap

    def __contains__(self, item: tuple[str, str]) -> bool:
        return f"{normalize_timestamp(item[0])} {item[1]}" in self.index

    def add(self, timestamp: str, key: str) -> None:
        entry = f"{normalize_timestamp(timestamp)} {key}"
        if entry not in self.index:
            self.entries.append(entry)
            self.index.add(entry)
        if len(self.entries) > 2 * self.cap:
            self.prune(None)

    def prune(self, floor: str | None) -> None:
        keep = sorted(self.index)
        if floor is not None:
            floor = normalize_timestamp(floor)
            keep = [entry for entry in keep if entry.split(" ", 1)[0] >= floor]
        keep = keep[-self.cap :]
        self.entries[:] = keep
        self.index = set(keep)


@pytest.mark.parametrize("seed", range(40))
def test_delivered_keeps_the_same_state_as_pruning_everything_every_time(seed: int) -> None:
    # Sorted reads (timestamps rising, ties, equal prunes), unsorted ones, states
    # saved out of order or with repeats, the cap: every STATE list is the same.
    rng = random.Random(seed)
    cap = rng.choice([2, 5, 1000])
    stamps = [f"2024-01-01T00:{m:02d}:{s:02d}.000Z" for m in range(3) for s in range(0, 60, 7)]
    start = [f"{rng.choice(stamps)} 00u{rng.randrange(9)}" for _ in range(rng.randrange(6))]
    if rng.random() < 0.5:
        start.sort()
    ours_state: dict[str, t.Any] = {DELIVERED_KEY: list(start)}
    theirs_state: dict[str, t.Any] = {DELIVERED_KEY: list(start)}
    ours, theirs = Delivered(ours_state, cap=cap), _EveryPrune(theirs_state, cap=cap)
    position = 0
    for _ in range(200):
        position = min(len(stamps) - 1, position + rng.choice([0, 0, 1])) if seed % 2 else 0
        stamp = stamps[position] if seed % 2 else rng.choice(stamps)
        written = stamp.replace(".000Z", "Z") if rng.random() < 0.2 else stamp
        key = f"00u{rng.randrange(9)}"
        assert ((written, key) in ours) == ((written, key) in theirs)
        ours.add(written, key)
        theirs.add(written, key)
        if rng.random() < 0.5:
            floor = stamps[max(0, position - rng.randrange(3))] if seed % 2 else rng.choice(stamps)
            ours.prune(floor)
            theirs.prune(floor)
        assert ours_state == theirs_state
    ours.prune(None)
    theirs.prune(None)
    assert ours_state == theirs_state


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
