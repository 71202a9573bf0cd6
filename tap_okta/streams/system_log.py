"""The System Log, in Okta's polling mode, resumed from its own ``next`` link."""

from __future__ import annotations

import logging
import typing as t

from typing_extensions import override

from tap_okta import schemas, sdk_compat
from tap_okta import state as state_keys
from tap_okta.bookmarks import Delivered, format_timestamp, parse_timestamp
from tap_okta.client import org_relative
from tap_okta.errors import OktaAPIError
from tap_okta.polling import LATE_ARRIVAL, SystemLogReader

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk.helpers.types import Context

logger = logging.getLogger("tap-okta")


class LogsStream(SystemLogReader):
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
    primary_keys = ("uuid",)
    replication_key = "published"
    is_sorted = False
    schema = schemas.LOG_EVENT.to_dict()
    resumes_by_page = True

    LATE_ARRIVAL = LATE_ARRIVAL
    CURSOR_KEY = state_keys.CURSOR

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        #: The saved-link form of the page whose events are being written.
        self._page_link: str | None = None

    def resumes_from(self) -> str:
        newest = sdk_compat.bookmark_of(self.stream_state, capped=False)
        return f"read up to published {newest}; the next run goes on from Okta's next link"

    # -- where to start ---------------------------------------------------

    def since_for(self, context: Context | None) -> str:
        floor = self.retention_floor()
        state = self.get_context_state(context)
        newest = sdk_compat.bookmark_at_start(state)
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

    # -- reading ------------------------------------------------------------

    def read_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        state = self.get_context_state(context)
        cursor = state.get(self.CURSOR_KEY)
        self.start_read(cursor if isinstance(cursor, str) else None)
        try:
            yield from self._read(context, state)
        except OktaAPIError as exc:
            if not (self.resume_from and exc.status == 400):
                raise
            logger.warning(
                "Stream 'logs': Okta no longer accepts the saved position (%s); resuming "
                "from published >= %s with a %d-minute overlap, skipping events already "
                "emitted.",
                exc.code or exc.status,
                self.since_for(context),
                self.LATE_ARRIVAL.seconds // 60,
            )
            self.resume_from = None
            state.pop(self.CURSOR_KEY, None)
            yield from self._read(context, state)

    def _read(self, context: Context | None, state: dict[str, t.Any]) -> Iterable[dict[str, t.Any]]:
        delivered = Delivered(state)
        self.last_next = None
        self._page_link = None
        for event in self.request_records(context):
            # The SDK asks for a page only once every event of the one before is
            # written: the page being written is a safe place to resume from.
            if self._page_link and state.get(self.CURSOR_KEY) != self._page_link:
                state[self.CURSOR_KEY] = self._page_link
            if (event["published"], event["uuid"]) in delivered:
                continue
            yield event
            delivered.add(event["published"], event["uuid"])
        if self.last_next:
            state[self.CURSOR_KEY] = self.last_next
        # The signpost is the local clock; what was emitted is on Okta's.
        newest = sdk_compat.bookmark_of(state, capped=False)
        if newest:
            delivered.prune(format_timestamp(parse_timestamp(newest) - self.LATE_ARRIVAL))

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        # Which page the events come from; ``_read`` saves it as the cursor.
        self._page_link = org_relative(response.request.url or "")
        yield from super().parse_response(response)
