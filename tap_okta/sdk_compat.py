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
"""

from __future__ import annotations

import sys
import typing as t

from tap_okta.bookmarks import normalize_timestamp

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

BOOKMARK = "replication_key_value"
PROGRESS = "progress_markers"
SIGNPOST = "replication_key_signpost"
# The SDK's own bookkeeping; a complete read starts without any of it.
_SDK_BOOKMARK_KEYS = (BOOKMARK, "replication_key", PROGRESS, SIGNPOST, "starting_replication_value")


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
