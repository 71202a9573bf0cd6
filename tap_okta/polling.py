"""Reading the System Log in Okta's polling mode, for ``logs`` and the change feed.

Polling (``since`` without ``until``, ascending) returns events in the order
Okta stored them and always has a ``next`` link, even on an empty page, so
the reader decides when it has caught up: a page shorter than asked for, or
events from after the read began. The last ``next`` link is where the next
run resumes; events Okta stores late come after it.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from typing_extensions import override

from tap_okta.bookmarks import parse_timestamp
from tap_okta.client import (
    OktaLinkPaginator,
    OktaStream,
    PerResponse,
    org_relative,
    resolve_org_link,
)

if t.TYPE_CHECKING:
    from collections.abc import Iterable
    from urllib.parse import SplitResult

    import requests
    from singer_sdk.streams.rest import HTTPRequest, PageContext

LOGS_SCOPE = "okta.logs.read"
#: How late Okta may store an event after its ``published`` time.
LATE_ARRIVAL = dt.timedelta(minutes=15)
RETENTION = dt.timedelta(days=90)


class PollingPaginator(OktaLinkPaginator):
    """Follows ``next`` until the reader has caught up with the log."""

    def __init__(self, reader: SystemLogReader) -> None:
        stop = reader.out_of_time if reader.resumes_by_page else None
        super().__init__(reader.okta.settings.org, reader.name, stop)
        self._reader = reader

    @override
    def has_more(self, response: requests.Response) -> bool:
        return not self._reader.caught_up(response) and not (self._stop and self._stop())


class SystemLogReader(OktaStream):
    """``/api/v1/logs`` in polling mode, optionally resumed from a saved ``next`` link."""

    path = "/api/v1/logs"
    page_size = 1000
    oauth_scope = LOGS_SCOPE
    required_fields = ("uuid", "published")

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        #: The saved link to start from (None: the first page's own query).
        self.resume_from: str | None = None
        #: Okta's time when this read began: later events wait for the next run.
        self.read_started: dt.datetime | None = None
        #: The last ``next`` link seen: where the next run resumes.
        self.last_next: str | None = None
        #: Per page: its number of events and the newest ``published``.
        self._pages: PerResponse[tuple[int, str]] = PerResponse()

    def start_read(self, resume_from: str | None) -> None:
        self.resume_from = resume_from or None
        self.read_started = self.okta.rate_limiter.server_clock.now_datetime()
        self.last_next = None

    def retention_floor(self) -> dt.datetime:
        # A minute inside the limit: Okta's clock and ours differ a little.
        now = self.okta.rate_limiter.server_clock.now_datetime()
        return now - RETENTION + dt.timedelta(minutes=1)

    @override
    def get_new_paginator(self) -> PollingPaginator:
        return PollingPaginator(self)

    @override
    def get_http_request(self, *, page: PageContext[SplitResult]) -> HTTPRequest:
        request = super().get_http_request(page=page)
        if page.next_page_token is None and self.resume_from:
            # Resume exactly where the last run stopped, on Okta's own link.
            link = resolve_org_link(self.resume_from, self.okta.settings.org, self.name)
            request.url, request.params = self.split_link(link)
        return request

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        events = list(super().parse_response(response))
        self._pages[response] = (len(events), _newest(events))
        next_url = response.links.get("next", {}).get("url")
        if next_url:
            # Checked here too: on the last page the link is never followed, only saved.
            link = resolve_org_link(next_url, self.okta.settings.org, self.name)
            self.last_next = org_relative(link)
        yield from events

    def caught_up(self, response: requests.Response) -> bool:
        """A short page, or events from after the read began: stop for now."""
        count, newest = self._pages.pop(response, (0, ""))
        if count < self.requested_limit(response):
            return True
        return bool(self.read_started and newest and parse_timestamp(newest) >= self.read_started)


def _newest(events: list[dict[str, t.Any]]) -> str:
    return max((str(e.get("published") or "") for e in events), default="")
