"""Users, groups and who is in which group."""

from __future__ import annotations

import datetime as dt
import logging
import typing as t

from tap_okta import schemas, sdk_compat
from tap_okta import state as state_keys
from tap_okta.bookmarks import format_timestamp, normalize_timestamp, parse_timestamp
from tap_okta.changes import (
    GROUP_DELETED,
    MEMBER_ADDED,
    MEMBER_REMOVED,
    USER_CREATED,
    USER_DELETED,
    Change,
    Target,
    latest_by_key,
    tombstone,
)
from tap_okta.client import OktaStream
from tap_okta.run import ListedGroups, is_everyone
from tap_okta.streams.base import ChangeTrackingStream, DirectoryStream

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk.helpers.types import Context, Record

    from tap_okta.changes import Window

logger = logging.getLogger("tap-okta")


class UsersStream(ChangeTrackingStream):
    """Every user, all statuses, read by ``search`` sorted on ``lastUpdated``.

    A plain list (or ``q``) silently omits DEPROVISIONED users; ``search``
    includes every status and sorts, so a killed run resumes mid-way. Search
    is served from a replica that can lag by a moment, hence the margin.
    """

    name = "users"
    path = "/api/v1/users"
    primary_keys = ("id",)
    replication_key = "lastUpdated"
    is_sorted = True
    # Re-reads from before the bookmark may step back; that only re-reads.
    check_sorted = False
    page_size = 200
    oauth_scope = "okta.users.read"
    consistency_margin = 120.0
    # A STATE per page: a killed run resumes from its last full page.
    STATE_MSG_FREQUENCY = 200
    resumes_by_page = True
    schema = schemas.USER.to_dict()
    delete_event = USER_DELETED
    delete_target = "User"

    def first_page_params(self, context: Context | None) -> dict[str, t.Any]:
        since = self.lower_bound(context) or "1970-01-01T00:00:00.000Z"
        return {
            "search": f'lastUpdated ge "{since}"',
            "sortBy": "lastUpdated",
            "sortOrder": "asc",
        }

    def resumes_from(self) -> str:
        bookmark = sdk_compat.bookmark_of(self.stream_state)
        return f"the next run reads on from lastUpdated {bookmark}"

    def tombstone_profile(self, target: Target) -> dict[str, t.Any]:
        return {"login": target.alternate_id, "displayName": target.display_name}


class GroupsStream(ChangeTrackingStream):
    """Groups whose profile or membership changed (``lastChanged``)."""

    name = "groups"
    path = "/api/v1/groups"
    primary_keys = ("id",)
    replication_key = "lastChanged"
    is_sorted = False
    # Okta allows more, but recommends at most 200 per page for accuracy.
    page_size = 200
    oauth_scope = "okta.groups.read"
    schema = schemas.GROUP.to_dict()
    delete_event = GROUP_DELETED
    delete_target = "UserGroup"

    def first_page_params(self, context: Context | None) -> dict[str, t.Any]:
        since = self.lower_bound(context)
        if since is None:
            return {}
        return {"filter": f'lastUpdated ge "{since}" or lastMembershipUpdated ge "{since}"'}

    def read_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        listed = ListedGroups()
        for record in super().read_records(context):
            if "_sdc_deleted_at" not in record:
                listed.add(record)
            yield record
        # Only a read of every group may stand in for group_members' own listing.
        if self._complete_from_start and not self.okta.settings.start_date:
            self.run_context.groups = listed

    def change_time(self, record: Record) -> str:
        # Membership changes do not move lastUpdated; either one means "changed".
        stamps = [record.get("lastUpdated"), record.get("lastMembershipUpdated")]
        latest = max(normalize_timestamp(s) for s in stamps if s)
        record["lastChanged"] = latest
        return latest

    def tombstone_fields(self, change: Change) -> dict[str, t.Any]:
        return {
            **super().tombstone_fields(change),
            "lastChanged": normalize_timestamp(change.published),
        }

    def tombstone_profile(self, target: Target) -> dict[str, t.Any]:
        return {"name": target.display_name}


class GroupListing(OktaStream):
    """Internal: the org's groups, for ``group_members`` (never in the catalog)."""

    path = "/api/v1/groups"
    primary_keys = ("id",)
    page_size = 200
    oauth_scope = "okta.groups.read"
    schema: t.ClassVar[dict[str, t.Any]] = GroupsStream.schema

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.filter: str | None = None

    def first_page_params(self, context: Context | None) -> dict[str, t.Any]:
        return {"filter": self.filter} if self.filter else {}


class GroupMembersStream(DirectoryStream):
    """Who is in which group, every group (the built-in Everyone included).

    - A complete read (first run, every ``full_sync_interval_days``) lists
      every group's members.
    - In between, membership changes come from the System Log alone
      (``group.user_membership.add`` / ``.remove``): no group is re-read, so
      an hourly run costs a page or two of the log instead of a request per
      changed group (and Everyone's whole list every time a user is created).
    - Without access to the System Log, groups whose membership changed
      (``lastMembershipUpdated``) are re-read instead; their removals then
      wait for the next complete read.
    """

    name = "group_members"
    path = "/api/v1/groups/{groupId}/users"
    primary_keys = ("groupId", "userId")
    replication_key = None
    page_size = 1000
    oauth_scope = "okta.groups.read"
    schema = schemas.GROUP_MEMBER.to_dict()
    parent_field = "groupId"
    # Okta lists a group's members as users; the tap keys them by their id.
    required_fields = ("id",)
    READ_AT_KEY = state_keys.READ_STARTED
    EVERYONE_KEY = state_keys.EVERYONE

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        #: The built-in Everyone group's id (its membership is never logged).
        self._everyone: str | None = None

    consistency_margin = 5.0

    def read_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        state = self.get_context_state(context)
        plan = self.start_run(state)
        read_started = self.okta.rate_limiter.server_clock.now_datetime()
        self._everyone = state.get(self.EVERYONE_KEY)
        if plan.complete:
            yield from self._complete(self.window, state, resume=plan.resumed)
        elif self.window.available:
            yield from self._from_changes(self.window)
        else:
            yield from self._changed_groups(state)
        state[self.READ_AT_KEY] = format_timestamp(read_started)
        if self._everyone:
            state[self.EVERYONE_KEY] = self._everyone
        self.finish_run(state)

    # -- the three ways to read ---------------------------------------------

    def _complete(
        self, window: Window, state: dict[str, t.Any], *, resume: bool
    ) -> Iterator[dict[str, t.Any]]:
        """Every group's members, group by group in id order; a run cut short by
        ``max_run_seconds`` is resumed after the last group it read in full."""
        done = self.resumed_after(state, resume)
        groups = self._every_group()
        latest = self._latest(window)
        if done:
            # Read in full by the run that was cut short; changed since: from the log.
            yield from self._apply({key: c for key, c in latest.items() if key[0] <= done})
        removed = {
            key: c for key, c in latest.items() if c.removed and not (done and key[0] <= done)
        }
        for group_id in self.each_parent(state, groups, done):
            for row in self._members(group_id):
                removed.pop((row["groupId"], row["userId"]), None)
                yield row
        if self.cut_short:
            return
        # Removed in the window and absent from the read: still removed now.
        for (group_id, user_id), change in removed.items():
            yield tombstone(change.published, groupId=group_id, userId=user_id)

    def _from_changes(self, window: Window) -> Iterator[dict[str, t.Any]]:
        if self._everyone is None and window.of_type(USER_CREATED, USER_DELETED):
            # State from before tap-okta kept it: one small request finds it.
            for _ in self._groups('type eq "BUILT_IN"'):
                pass
        yield from self._apply(self._latest(window))

    def _apply(self, latest: dict[tuple[str, ...], Change]) -> Iterator[dict[str, t.Any]]:
        """Each membership's last change in the window, as a row or a deletion."""
        for (group_id, user_id), change in latest.items():
            if change.removed:
                yield tombstone(change.published, groupId=group_id, userId=user_id)
            else:
                yield {"groupId": group_id, "userId": user_id}

    def _changed_groups(self, state: dict[str, t.Any]) -> Iterator[dict[str, t.Any]]:
        last_read = state.get(self.READ_AT_KEY)
        if not last_read:
            yield from self._complete(self.window, state, resume=False)
            return
        # Okta's timestamps are whole seconds: step back a little, never miss one.
        since = parse_timestamp(last_read) - dt.timedelta(seconds=self.consistency_margin)
        bound = format_timestamp(since.replace(microsecond=0))
        for group in self._groups(f'lastMembershipUpdated ge "{bound}"'):
            yield from self._members(group["id"])

    # -- helpers --------------------------------------------------------------

    def _latest(self, window: Window) -> dict[tuple[str, ...], Change]:
        """Each membership's last change; a user or group deleted since removes it."""
        deleted_users = window.targets("User", USER_DELETED)
        deleted_groups = window.targets("UserGroup", GROUP_DELETED)
        everyone = self._everyone

        def key(change: Change) -> tuple[str, ...] | None:
            if change.event_type in (USER_CREATED, USER_DELETED):
                user = change.target("User")
                return (everyone, user.id) if everyone and user else None
            return _membership_key(change)

        relevant = (MEMBER_ADDED, MEMBER_REMOVED, USER_CREATED, USER_DELETED)
        latest = latest_by_key(window.of_type(*relevant), key)
        for key_, change in list(latest.items()):
            gone = deleted_groups.get(key_[0]) or deleted_users.get(key_[1])
            if gone and not change.removed and gone.published >= change.published:
                latest[key_] = gone
        return latest

    def _every_group(self) -> list[str]:
        """Every group's id: this run's ``groups`` read when it listed them all, else
        a listing of its own."""
        listed = self.run_context.groups
        if listed is not None:
            if listed.everyone:
                self._everyone = listed.everyone
            return listed.ids
        return [str(group["id"]) for group in self._groups(None)]

    def _groups(self, group_filter: str | None) -> Iterator[dict[str, t.Any]]:
        listing = GroupListing(tap=self.okta_tap, name=self.name)
        listing.filter = group_filter
        for group in listing.request_records(None):
            if is_everyone(group):
                self._everyone = str(group["id"])
            yield group

    def _members(self, group_id: str) -> Iterator[dict[str, t.Any]]:
        for user in self.read_parent(group_id):
            yield {"groupId": group_id, "userId": user["id"]}


def _membership_key(change: Change) -> tuple[str, ...] | None:
    user, group = change.target("User"), change.target("UserGroup")
    return (group.id, user.id) if user and group else None
