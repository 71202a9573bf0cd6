"""The Okta streams: users, groups, apps, the System Log and their relationships."""

from __future__ import annotations

import datetime as dt
import logging
import typing as t
from urllib.parse import parse_qs, urlsplit, urlunsplit

from tap_okta import schemas
from tap_okta.bookmarks import Delivered, format_timestamp, normalize_timestamp, parse_timestamp
from tap_okta.client import OktaLinkPaginator, OktaStream, resolve_org_link
from tap_okta.errors import OktaAPIError

if t.TYPE_CHECKING:
    from collections.abc import Iterable
    from urllib.parse import SplitResult

    import requests
    from singer_sdk.helpers.types import Context, Record
    from singer_sdk.streams.rest import HTTPRequest, PageContext

logger = logging.getLogger("tap-okta")

HORIZON_KEY = "horizon"


class ChangeTrackingStream(OktaStream):
    """Incremental on a change timestamp, exactly once across runs.

    Each query starts at ``min(bookmark, horizon)``: the bookmark is the newest
    change emitted; the horizon is Okta's time when the last completed read
    began, minus ``consistency_margin``, before which Okta's answers were
    complete. Changes made while a read was under way, or not yet visible to
    it, are therefore read again next run; ``Delivered`` drops the ones
    already emitted.
    """

    #: Seconds before a read's start that its answers are trusted to be complete.
    consistency_margin: t.ClassVar[float] = 5.0

    def lower_bound(self, context: Context | None) -> str | None:
        start = self.get_starting_timestamp(context)  # bookmark or start_date
        if start is None:
            return None
        horizon = self.get_context_state(context).get(HORIZON_KEY)
        if horizon:
            start = min(start, parse_timestamp(horizon))
        start_date = self.okta.settings.start_date
        if start_date:
            start = max(start, start_date)
        return format_timestamp(start)

    def change_time(self, record: Record) -> str:
        return str(record[self.replication_key or ""])

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        state = self.get_context_state(context)
        delivered = Delivered(state)
        previous_horizon = state.get(HORIZON_KEY)
        read_started: dt.datetime | None = None
        skipped = 0
        last_change = ""
        for record in self.request_records(context):
            if read_started is None:
                read_started = self.okta.rate_limiter.server_clock.now_datetime()
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
        bookmark = self.newest_change(state)
        delivered.prune(min(bookmark, horizon) if bookmark else horizon)
        if skipped:
            logger.info(
                "Stream '%s': skipped %d records already emitted by the previous run.",
                self.name,
                skipped,
            )

    def newest_change(self, state: dict[str, t.Any]) -> str | None:
        """The bookmark this run will leave (SDK-managed replication value)."""
        markers = state.get("progress_markers")
        if not markers:  # sorted: the SDK advanced the bookmark record by record
            value = state.get("replication_key_value")
            return normalize_timestamp(value) if value else None
        value = markers.get("replication_key_value")
        if not value:
            return None
        # Unsorted: the SDK will cap the bookmark at its signpost.
        signpost = state.get("replication_key_signpost")
        newest = normalize_timestamp(value)
        return min(newest, normalize_timestamp(signpost)) if signpost else newest


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
    schema = schemas.USER.to_dict()

    def first_page_params(self, context: Context | None) -> dict[str, t.Any]:
        since = self.lower_bound(context) or "1970-01-01T00:00:00.000Z"
        return {
            "search": f'lastUpdated ge "{since}"',
            "sortBy": "lastUpdated",
            "sortOrder": "asc",
        }


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

    def first_page_params(self, context: Context | None) -> dict[str, t.Any]:
        since = self.lower_bound(context)
        if since is None:
            return {}
        return {"filter": f'lastUpdated ge "{since}" or lastMembershipUpdated ge "{since}"'}

    def change_time(self, record: Record) -> str:
        # Membership changes do not move lastUpdated; either one means "changed".
        stamps = [record.get("lastUpdated"), record.get("lastMembershipUpdated")]
        latest = max(normalize_timestamp(s) for s in stamps if s)
        record["lastChanged"] = latest
        return latest

    def get_child_context(self, record: Record, context: Context | None) -> dict[str, t.Any]:
        return {
            "groupId": record["id"],
            "groupType": record.get("type"),
            "groupName": (record.get("profile") or {}).get("name"),
        }


class AppsStream(OktaStream):
    """All apps, every run: Okta has no change filter for apps (there are few)."""

    name = "apps"
    path = "/api/v1/apps"
    primary_keys = ("id",)
    replication_key = None
    page_size = 200
    oauth_scope = "okta.apps.read"
    schema = schemas.APP.to_dict()

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        client = (row.get("credentials") or {}).get("oauthClient")
        if (
            isinstance(client, dict)
            and client.get("client_secret")
            and not self.okta.settings.include_client_secrets
        ):
            # OIDC client secrets do not belong in a warehouse unless asked for.
            client["client_secret"] = None
        return row

    def get_child_context(self, record: Record, context: Context | None) -> dict[str, t.Any]:
        return {"appId": record["id"]}


class ChildStream(OktaStream):
    """A relationship read per parent; full each time the parent is emitted.

    ``state_partitioning_keys = []`` keeps one small state for the stream
    instead of one entry per parent (which would grow without bound); the
    SDK then no longer injects the parent id, so ``post_process`` does.
    """

    state_partitioning_keys: t.ClassVar[list[str]] = []
    parent_key: t.ClassVar[str]

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        assert context is not None
        row[self.parent_key] = context[self.parent_key]
        return row

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        try:
            yield from self.request_records(context)
        except OktaAPIError as exc:
            # The parent was deleted between listing it and reading its children.
            if exc.status == 404:
                logger.info("Stream '%s': %s is gone; skipping it.", self.name, context)
                return
            raise


class GroupMembersStream(ChildStream):
    """Who is in which group; all members of each changed group.

    Skips the built-in Everyone group, whose members are simply all users
    (the ``users`` stream) and whose membership changes with every new user.
    """

    name = "group_members"
    parent_stream_type = GroupsStream
    path = "/api/v1/groups/{groupId}/users"
    primary_keys = ("groupId", "userId")
    parent_key = "groupId"
    page_size = 1000
    oauth_scope = "okta.groups.read"
    schema = schemas.GROUP_MEMBER.to_dict()

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        if (
            context
            and context.get("groupType") == "BUILT_IN"
            and (context.get("groupName") == "Everyone")
        ):
            return
        for user in super().get_records(context):
            yield {"userId": user["id"]}


class AppUsersStream(ChildStream):
    """Users assigned to each app, with their app-specific profile."""

    name = "app_users"
    parent_stream_type = AppsStream
    path = "/api/v1/apps/{appId}/users"
    primary_keys = ("appId", "id")
    parent_key = "appId"
    page_size = 500
    oauth_scope = "okta.apps.read"
    schema = schemas.APP_USER.to_dict()


class AppGroupsStream(ChildStream):
    """Groups assigned to each app."""

    name = "app_groups"
    parent_stream_type = AppsStream
    path = "/api/v1/apps/{appId}/groups"
    primary_keys = ("appId", "id")
    parent_key = "appId"
    page_size = 200
    oauth_scope = "okta.apps.read"
    schema = schemas.APP_GROUP.to_dict()


class LogPollingPaginator(OktaLinkPaginator):
    """System Log polling: ``next`` is always present, so decide when to stop."""

    def __init__(self, stream: LogsStream) -> None:
        super().__init__(stream.okta.settings.org, stream.name)
        self._stream = stream

    def has_more(self, response: requests.Response) -> bool:
        return self._stream.page_continues(response)


class LogsStream(OktaStream):
    """The System Log in Okta's polling mode, resumed from its own ``next`` link.

    Polling (``since`` without ``until``, ascending) returns events in the
    order Okta stored them, so an event stored late (with an earlier
    ``published``) still comes after the saved link. The state keeps:
    ``cursor`` (the link to read next), the newest ``published`` emitted
    (fallback when Okta no longer accepts the cursor) and ``delivered``
    (events emitted near that point, so a fallback or a resumed page does
    not repeat them).
    """

    name = "logs"
    path = "/api/v1/logs"
    primary_keys = ("uuid",)
    replication_key = "published"
    is_sorted = False
    page_size = 1000
    oauth_scope = "okta.logs.read"
    schema = schemas.LOG_EVENT.to_dict()

    RETENTION = dt.timedelta(days=90)
    #: How late Okta may store an event after its ``published`` time.
    LATE_ARRIVAL = dt.timedelta(minutes=15)
    CURSOR_KEY = "cursor"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._resume_from: str | None = None
        self._run_started: dt.datetime | None = None
        self._last_next: str | None = None
        self._continues = False

    # -- where to start ---------------------------------------------------

    def retention_floor(self) -> dt.datetime:
        # A minute inside the limit: Okta's clock and ours differ a little.
        now = self.okta.rate_limiter.server_clock.now_datetime()
        return now - self.RETENTION + dt.timedelta(minutes=1)

    def since_for(self, context: Context | None) -> str:
        floor = self.retention_floor()
        state = self.get_context_state(context)
        newest = state.get("replication_key_value")
        start_date = self.okta.settings.start_date
        if newest:
            since = parse_timestamp(newest) - self.LATE_ARRIVAL
        elif start_date:
            since = start_date
        else:
            since = floor
        if start_date:
            since = max(since, start_date)
        if since < floor:
            if newest or start_date:
                logger.warning(
                    "Stream 'logs': events before %s are past Okta's 90-day retention; "
                    "starting there.",
                    format_timestamp(floor),
                )
            since = floor
        return format_timestamp(since)

    def first_page_params(self, context: Context | None) -> dict[str, t.Any]:
        return {
            "since": self.since_for(context),
            "sortOrder": "ASCENDING",
        }

    def get_new_paginator(self) -> LogPollingPaginator:
        return LogPollingPaginator(self)

    def get_http_request(self, *, page: PageContext[SplitResult]) -> HTTPRequest:
        request = super().get_http_request(page=page)
        if page.next_page_token is None and self._resume_from:
            # Resume exactly where the last run stopped, on Okta's own link.
            link = urlsplit(resolve_org_link(self._resume_from, self.okta.settings.org, self.name))
            request.url = urlunsplit((link.scheme, link.netloc, link.path, "", ""))
            request.params = self.get_url_params(context=None, next_page_token=link)
        return request

    # -- reading ------------------------------------------------------------

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        state = self.get_context_state(context)
        self._run_started = self.okta.rate_limiter.server_clock.now_datetime()
        cursor = state.get(self.CURSOR_KEY)
        self._resume_from = cursor if isinstance(cursor, str) and cursor else None
        try:
            yield from self._read(context, state)
        except OktaAPIError as exc:
            if not (self._resume_from and exc.status == 400):
                raise
            logger.warning(
                "Stream 'logs': Okta no longer accepts the saved position (%s); resuming "
                "from published >= %s with a %d-minute overlap, skipping events already "
                "emitted.",
                exc.code or exc.status,
                self.since_for(context),
                self.LATE_ARRIVAL.seconds // 60,
            )
            self._resume_from = None
            state.pop(self.CURSOR_KEY, None)
            yield from self._read(context, state)

    def _read(self, context: Context | None, state: dict[str, t.Any]) -> Iterable[dict[str, t.Any]]:
        delivered = Delivered(state)
        self._last_next = None
        for event in self.request_records(context):
            if (event["published"], event["uuid"]) in delivered:
                continue
            yield event
            delivered.add(event["published"], event["uuid"])
        if self._last_next:
            state[self.CURSOR_KEY] = self._last_next
        newest = state.get("progress_markers", {}).get("replication_key_value") or state.get(
            "replication_key_value"
        )
        if newest:
            delivered.prune(format_timestamp(parse_timestamp(newest) - self.LATE_ARRIVAL))

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        # A new page is requested only after every event of the previous one
        # was written, so its URL is a safe place to resume from.
        state = self.stream_state
        position = _org_relative(response.request.url or "")
        state[self.CURSOR_KEY] = position
        next_url = response.links.get("next", {}).get("url")
        self._last_next = _org_relative(next_url) if next_url else None
        events = list(super().parse_response(response))
        self._continues = self._caught_up(response, events) is False
        yield from events

    def _caught_up(self, response: requests.Response, events: list[dict[str, t.Any]]) -> bool:
        """A short page, or events from after this run began: stop here for now."""
        requested = _query_value(response.request.url or "", "limit")
        if len(events) < int(requested or self.page_size):
            return True
        newest = max((str(e.get("published") or "") for e in events), default="")
        return bool(self._run_started and newest and parse_timestamp(newest) >= self._run_started)

    def page_continues(self, response: requests.Response) -> bool:
        return self._continues


def _org_relative(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path, parts.query, ""))


def _query_value(url: str, name: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get(name)
    return values[0] if values else None
