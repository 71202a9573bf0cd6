"""The state Meltano hands the tap, checked before anything reads it.

A state is the tap's own output, but it may have been edited, written by
another tool, or saved for another org. Three checks, at load:

- Shape (``check_shape``): every key the tap reads (``tap_okta.state``) has the
  type the tap writes. A wrong one ends the run with one line naming the
  stream and the key, and the way out (``meltano state clear``), instead of a
  traceback halfway through a stream.
- Times from the future (``forget_future_times``): a saved time later than
  this machine's clock (plus ``SAVE_MARGIN_SECONDS``) cannot come from Okta; a
  tap that trusted a wrong ``Date`` header may have saved it. Every later read
  would skip until then, so the stream's saved state is dropped (it starts
  over, as on a first run: nothing is skipped) with one WARNING.
- The org (``OrgBinding``): the state names the org it was written for; a state
  of another org is never applied (see ``tap_okta.tap.TapOkta.bind_state``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import typing as t
from dataclasses import dataclass
from urllib.parse import urlsplit

from tap_okta import state as keys
from tap_okta.bookmarks import format_timestamp, normalize_timestamp
from tap_okta.errors import OktaTapError
from tap_okta.ratelimit import SAVE_MARGIN_SECONDS

if t.TYPE_CHECKING:
    from tap_okta.settings import OrgURL

logger = logging.getLogger("tap-okta")

#: Top-level state key: the org the state belongs to (``OrgBinding``).
ORG = "okta_org"
#: The SDK's own bookmark key (``tap_okta.sdk_compat.BOOKMARK``).
REPLICATION_KEY_VALUE = "replication_key_value"
#: The System Log path every saved position (``cursor``, ``changes.cursor``) must name.
LOGS_PATH = "/api/v1/logs"
WAY_OUT = (
    "Clear the state with `meltano state clear <state ID>` (or run without --state); "
    "the next run reads the stream again from start_date."
)


class StateError(OktaTapError):
    """The state given to the tap cannot be used as it is."""


def _shown(value: t.Any) -> str:
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _safe(name: str) -> str:
    """A state key as one line can show it: a name with a line break, another control
    or a non-ASCII character in JSON's escapes (the key comes from an edited state)."""
    return name if name.isascii() and name.isprintable() else json.dumps(name)[1:-1]


def _fail(stream: str, key: str, value: t.Any, expected: str) -> t.NoReturn:
    stream, key = _safe(stream), _safe(key)
    raise StateError(
        f"State: bookmarks.{stream}.{key} of stream '{stream}' is {_shown(value)}, not "
        f"{expected}; the state was edited or not written by this tap. {WAY_OUT}"
    )


def _timestamp(stream: str, key: str, value: t.Any) -> None:
    if not isinstance(value, str):
        _fail(stream, key, value, "a timestamp")
    try:
        normalize_timestamp(value)
    except (ValueError, OverflowError):
        _fail(stream, key, value, "a timestamp")


def _text(stream: str, key: str, value: t.Any) -> None:
    if not isinstance(value, str):
        _fail(stream, key, value, "a text")


def _logs_link(stream: str, key: str, value: t.Any, org: OrgURL | None, what: str) -> None:
    _text(stream, key, value)
    parts = urlsplit(value)
    foreign = bool(parts.netloc) and (org is None or not org.owns(value))
    if foreign or parts.path != LOGS_PATH:
        where = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else parts.path
        stream, key = _safe(stream), _safe(key)
        raise StateError(
            f"State: bookmarks.{stream}.{key} ({what} of stream '{stream}') points at "
            f"{_shown(where)}, not at this org's System Log ({LOGS_PATH}); the state was "
            f"edited or saved for another org. {WAY_OUT}"
        )


def _mapping(stream: str, key: str, value: t.Any) -> dict[str, t.Any]:
    if not isinstance(value, dict):
        _fail(stream, key, value, "an object")
    return value


def _stream_state(stream: str, state: dict[str, t.Any], org: OrgURL | None) -> None:
    """One stream's state: every key the tap reads has the type it writes."""
    if REPLICATION_KEY_VALUE in state and state[REPLICATION_KEY_VALUE] is not None:
        _timestamp(stream, REPLICATION_KEY_VALUE, state[REPLICATION_KEY_VALUE])
    for key in (keys.HORIZON, keys.READ_STARTED):
        if state.get(key) is not None:
            _timestamp(stream, key, state[key])
    if state.get(keys.EVERYONE) is not None:
        _text(stream, keys.EVERYONE, state[keys.EVERYONE])
    if state.get(keys.DELIVERED) is not None:
        delivered = state[keys.DELIVERED]
        if not isinstance(delivered, list):
            _fail(stream, keys.DELIVERED, delivered, "a list")
        for entry in delivered:
            if not isinstance(entry, str) or " " not in entry:
                _fail(stream, keys.DELIVERED, entry, 'a list of "<timestamp> <id>"')
            _timestamp(stream, keys.DELIVERED, entry.split(" ", 1)[0])
    if state.get(keys.CURSOR) is not None:
        _logs_link(stream, keys.CURSOR, state[keys.CURSOR], org, "the saved System Log position")
    if state.get(keys.CHANGES) is not None:
        changes = _mapping(stream, keys.CHANGES, state[keys.CHANGES])
        if changes.get("cursor") is not None:
            _logs_link(
                stream,
                f"{keys.CHANGES}.cursor",
                changes["cursor"],
                org,
                "the saved position of the removals and deletions read from the System Log",
            )
        if changes.get("since") is not None:
            _timestamp(stream, f"{keys.CHANGES}.since", changes["since"])
    if state.get(keys.FULL_SYNC) is not None:
        full_sync = _mapping(stream, keys.FULL_SYNC, state[keys.FULL_SYNC])
        for key in ("last_complete", "started"):
            if full_sync.get(key) is not None:
                _timestamp(stream, f"{keys.FULL_SYNC}.{key}", full_sync[key])
        version = full_sync.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
            _fail(stream, f"{keys.FULL_SYNC}.version", version, "a table version (an integer)")
    if state.get(keys.KNOWN) is not None:
        known = _mapping(stream, keys.KNOWN, state[keys.KNOWN])
        for parent, ids in known.items():
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                _fail(stream, f"{keys.KNOWN}.{parent}", ids, "a list of ids")
    if state.get(keys.PROGRESS) is not None:
        progress = _mapping(stream, keys.PROGRESS, state[keys.PROGRESS])
        if progress.get("done") is not None:
            _text(stream, f"{keys.PROGRESS}.done", progress["done"])
    if state.get(keys.SIZES) is not None:
        sizes = _mapping(stream, keys.SIZES, state[keys.SIZES])
        for app, pages in sizes.items():
            if not isinstance(pages, int) or isinstance(pages, bool):
                _fail(stream, f"{keys.SIZES}.{app}", pages, "a number of pages")


def check_shape(state: t.Any, streams: t.Collection[str], org: OrgURL | None) -> None:
    """Raise ``StateError`` (one line) for the first value the tap could not read.

    The keys of streams the tap does not have are left alone (it never reads them).
    """
    if not isinstance(state, dict):
        raise StateError(
            f"State: the state is {_shown(state)}, not a JSON object "
            f'({{"bookmarks": {{...}}}}). {WAY_OUT}'
        )
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        raise StateError(f"State: bookmarks is {_shown(bookmarks)}, not an object. {WAY_OUT}")
    for stream, stream_state in bookmarks.items():
        # Every stream's, even one the tap does not have: the SDK copies them all.
        if not isinstance(stream_state, dict):
            raise StateError(
                f"State: bookmarks.{_safe(stream)} of stream '{_safe(stream)}' is "
                f"{_shown(stream_state)}, "
                f"not an object. {WAY_OUT}"
            )
        if stream in streams:
            _stream_state(stream, stream_state, org)
    binding = state.get(ORG)
    if binding is not None and OrgBinding.from_state(binding) is None:
        raise StateError(
            f"State: {ORG} is {_shown(binding)}, not the org this tap saves "
            f'({{"id": ..., "url": ...}}). {WAY_OUT}'
        )


# --- times from the future ---------------------------------------------------------------


def _times(state: dict[str, t.Any]) -> t.Iterator[tuple[str, str]]:
    """(key, timestamp) for every time a stream's state holds (shape already checked)."""
    for key in (REPLICATION_KEY_VALUE, keys.HORIZON, keys.READ_STARTED):
        if isinstance(state.get(key), str):
            yield key, state[key]
    for entry in state.get(keys.DELIVERED) or []:
        yield keys.DELIVERED, entry.split(" ", 1)[0]
    since = (state.get(keys.CHANGES) or {}).get("since")
    if since:
        yield f"{keys.CHANGES}.since", since
    full_sync = state.get(keys.FULL_SYNC) or {}
    for key in ("last_complete", "started"):
        if full_sync.get(key):
            yield f"{keys.FULL_SYNC}.{key}", full_sync[key]
    version = full_sync.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        try:
            yield (
                f"{keys.FULL_SYNC}.version",
                format_timestamp(dt.datetime.fromtimestamp(version / 1000, tz=dt.timezone.utc)),
            )
        except (OverflowError, OSError, ValueError):
            yield f"{keys.FULL_SYNC}.version", "9999-12-31T23:59:59.999Z"


def forget_future_times(state: dict[str, t.Any], now: float) -> list[str]:
    """Drop the saved state of every stream holding a time later than ``now`` plus
    ``SAVE_MARGIN_SECONDS`` (seconds since the epoch), with one WARNING.

    Clamping such a time to now would skip whatever happened between the real
    position and now; forgetting it makes the stream start over, which loses
    nothing. Returns the streams dropped.
    """
    latest = format_timestamp(
        dt.datetime.fromtimestamp(now + SAVE_MARGIN_SECONDS, tz=dt.timezone.utc)
    )
    found: dict[str, tuple[str, str]] = {}
    bookmarks = state.get("bookmarks") or {}
    for stream, stream_state in bookmarks.items():
        if not isinstance(stream_state, dict):
            continue
        for key, value in _times(stream_state):
            try:
                late = normalize_timestamp(value) > latest
            except (ValueError, OverflowError):
                continue
            if late:
                found[stream] = (key, value)
                break
    for stream in found:
        bookmarks[stream] = {}
    if found:
        examples = ", ".join(
            f"{stream} ({key}={value})" for stream, (key, value) in sorted(found.items())
        )
        logger.warning(
            "State: times later than this machine's clock (%s) in %s: a wrong clock saved "
            "them (a proxy's Date header, a host without NTP). They are not used: %s "
            "start%s over from start_date, as on a first run.",
            latest,
            examples,
            ", ".join(sorted(found)),
            "s" if len(found) == 1 else "",
        )
    return sorted(found)


# --- the org --------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgBinding:
    """The org a state belongs to: Okta's org id when it could be read, and the URL.

    Two bindings are the same org when both have an id and the ids match (a
    custom domain and the okta.com name of one org share it), or, when either
    lacks the id, when the URLs match.
    """

    id: str | None
    url: str

    @classmethod
    def from_state(cls, value: t.Any) -> OrgBinding | None:
        if not isinstance(value, dict):
            return None
        org_id, url = value.get("id"), value.get("url")
        if not isinstance(url, str) or not (org_id is None or isinstance(org_id, str)):
            return None
        return cls(org_id or None, url)

    def to_state(self) -> dict[str, str]:
        return {"id": self.id, "url": self.url} if self.id else {"url": self.url}

    def same_org(self, other: OrgBinding) -> bool:
        if self.id and other.id:
            return self.id == other.id
        return self.url.rstrip("/").lower() == other.url.rstrip("/").lower()

    def describe(self) -> str:
        return f"{self.url} (org id {self.id})" if self.id else self.url
