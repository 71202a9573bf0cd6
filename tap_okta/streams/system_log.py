"""The System Log, in Okta's polling mode, resumed from its own ``next`` link."""

from __future__ import annotations

import datetime as dt
import logging
import typing as t

from tap_okta import schemas
from tap_okta.bookmarks import Delivered, format_timestamp, parse_timestamp
from tap_okta.changes import LATE_ARRIVAL, LOGS_SCOPE, RETENTION
from tap_okta.client import (
    OktaLinkPaginator,
    OktaStream,
    org_relative,
    query_value,
    resolve_org_link,
)
from tap_okta.errors import OktaAPIError

if t.TYPE_CHECKING:
    from collections.abc import Iterable
    from urllib.parse import SplitResult

    import requests
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

logger = logging.getLogger("tap-okta")


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
    oauth_scope = LOGS_SCOPE
    schema = schemas.LOG_EVENT.to_dict()

    RETENTION = RETENTION
    LATE_ARRIVAL = LATE_ARRIVAL
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
            link = resolve_org_link(self._resume_from, self.okta.settings.org, self.name)
            request.url, request.params = self.split_link(link)
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
        position = org_relative(response.request.url or "")
        state[self.CURSOR_KEY] = position
        next_url = response.links.get("next", {}).get("url")
        self._last_next = org_relative(next_url) if next_url else None
        events = list(super().parse_response(response))
        self._continues = self._caught_up(response, events) is False
        yield from events

    def _caught_up(self, response: requests.Response, events: list[dict[str, t.Any]]) -> bool:
        """A short page, or events from after this run began: stop here for now."""
        requested = query_value(response.request.url or "", "limit")
        if len(events) < int(requested or self.page_size):
            return True
        newest = max((str(e.get("published") or "") for e in events), default="")
        return bool(self._run_started and newest and parse_timestamp(newest) >= self._run_started)

    def page_continues(self, response: requests.Response) -> bool:
        return self._continues
