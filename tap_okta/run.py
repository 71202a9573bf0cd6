"""What one run's streams share: ``RunContext``, owned by the tap, one per run.

A stream learns some things another stream of the same run can use instead
of asking Okta again: the app ids ``apps`` listed serve ``app_users`` and
``app_groups``; every group ``groups`` listed (on a complete read) serves
``group_members``. The System Log change feeds are read once and serve every
stream that follows them, and the run's time cap is one for all streams.
All of it lives here, explicitly, instead of on the tap or in module lists.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from singer_sdk.helpers.types import Record

    from tap_okta.budget import RunBudget
    from tap_okta.changes import ChangeFeed


@dataclass
class ListedGroups:
    """Every group of the org as this run's ``groups`` read listed them."""

    ids: list[str] = field(default_factory=list)
    everyone: str | None = None

    def add(self, group: Record) -> None:
        self.ids.append(str(group["id"]))
        if is_everyone(group):
            self.everyone = str(group["id"])


def is_everyone(group: Record) -> bool:
    """The built-in Everyone group (Okta logs no membership event for it)."""
    return group.get("type") == "BUILT_IN" and (group.get("profile") or {}).get("name") == (
        "Everyone"
    )


@dataclass(frozen=True)
class RoleAssignment:
    """One admin role assignment, of a user (directly) or of a group."""

    principal_type: str  # "user" | "group"
    principal_id: str
    id: str
    type: str


@dataclass
class ListedRoleAssignments:
    """The role assignments this run's ``user_roles`` and ``group_roles`` reads listed,
    each kind only when its read listed every one (None: it did not)."""

    users: list[RoleAssignment] | None = None
    groups: list[RoleAssignment] | None = None
    #: The groups this run's ``group_roles`` read between complete reads (the ones the
    #: System Log named), each with its assignments now.
    groups_read: dict[str, list[RoleAssignment]] = field(default_factory=dict)
    #: This run's ``group_roles`` read finished (``groups_read`` is all it read).
    group_roles_done: bool = False


@dataclass
class RunContext:
    """One run's shared knowledge; each stream reads it as ``self.run_context``."""

    #: The run's time cap (``max_run_seconds``).
    budget: RunBudget
    #: Builds a change feed by name (``DirectoryStream.feed_attribute``) on first use:
    #: its reader needs the connection, opened once the catalog is known.
    open_feed: Callable[[str], ChangeFeed]
    #: The app ids this run's ``apps`` read listed (None: not read yet).
    app_ids: list[str] | None = None
    #: Every group, when this run's ``groups`` read listed them all (None: it did not).
    groups: ListedGroups | None = None
    #: The admin role assignments this run's role reads listed in full.
    role_assignments: ListedRoleAssignments = field(default_factory=ListedRoleAssignments)
    _feeds: dict[str, ChangeFeed] = field(default_factory=dict)

    def feed(self, name: str) -> ChangeFeed:
        """The run's change feed ``name``: one System Log query, read once per run."""
        if name not in self._feeds:
            self._feeds[name] = self.open_feed(name)
        return self._feeds[name]
