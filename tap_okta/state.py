"""Every key tap-okta writes into a stream's state, and what it means.

Meltano keeps a stream's state (``bookmarks.<stream>``) between runs and hands
it back; the tap reads and writes nothing else. Besides the SDK's own keys
(``replication_key_value`` and its unsorted-stream progress markers, see
``tap_okta.sdk_compat``), a stream's state may hold the keys below. Each
module that writes one takes its name from here, so this file is the single
description of the state's shape.

The state's top level also holds ``okta_org``, the org it belongs to
(``tap_okta.state_check.ORG``, checked before any stream reads its state).

All values are JSON: timestamps in Okta's form (``2024-01-31T12:00:00.000Z``),
links relative to the org (``/api/v1/logs?after=…``), never credentials.
"""

from __future__ import annotations

import typing as t

#: Okta's time when a stream's last completed read began, minus a safety margin.
HORIZON = "horizon"
#: Records emitted at the next query's lower bound (``bookmarks.Delivered``).
DELIVERED = "delivered"
#: The change feed's saved position for this stream (``ChangePosition``).
CHANGES = "changes"
#: Complete reads: when the last one began, or the one under way (``FullSync``).
FULL_SYNC = "full_sync"
#: Ids the last full read wrote, per parent id (``KnownIds``).
KNOWN = "known"
#: ``logs``: Okta's ``next`` link to read next.
CURSOR = "cursor"
#: ``group_members``: Okta's time when the last read began (re-reads without the log).
READ_STARTED = "read_started"
#: ``group_members``: the built-in Everyone group's id.
EVERYONE = "everyone"
#: A per-parent complete read cut short (bounded run): the parents already read
#: (``Progress``; group_members, app_users, app_groups, group_roles, user_factors).
PROGRESS = "progress"
#: App assignments: pages per app, for the apps too large to read again for a few
#: changes (more than ``streams.apps.REREAD_KEYS`` pages at the last complete read).
SIZES = "sizes"
#: role_targets: the group role assignments it read last ("<group id>/<assignment
#: id>/<type>"), so a run whose group_roles read was not complete need not ask every group.
GROUP_ASSIGNMENTS = "group_assignments"


class ChangePosition(t.TypedDict, total=False):
    """Where a stream's change feed resumes: Okta's ``next`` link of the filtered
    System Log query, and the read's start (the fallback when Okta no longer
    accepts the link)."""

    cursor: str
    since: str


class FullSync(t.TypedDict, total=False):
    """``last_complete``: Okta's time when the last complete read began. While a
    complete read is under way, ``version`` (its table version, epoch ms) and
    ``started``, so an interrupted one resumes with the same version."""

    last_complete: str
    version: int
    started: str


#: ``known``: parent id ("" for a top-level stream) -> ids written by the last read
#: (``group_roles`` updates a group's entry as soon as the group is written, so a
#: complete read resumed after ``progress`` compares against the cut run's ids).
KnownIds: t.TypeAlias = dict[str, list[str]]


class Progress(t.TypedDict, total=False):
    """A complete read of a per-parent stream that a run's time cap cut short:
    ``done`` is the last parent id read in full (parents are read in id order),
    so the next run goes on after it with the same table version."""

    done: str


class DirectoryState(t.TypedDict, total=False):
    """What a directory stream (users, groups, group_members, apps family, the
    security streams that follow a change feed) keeps, beside the SDK's keys."""

    horizon: str
    delivered: list[str]
    changes: ChangePosition
    full_sync: FullSync
    known: KnownIds
    read_started: str
    everyone: str
    progress: Progress
    sizes: dict[str, int]


class LogsState(t.TypedDict, total=False):
    """``logs``: Okta's next link, and the boundary events (with the SDK's
    ``replication_key_value``, the newest ``published`` emitted)."""

    cursor: str
    delivered: list[str]


class SnapshotState(t.TypedDict, total=False):
    """A security stream read in full every run: the ids it wrote, and its table
    version while a read is under way."""

    known: KnownIds
    full_sync: FullSync
