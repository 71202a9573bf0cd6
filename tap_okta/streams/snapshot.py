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

from typing_extensions import override

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
    """The ids the last run wrote, per parent id, as kept in the stream's state."""

    def __init__(self, state: t.Mapping[str, t.Any]) -> None:
        saved = state.get(KNOWN_KEY)
        #: None: never saved (first run, or too many to keep): nothing to compare.
        self._before: dict[str, list[str]] | None = None
        if isinstance(saved, dict):
            self._before = {str(k): [str(i) for i in v] for k, v in saved.items()}
        self._now: dict[str, list[str]] = {}

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

    @override
    def read_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        state = self.stream_state
        now = self.okta.rate_limiter.server_clock.now_datetime()
        plan = reconcile.plan_read(state, now=now, interval_days=0, always_complete=True)
        reconcile.begin_read(self, state, plan)
        known = KnownKeys(state)
        deleted_at = format_timestamp(now)
        for parent in self.parents():
            ids: list[str] = []
            for row in self.records_of(parent):
                yield row
                ids.append(str(row[self.key_field]))
            for gone in known.replace(parent, ids):
                yield self.deletion(parent, gone, deleted_at)
        for parent, ids in known.unvisited().items():
            for gone in ids:
                yield self.deletion(parent, gone, deleted_at)
        known.save(state, self.name)
        reconcile.end_read(self, state, plan)

    def parents(self) -> Iterator[str]:
        """Each parent's id (a top-level stream has one, ``TOP``)."""
        yield TOP

    def records_of(self, parent: str) -> Iterable[dict[str, t.Any]]:
        """One parent's records (a top-level stream: its own list)."""
        return self.read_parent(parent) if self.parent_field else self.request_records(None)

    def deletion(self, parent: str, key: str, deleted_at: str) -> dict[str, t.Any]:
        keys = {self.key_field: key}
        if self.parent_field:
            keys[self.parent_field] = parent
        return tombstone(deleted_at, **keys)
