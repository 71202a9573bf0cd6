"""What every directory stream shares: the change feed, complete reads, exact bookmarks."""

from __future__ import annotations

import datetime as dt
import logging
import typing as t

from tap_okta import reconcile, sdk_compat
from tap_okta import state as state_keys
from tap_okta.bookmarks import Delivered, format_timestamp, normalize_timestamp, parse_timestamp
from tap_okta.changes import Change, Target, Window, tombstone
from tap_okta.client import OktaStream
from tap_okta.polling import LOGS_SCOPE

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk.helpers.types import Context, Record

    from tap_okta.changes import ChangeFeed

logger = logging.getLogger("tap-okta")

HORIZON_KEY = state_keys.HORIZON
CHANGES_KEY = state_keys.CHANGES
PROGRESS_KEY = state_keys.PROGRESS


class DirectoryStream(OktaStream):
    """A stream whose table must stay equal to the org: deletes and complete reads.

    Each run: read the change feed from the stream's saved position (before
    the stream's own reads, so a change is either in the feed or visible to
    the read), write the stream's records and deletions, then save the
    feed's new position. Every ``full_sync_interval_days`` the read is
    complete and ends with ACTIVATE_VERSION (when the target asked for it).
    """

    #: Read in full every run (Okta has no change filter): always complete.
    always_complete: t.ClassVar[bool] = False
    #: The run's change feed this stream reads (its own filter and windows).
    feed_attribute: t.ClassVar[str] = "change_feed"
    optional_scopes: t.ClassVar[tuple[str, ...]] = (LOGS_SCOPE,)
    #: Without the change feed (no System Log access), read completely every run:
    #: the stream has no other way to learn what changed.
    complete_without_feed: t.ClassVar[bool] = False

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._plan: reconcile.ReadPlan | None = None
        self._window: Window | None = None

    @property
    def feed(self) -> ChangeFeed:
        return self.run_context.feed(self.feed_attribute)

    # -- one run: plan, window, finish ---------------------------------------

    def start_run(self, state: dict[str, t.Any]) -> reconcile.ReadPlan:
        """Read the change feed, decide whether this read is complete, stamp versions."""
        self._window = self.feed.window(state.get(CHANGES_KEY))
        plan = reconcile.plan_read(
            state,
            now=self.okta.rate_limiter.server_clock.now_datetime(),
            interval_days=self.okta.settings.full_sync_interval_days,
            always_complete=self.always_complete,
            force=self._window.gap or (self.complete_without_feed and not self._window.available),
        )
        if plan.complete and not self.always_complete:
            logger.info("Stream '%s': complete read (%s).", self.name, plan.reason)
        reconcile.begin_read(self, state, plan)
        self._plan = plan
        return plan

    @property
    def window(self) -> Window:
        assert self._window is not None, "start_run() first"
        return self._window

    #: The window's changes are all written before the stream's own read, so its
    #: end may be saved even when the read is cut short.
    window_written_first: t.ClassVar[bool] = False

    def finish_run(self, state: dict[str, t.Any]) -> None:
        """Every record of the run is written: save the feed position, end a complete read.

        A run cut short by ``max_run_seconds`` keeps a complete read under way (the
        next run resumes it with the same table version) and, unless the window was
        written first, the old feed position (the window is applied again).
        """
        window, plan = self.window, self._plan
        assert plan is not None
        if window.available and window.end and (self.window_written_first or not self.cut_short):
            state[CHANGES_KEY] = window.end
        if self.cut_short:
            sdk_compat.set_record_version(self, None)
            return
        reconcile.end_read(self, state, plan)

    # -- a complete read parent by parent, resumable ---------------------------

    @property
    def parent_kind(self) -> str:
        """What a parent is, in log lines: ``groupId`` -> "group"."""
        return (self.parent_field or "parent").removesuffix("Id")

    def resumed_after(self, state: t.Mapping[str, t.Any], resume: bool) -> str | None:
        """The last parent a complete read cut short by ``max_run_seconds`` read in
        full, when ``resume`` (the read resumes an interrupted one); else None."""
        done = (state.get(PROGRESS_KEY) or {}).get("done") if resume else None
        if done:
            logger.info(
                "Stream '%s': resuming the complete read after %s %s.",
                self.name,
                self.parent_kind,
                done,
            )
        return str(done) if done else None

    def each_parent(
        self, state: dict[str, t.Any], parents: Iterable[str], done: str | None
    ) -> Iterator[str]:
        """The parents a complete read still has to read, in id order, after ``done``.

        The caller reads each parent's records before it asks for the next one, so
        the parent is recorded as done (``state.PROGRESS``) once every record of it
        is written. Past ``max_run_seconds`` the iteration ends early with
        ``cut_short`` set; the next run resumes after the last parent done, with the
        same table version. A read that reaches the end clears the progress.
        """
        ordered = sorted(parents)
        for position, parent in enumerate(ordered):
            if done and parent <= done:
                continue
            if self._stop_between_parents(position, len(ordered)):
                return
            yield parent
            state[PROGRESS_KEY] = {"done": parent}
        state.pop(PROGRESS_KEY, None)

    def _stop_between_parents(self, position: int, total: int) -> bool:
        """Past ``max_run_seconds`` before the ``position``-th of ``total`` parents:
        stop (the state names the last parent read in full)."""
        if position == 0 or not self.budget.expired:
            return False
        self.cut_short = True
        self.budget.stop(
            self.name,
            f"its complete read goes on after {self.parent_kind} {position} of {total} "
            "(state: progress)",
        )
        return True


class ChangeTrackingStream(DirectoryStream):
    """Incremental on a change timestamp, exactly once across runs.

    Each query starts at ``min(bookmark, horizon)``: the bookmark is the newest
    change emitted; the horizon is Okta's time when the last completed read
    began, minus ``consistency_margin``, before which Okta's answers were
    complete. Changes made while a read was under way, or not yet visible to
    it, are therefore read again next run; ``Delivered`` drops the ones
    already emitted. Deletions come from the change feed, before the read.
    """

    #: Seconds before a read's start that its answers are trusted to be complete.
    consistency_margin: t.ClassVar[float] = 5.0
    window_written_first = True
    #: The System Log event that deletes one object of this stream, and its target type.
    delete_event: t.ClassVar[str]
    delete_target: t.ClassVar[str]

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._complete_from_start = False

    def lower_bound(self, context: Context | None) -> str | None:
        start_date = self.okta.settings.start_date
        if self._complete_from_start:
            return format_timestamp(start_date) if start_date else None
        start = self.get_starting_timestamp(context)  # bookmark or start_date
        if start is None:
            return None
        horizon = self.get_context_state(context).get(HORIZON_KEY)
        if horizon:
            start = min(start, parse_timestamp(horizon))
        if start_date:
            start = max(start, start_date)
        return format_timestamp(start)

    def change_time(self, record: Record) -> str:
        return str(record[self.replication_key or ""])

    def tombstone_fields(self, change: Change) -> dict[str, t.Any]:
        """The deleted object's fields that the event carries: its id, the event's
        time as ``lastUpdated``, and its names (``tombstone_profile``)."""
        target = change.target(self.delete_target)
        assert target is not None
        return {
            "id": target.id,
            "lastUpdated": change.published,
            "profile": self.tombstone_profile(target),
        }

    def tombstone_profile(self, target: Target) -> dict[str, t.Any]:
        """The deleted object's profile fields that the event's target names."""
        raise NotImplementedError

    def deletions(self) -> dict[str, Change]:
        """Objects of this stream deleted within the feed window, by id."""
        return self.window.targets(self.delete_target, self.delete_event)

    def read_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        state = self.get_context_state(context)
        bookmark_before = sdk_compat.bookmark_of(state)
        plan = self.start_run(state)
        # A fresh complete read starts from nothing; a sorted one resumes where
        # it was interrupted (its records so far carry the same version).
        self._complete_from_start = plan.complete and not (plan.resumed and self.is_sorted)
        if self._complete_from_start:
            sdk_compat.clear_bookmark(state)
            state.pop(HORIZON_KEY, None)
            state.pop(state_keys.DELIVERED, None)
            bookmark_before = None
        deleted = self.deletions()
        for change in sorted(deleted.values(), key=lambda c: c.published):
            yield tombstone(change.published, **self.tombstone_fields(change))
        yield from self._read_changes(context, state, skip=deleted.keys())
        sdk_compat.restore_bookmark(state, bookmark_before)
        self.finish_run(state)

    def _read_changes(
        self, context: Context | None, state: dict[str, t.Any], skip: t.Collection[str]
    ) -> Iterable[dict[str, t.Any]]:
        delivered = Delivered(state)
        previous_horizon = state.get(HORIZON_KEY)
        read_started: dt.datetime | None = None
        skipped = 0
        last_change = ""
        for record in self.request_records(context):
            if read_started is None:
                read_started = self.okta.rate_limiter.server_clock.now_datetime()
            if record["id"] in skip:
                continue  # deleted since: a lagging search index may still list it
            changed = self.change_time(record)
            if (changed, record["id"]) in delivered:
                skipped += 1
                continue
            yield record
            # Reached only once the SDK has written the record.
            delivered.add(changed, record["id"])
            if self.is_sorted and changed != last_change:
                # Sorted: what lies below the next run's start can go already,
                # which keeps each mid-run STATE small.
                last_change = changed
                delivered.prune(min(changed, previous_horizon or changed))
        if read_started is None:
            read_started = self.okta.rate_limiter.server_clock.now_datetime()
        horizon = format_timestamp(read_started - dt.timedelta(seconds=self.consistency_margin))
        state[HORIZON_KEY] = horizon
        bookmark = sdk_compat.bookmark_of(state)
        bookmark = normalize_timestamp(bookmark) if bookmark else None
        delivered.prune(min(bookmark, horizon) if bookmark else horizon)
        if skipped:
            logger.info(
                "Stream '%s': skipped %d records already emitted by the previous run.",
                self.name,
                skipped,
            )
