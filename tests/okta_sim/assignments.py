"""Compact storage for one app's user assignments (``/api/v1/apps/{id}/users``).

A benchmark org holds millions of app users.  A dict of tuples per app costs about
300 bytes a row; here a row is a pointer to the user id string (shared with
``Org.users``), two 8-byte timestamps and one byte of flags, about 25 bytes.  The JSON
object is built only when a page or a single assignment is served
(``Org.app_user_obj``).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

# Flag bits of a row.
DIRECT = 1  # assigned to the user directly: scope USER (else only through a group: GROUP)
PROVISIONED = 2  # status PROVISIONED (else ACTIVE)
SYNCHRONIZED = 4  # syncState SYNCHRONIZED (else DISABLED)


class AppUserRow(NamedTuple):
    created: int  # epoch seconds
    last_updated: int
    flags: int

    @property
    def scope(self) -> str:
        return "USER" if self.flags & DIRECT else "GROUP"

    @property
    def status(self) -> str:
        return "PROVISIONED" if self.flags & PROVISIONED else "ACTIVE"

    @property
    def sync_state(self) -> str:
        return "SYNCHRONIZED" if self.flags & SYNCHRONIZED else "DISABLED"


class AppUserTable:
    """One app's app users in user id order: parallel arrays, plus the rare extras.

    ``extras`` holds what a mutation set on a row (an app user profile, a changed
    ``credentials.userName``); generated rows have none.
    """

    __slots__ = ("_created", "_flags", "_ids", "_updated", "extras")

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._created = array("q")
        self._updated = array("q")
        self._flags = bytearray()
        self.extras: dict[str, dict[str, Any]] = {}

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, int, int, int]]) -> AppUserTable:
        """Build from (user id, created, lastUpdated, flags) rows, in any order."""
        table = cls()
        for uid, created, updated, flags in sorted(rows):
            table._ids.append(uid)
            table._created.append(created)
            table._updated.append(updated)
            table._flags.append(flags)
        return table

    def _index(self, user_id: str) -> int:
        i = bisect_left(self._ids, user_id)
        return i if i < len(self._ids) and self._ids[i] == user_id else -1

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, user_id: object) -> bool:
        return isinstance(user_id, str) and self._index(user_id) >= 0

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    @property
    def ids(self) -> list[str]:
        """The user ids in order: the live list, read it under the org's lock."""
        return self._ids

    def get(self, user_id: str) -> AppUserRow | None:
        i = self._index(user_id)
        if i < 0:
            return None
        return AppUserRow(self._created[i], self._updated[i], self._flags[i])

    def put(self, user_id: str, created: int, updated: int, flags: int) -> None:
        """Insert the row, or replace the one the user has."""
        i = bisect_left(self._ids, user_id)
        if i < len(self._ids) and self._ids[i] == user_id:
            self._created[i] = created
            self._updated[i] = updated
            self._flags[i] = flags
            return
        self._ids.insert(i, user_id)
        self._created.insert(i, created)
        self._updated.insert(i, updated)
        self._flags.insert(i, flags)

    def pop(self, user_id: str) -> AppUserRow | None:
        """Remove the user's row; the row, or None when there was none."""
        i = self._index(user_id)
        if i < 0:
            return None
        row = AppUserRow(self._created[i], self._updated[i], self._flags[i])
        del self._ids[i]
        del self._created[i]
        del self._updated[i]
        del self._flags[i]
        self.extras.pop(user_id, None)
        return row
