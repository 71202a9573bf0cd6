"""Security configuration read in full every run, deletions found by comparing runs.

Policies, zones, roles and the like number in the tens or hundreds, and Okta
has no change filter for most of them: each run reads them completely. What a
run no longer lists was deleted; ``KnownKeys`` keeps the ids the last run
wrote (per parent, for children such as policy rules), so the run can write a
deletion (``_sdc_deleted_at``: Okta's time when the read began) for each id
that is gone, and every read ends with ACTIVATE_VERSION when asked for.
"""

from __future__ import annotations

import logging
import typing as t

from tap_okta import reconcile
from tap_okta import state as state_keys
from tap_okta.bookmarks import format_timestamp
from tap_okta.changes import tombstone
from tap_okta.client import OktaStream

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk.helpers.types import Context

logger = logging.getLogger("tap-okta")

KNOWN_KEY = state_keys.KNOWN
#: Above this many ids, a stream stops keeping them (state would grow too
#: large) and relies on ACTIVATE_VERSION alone for deletions.
KNOWN_LIMIT = 20_000
TOP = ""  # the parent key of a top-level stream's ids


class KnownKeys:
    """The ids the last run wrote, per parent id, as kept in the stream's state: the
    one way a stream turns ids it no longer finds into deletions.

    A record is identified by ``key_field`` within its parent (``parent_field`` in
    records; None for a top-level stream, whose one parent is ``TOP``).
    """

    def __init__(
        self,
        state: t.Mapping[str, t.Any],
        *,
        parent_field: str | None = None,
        key_field: str = "id",
    ) -> None:
        saved = state.get(KNOWN_KEY)
        #: None: never saved (first run, or too many to keep): nothing to compare.
        self._before: dict[str, list[str]] | None = None
        if isinstance(saved, dict):
            self._before = {str(k): [str(i) for i in v] for k, v in saved.items()}
        self._now: dict[str, list[str]] = {}
        self._parent_field = parent_field
        self._key_field = key_field

    def read(
        self, parent: str, rows: Iterable[dict[str, t.Any]], deleted_at: str
    ) -> Iterator[dict[str, t.Any]]:
        """``parent``'s records as read now, then a deletion for each id the last
        read wrote that they no longer hold."""
        ids: list[str] = []
        for row in rows:
            yield row
            ids.append(str(row[self._key_field]))
        for gone in self.replace(parent, ids):
            yield self.deletion(parent, gone, deleted_at)

    def vanished(self, deleted_at: str) -> Iterator[dict[str, t.Any]]:
        """After a read of every parent: a deletion for each id of the parents it no
        longer found."""
        for parent, ids in self.unvisited().items():
            for gone in ids:
                yield self.deletion(parent, gone, deleted_at)

    def deletion(self, parent: str, key: str, deleted_at: str) -> dict[str, t.Any]:
        keys = {self._key_field: key}
        if self._parent_field:
            keys[self._parent_field] = parent
        return tombstone(deleted_at, **keys)

    def checkpoint(self, state: dict[str, t.Any], parent: str) -> None:
        """Mid-read, once ``parent``'s records are written: its ids as read now go
        into the state at once, so a run stopped after it resumes with them."""
        if parent not in self._now:
            return
        stored = state.get(KNOWN_KEY)
        if not isinstance(stored, dict):
            stored = state[KNOWN_KEY] = {}
        if self._now[parent]:
            stored[parent] = self._now[parent]
        else:
            stored.pop(parent, None)

    def keep(self, parent: str) -> None:
        """``parent`` was read by an earlier run of this read: its saved ids stand."""
        if self._before is not None and parent in self._before:
            self._now.setdefault(parent, self._before[parent])

    def replace(self, parent: str, ids: t.Sequence[str]) -> list[str]:
        """Record ``parent``'s ids as read now; return the ones that are gone."""
        self._now[parent] = list(ids)
        if self._before is None:
            return []
        present = set(ids)
        return [i for i in self._before.get(parent, ()) if i not in present]

    def unvisited(self) -> dict[str, list[str]]:
        """After a read of every parent: the ids of parents it no longer found."""
        if self._before is None:
            return {}
        return {p: ids for p, ids in self._before.items() if p not in self._now and ids}

    def keep_unvisited(self) -> None:
        """A partial read: parents it did not visit keep their saved ids."""
        for parent, ids in (self._before or {}).items():
            self._now.setdefault(parent, ids)

    def save(self, state: dict[str, t.Any], stream_name: str) -> None:
        count = sum(len(ids) for ids in self._now.values())
        if count > KNOWN_LIMIT:
            logger.info(
                "Stream '%s': %d records are too many to keep their ids in the state; "
                "deletions reach the target through ACTIVATE_VERSION only.",
                stream_name,
                count,
            )
            state.pop(KNOWN_KEY, None)
            return
        state[KNOWN_KEY] = {p: ids for p, ids in self._now.items() if ids}


class SnapshotStream(OktaStream):
    """Read in full every run; ids gone since the last run become deletions.

    A top-level stream reads its own path; a child (``parent_field`` set)
    lists its parents with ``parents()`` and reads each with ``read_parent``.
    Not selected by default: each needs its own scope and admin role.
    """

    selected_by_default = False
    replication_key = None
    #: The record field that identifies a record within its parent.
    key_field: t.ClassVar[str] = "id"

    def read_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        state = self.stream_state
        now = self.okta.rate_limiter.server_clock.now_datetime()
        plan = reconcile.plan_read(state, now=now, interval_days=0, always_complete=True)
        reconcile.begin_read(self, state, plan)
        known = KnownKeys(state, parent_field=self.parent_field, key_field=self.key_field)
        deleted_at = format_timestamp(now)
        for parent in self.parents():
            yield from known.read(parent, self.records_of(parent), deleted_at)
        yield from known.vanished(deleted_at)
        known.save(state, self.name)
        reconcile.end_read(self, state, plan)

    def parents(self) -> Iterator[str]:
        """Each parent's id (a top-level stream has one, ``TOP``)."""
        yield TOP

    def records_of(self, parent: str) -> Iterable[dict[str, t.Any]]:
        """One parent's records (a top-level stream: its own list)."""
        return self.read_parent(parent) if self.parent_field else self.request_records(None)
