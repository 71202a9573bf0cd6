"""The System Log as a change feed for the directory streams.

Okta writes every removal and deletion to the System Log (a user taken out of
a group, an app unassigned, a user, group or app deleted) but no list
endpoint shows what is gone. ``ChangeFeed`` reads those events once per run,
with one filtered polling query, and each directory stream asks it what
changed since its own saved position (``changes.cursor`` in the stream's
state). The position is Okta's own ``next`` link, so events Okta stores late
still come after it, as for the ``logs`` stream.

A stream saves the window's end only after it has written every change of the
window, so a killed run applies the window again (changes are idempotent:
the last event per key wins) and nothing is skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import typing as t
from dataclasses import dataclass, field

from tap_okta.bookmarks import format_timestamp, parse_timestamp
from tap_okta.client import query_value
from tap_okta.errors import OktaAPIError, OktaUnavailableError
from tap_okta.polling import LATE_ARRIVAL, LOGS_SCOPE, SystemLogReader

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context

logger = logging.getLogger("tap-okta")


# Okta event types (okta's event-type catalogue) -> what they change.
USER_CREATED = "user.lifecycle.create"
USER_DELETED = "user.lifecycle.delete.completed"
GROUP_DELETED = "group.lifecycle.delete"
APP_DELETED = "application.lifecycle.delete"
MEMBER_ADDED = "group.user_membership.add"
MEMBER_REMOVED = "group.user_membership.remove"
APP_USER_ADDED = "application.user_membership.add"
APP_USER_REMOVED = "application.user_membership.remove"
APP_GROUP_ADDED = "group.application_assignment.add"
APP_GROUP_REMOVED = "group.application_assignment.remove"
APP_GROUP_UPDATED = "group.application_assignment.update"
APP_USER_UPDATED = "application.user_membership.update"
APP_USER_RENAMED = "application.user_membership.change_username"
#: Events that name an app user assignment (app, user) that may have changed.
APP_USER_EVENTS = (APP_USER_ADDED, APP_USER_REMOVED, APP_USER_UPDATED, APP_USER_RENAMED)
#: Events that name an app group assignment (app, group) that may have changed.
APP_GROUP_EVENTS = (APP_GROUP_ADDED, APP_GROUP_REMOVED, APP_GROUP_UPDATED)

# One fixed filter for every stream: saved positions stay interchangeable
# whichever streams a run selects.
EVENT_TYPES: tuple[str, ...] = (
    # Okta logs no membership event for the built-in Everyone group: a new
    # user joins it, a deleted one leaves it.
    USER_CREATED,
    USER_DELETED,
    GROUP_DELETED,
    APP_DELETED,
    MEMBER_ADDED,
    MEMBER_REMOVED,
    *APP_USER_EVENTS,
    *APP_GROUP_EVENTS,
)
# The security streams' own feed (its own filter, so the directory streams'
# saved positions and windows stay as they were).
FACTOR_ACTIVATED = "user.mfa.factor.activate"
FACTOR_DEACTIVATED = "user.mfa.factor.deactivate"
FACTORS_RESET = "user.mfa.factor.reset_all"
FACTOR_UPDATED = "user.mfa.factor.update"
FACTOR_EVENTS = (FACTOR_ACTIVATED, FACTOR_DEACTIVATED, FACTORS_RESET, FACTOR_UPDATED)
GROUP_ROLE_GRANTED = "group.privilege.grant"
GROUP_ROLE_REVOKED = "group.privilege.revoke"
GROUP_ROLE_EVENTS = (GROUP_ROLE_GRANTED, GROUP_ROLE_REVOKED)
DEVICE_DELETED = "device.lifecycle.delete"
# An admin grants or revokes an Okta API scope of an app (admin consent, the org
# authorization server); Okta's catalogue lists both, the app as target.
APP_GRANT_EVENTS = ("app.oauth2.admin.consent.grant", "app.oauth2.admin.consent.revoke")
#: An app's settings changed, its provisioning (features, connection) included.
APP_UPDATED = "application.lifecycle.update"
SECURITY_EVENT_TYPES: tuple[str, ...] = (
    *FACTOR_EVENTS,
    *GROUP_ROLE_EVENTS,
    DEVICE_DELETED,
    USER_DELETED,
    GROUP_DELETED,
    *APP_GRANT_EVENTS,
    APP_UPDATED,
    APP_DELETED,
)

REMOVALS = frozenset(
    {USER_DELETED, GROUP_DELETED, APP_DELETED, MEMBER_REMOVED, APP_USER_REMOVED, APP_GROUP_REMOVED}
)


@dataclass(frozen=True)
class Target:
    id: str
    alternate_id: str | None
    display_name: str | None


@dataclass(frozen=True)
class Change:
    """One directory event, reduced to what the streams need."""

    uuid: str
    published: str
    event_type: str
    targets: dict[str, Target]

    @property
    def removed(self) -> bool:
        return self.event_type in REMOVALS

    def target(self, kind: str) -> Target | None:
        return self.targets.get(kind)

    @classmethod
    def from_event(cls, event: dict[str, t.Any]) -> Change | None:
        targets: dict[str, Target] = {}
        for item in event.get("target") or []:
            if isinstance(item, dict) and item.get("type") and item.get("id"):
                targets.setdefault(
                    str(item["type"]),
                    Target(str(item["id"]), item.get("alternateId"), item.get("displayName")),
                )
        outcome = (event.get("outcome") or {}).get("result")
        if outcome not in (None, "SUCCESS") or not event.get("published"):
            return None  # a failed attempt changed nothing
        return cls(str(event["uuid"]), str(event["published"]), str(event["eventType"]), targets)


@dataclass
class Window:
    """The changes since one saved position, and where the next run resumes."""

    changes: list[Change] = field(default_factory=list)
    #: The position to save once the changes are written (None: keep the old one).
    end: dict[str, str] | None = None
    #: The System Log could not be read: deletions wait for a complete read.
    available: bool = True
    #: The saved position is past Okta's retention: only a complete read is exact.
    gap: bool = False

    def of_type(self, *event_types: str) -> list[Change]:
        wanted = set(event_types)
        return [c for c in self.changes if c.event_type in wanted]

    def targets(self, target_type: str, *event_types: str) -> dict[str, Change]:
        """The ``target_type`` targets these events name, by id, each with the last
        event naming it, in the order of those last events."""
        found: dict[str, Change] = {}
        for change in self.of_type(*event_types):
            target = change.target(target_type)
            if target:
                found.pop(target.id, None)
                found[target.id] = change
        return found


def latest_by_key(
    changes: Iterable[Change], key: t.Callable[[Change], tuple[str, ...] | None]
) -> dict[tuple[str, ...], Change]:
    """The last change per key: the key's state at the end of the window.

    Events come in Okta's storage order; ``published`` breaks the (rare) case
    of a later-stored event that happened earlier.
    """
    latest: dict[tuple[str, ...], Change] = {}
    for change in changes:
        k = key(change)
        if k is None:
            continue
        seen = latest.get(k)
        if seen is None or seen.published <= change.published:
            latest[k] = change
    return latest


class ChangeLogReader(SystemLogReader, internal=True):
    """The filtered System Log query; internal, never in the catalog."""

    name = "directory_changes"
    #: What the feed is for, in its log lines.
    label = "directory"
    event_types: t.ClassVar[tuple[str, ...]] = EVENT_TYPES
    primary_keys = ("uuid",)
    schema: t.ClassVar[dict[str, t.Any]] = {
        "type": "object",
        "properties": {"uuid": {"type": "string"}},
    }

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.since: str | None = None

    def event_filter(self) -> str:
        return " or ".join(f'eventType eq "{name}"' for name in self.event_types)

    def first_page_params(self, context: Context | None) -> dict[str, t.Any]:
        return {"since": self.since, "sortOrder": "ASCENDING", "filter": self.event_filter()}


class SecurityChangeLogReader(ChangeLogReader, internal=True):
    """The security streams' filtered System Log query."""

    name = "security_changes"
    label = "security"
    event_types = SECURITY_EVENT_TYPES


class ChangeFeed:
    """Reads each saved position's window once per run and hands it out."""

    def __init__(self, reader: ChangeLogReader) -> None:
        self._reader = reader
        self._windows: dict[str, Window] = {}
        self._unavailable: str | None = None

    def window(self, position: t.Mapping[str, t.Any] | None) -> Window:
        """What changed after ``position`` (a stream's ``changes`` state)."""
        cursor = str((position or {}).get("cursor") or "")
        if cursor not in self._windows:
            self._windows[cursor] = self._read(position or {})
        return self._windows[cursor]

    def _read(self, position: t.Mapping[str, t.Any]) -> Window:
        if self._unavailable:
            return Window(available=False)
        reader = self._reader
        if not reader.okta.authenticator.grants(LOGS_SCOPE):
            return self._without_log(f"the access token does not carry {LOGS_SCOPE}")
        clock = reader.okta.rate_limiter.server_clock
        now, started = clock.now_datetime(), time.monotonic()
        floor = reader.retention_floor()
        watermark = position.get("since")
        # Without a position, the stream's own read this run is the truth up to
        # now; the window only has to reach back over Okta's storage delay.
        since = parse_timestamp(watermark) - LATE_ARRIVAL if watermark else now - LATE_ARRIVAL
        gap = since < floor
        reader.since = format_timestamp(max(since, floor))
        cursor = position.get("cursor")
        if cursor and query_value(str(cursor), "filter") != reader.event_filter():
            # Saved by a version of the tap that asked for other event types: the
            # link would keep asking for those. Re-reading from ``since`` is safe
            # (the last change per key wins).
            cursor = None
        reader.start_read(None if gap else cursor)
        try:
            changes = self._collect()
        except OktaAPIError as exc:
            if exc.status == 400 and reader.resume_from:
                logger.info(
                    "Change feed: Okta no longer accepts the saved position (%s); re-reading "
                    "from %s.",
                    exc.code or exc.status,
                    reader.since,
                )
                reader.resume_from = None
                changes = self._collect()
            elif exc.status == 403:
                return self._without_log(exc.code or "403 insufficient_scope")
            else:
                raise
        except OktaUnavailableError as exc:
            # A degraded System Log must not stop the directory: this run's
            # changes wait in the log, and the saved position is kept.
            logger.warning(
                "Change feed: the System Log could not be read this run (%s); removals "
                "and deletions are applied on the next run.",
                exc.message,
            )
            return Window(available=False)
        # Okta's clock is known once it answered: judge the gap on it.
        gap = bool(watermark) and parse_timestamp(str(watermark)) - LATE_ARRIVAL < (
            reader.retention_floor()
        )
        # Where a re-read would start if Okta refused the position: this read's
        # start on Okta's clock (the local one may be off).
        read_start = clock.now_datetime() - dt.timedelta(seconds=time.monotonic() - started)
        end = {"cursor": reader.last_next or "", "since": format_timestamp(read_start)}
        if not end["cursor"]:
            end.pop("cursor")
        if gap and watermark:
            logger.warning(
                "Change feed: the last saved position (%s) is older than Okta's 90-day "
                "retention; this run reads every directory stream completely.",
                watermark,
            )
        logger.info(
            "Change feed: %d %s changes since %s.", len(changes), reader.label, reader.since
        )
        return Window(changes=changes, end=end, gap=gap)

    def _without_log(self, reason: str) -> Window:
        """The System Log is not readable this run: warn once, and deletions wait."""
        self._unavailable = reason
        logger.warning(
            "Removals and deletions: the System Log is not readable with these "
            "credentials (%s). Grant the scope %s to the service app, or give the "
            "API token's admin a role that can read the System Log (e.g. Read-Only "
            "Administrator). Until then they reach the target only with the "
            "periodic complete read (full_sync_interval_days).",
            reason,
            LOGS_SCOPE,
        )
        return Window(available=False)

    def _collect(self) -> list[Change]:
        changes = []
        for event in self._reader.request_records(None):
            change = Change.from_event(event)
            if change is not None:
                changes.append(change)
        return changes


DELETED_AT = "_sdc_deleted_at"


def tombstone(deleted_at: str, **fields: t.Any) -> dict[str, t.Any]:
    """A deletion in the Singer convention: the primary key, what helps identify the
    row (names from the event), and ``_sdc_deleted_at``. Every stream builds its
    delete records here."""
    return {**fields, DELETED_AT: deleted_at}
