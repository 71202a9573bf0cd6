"""Bookmark helpers that make incremental reads exact.

Okta timestamps have whole-second resolution (System Log: milliseconds, but
events arrive out of order), so each incremental query starts a little
before the last bookmark and would re-read the records at the boundary.
``Delivered`` remembers, in the stream's state, which of those boundary
records were already emitted, so they are skipped instead of repeated. It is
bounded: the state never grows with the size of the org or the log.

State written mid-run must never claim a record that was not emitted yet,
so streams add a record here only after the SDK has written it (the code
after ``yield``), which also keeps a killed run's last STATE truthful.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import typing as t

from tap_okta import state as state_keys

DELIVERED_KEY = state_keys.DELIVERED
# Plenty for the records sharing a boundary second or a log overlap window;
# past this, the oldest entries go and a rare boundary record may repeat
# (never be lost).
DELIVERED_CAP = 1000


def format_timestamp(value: dt.datetime) -> str:
    """Okta's timestamp form: ``2024-01-31T12:00:00.000Z`` (UTC, milliseconds)."""
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_timestamp(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


# Okta's own form, as ``format_timestamp`` writes it (a year from 1000 on: strftime
# writes earlier ones without leading zeros).
_OKTA_FORM = re.compile(r"[1-9]\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z").fullmatch


def normalize_timestamp(value: str) -> str:
    """Comparable text form: Okta's own format sorts chronologically as text."""
    if _OKTA_FORM(value):
        parse_timestamp(value)  # still refuses what is no date (month 13 ...)
        return value  # already in the form format_timestamp would write
    return format_timestamp(parse_timestamp(value))


class Delivered:
    """Records emitted at or after the next query's lower bound (``"<ts> <id>"``).

    Lives inside the stream's state dict (a list, which Meltano's state merge
    replaces rather than unions), so every STATE message carries it.
    """

    def __init__(self, state: dict[str, t.Any], cap: int = DELIVERED_CAP) -> None:
        entries = state.get(DELIVERED_KEY)
        if not isinstance(entries, list):
            entries = []
            state[DELIVERED_KEY] = entries
        self._entries: list[str] = entries
        self._index = set(entries)
        self._cap = cap
        # Whether the entries are in the order a prune leaves them (sorted, no
        # repeats): then a prune drops a prefix, without sorting (a sorted read
        # prunes at every new timestamp).
        self._in_order = entries == sorted(self._index)
        # A record is looked up, then added: its timestamp is normalized once.
        self._raw = ""
        self._normalized = ""

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, item: tuple[str, str]) -> bool:
        return self._entry(*item) in self._index

    def _normalize(self, timestamp: str) -> str:
        if timestamp != self._raw:
            self._normalized = normalize_timestamp(timestamp)
            self._raw = timestamp
        return self._normalized

    def _entry(self, timestamp: str, key: str) -> str:
        return f"{self._normalize(timestamp)} {key}"

    def add(self, timestamp: str, key: str) -> None:
        entry = self._entry(timestamp, key)
        if entry not in self._index:
            if self._entries and entry < self._entries[-1]:
                self._in_order = False
            self._entries.append(entry)
            self._index.add(entry)
        if len(self._entries) > 2 * self._cap:
            self.prune(None)

    def prune(self, floor: str | None) -> None:
        """Drop entries older than ``floor`` (the next lower bound) and past the cap."""
        if floor is not None:
            floor = self._normalize(floor)
        entries = self._entries
        if self._in_order:
            # Sorted already (the timestamps have one width): what goes is a prefix.
            start = 0 if floor is None else bisect.bisect_left(entries, floor)
            start = max(start, len(entries) - self._cap)
            if start > 0:
                self._index.difference_update(entries[:start])
                del entries[:start]
            return
        keep = sorted(self._index)
        if floor is not None:
            keep = [entry for entry in keep if entry.split(" ", 1)[0] >= floor]
        keep = keep[-self._cap :]
        entries[:] = keep
        self._index = set(keep)
        self._in_order = True
