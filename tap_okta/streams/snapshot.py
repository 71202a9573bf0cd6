"""Security configuration read in full every run, deletions found by comparing runs.

Policies, zones, roles and the like number in the tens or hundreds, and Okta
has no change filter for most of them: each run reads them completely. What a
run no longer lists was deleted; ``KnownKeys`` keeps the ids the last run
wrote (per parent, for children such as policy rules), so the run can write a
deletion (``_sdc_deleted_at``: Okta's time when the read began) for each id
that is gone, and every read ends with ACTIVATE_VERSION when asked for.

``/api/v1/iam/*`` answers with an object (records under a key, the next page
in ``_links.next.href``) instead of a bare array with a ``Link`` header.
"""

from __future__ import annotations

import logging
import typing as t

from typing_extensions import override

from tap_okta import reconcile, sdk_compat
from tap_okta.bookmarks import format_timestamp
from tap_okta.client import OktaLinkPaginator, OktaStream, resolve_org_link
from tap_okta.errors import OktaAPIError

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    import requests
    from singer_sdk.helpers.types import Context

logger = logging.getLogger("tap-okta")

KNOWN_KEY = "known"
#: Above this many ids, a stream stops keeping them (state would grow too
#: large) and relies on ACTIVATE_VERSION alone for deletions.
KNOWN_LIMIT = 20_000
TOP = ""  # the parent key of a top-level stream's ids


class KnownKeys:
    """The ids the last run wrote, per parent id, as kept in the stream's state."""

    def __init__(self, state: t.Mapping[str, t.Any]) -> None:
        saved = state.get(KNOWN_KEY)
        #: None: never saved (first run, or too many to keep): nothing to compare.
        self._before: dict[str, list[str]] | None = None
        if isinstance(saved, dict):
            self._before = {str(k): [str(i) for i in v] for k, v in saved.items()}
        self._now: dict[str, list[str]] = {}

    def replace(self, parent: str, ids: t.Sequence[str]) -> list[str]:
        """Record ``parent``'s ids as read now; return the ones that are gone."""
        self._now[parent] = list(ids)
        if self._before is None:
            return []
        present = set(ids)
        return [i for i in self._before.get(parent, ()) if i not in present]

    def unvisited(self) -> dict[str, list[str]]:
        """After a read of every parent: the ids of parents it no longer found."""
        if self._before is None:
            return {}
        return {p: ids for p, ids in self._before.items() if p not in self._now and ids}

    def keep_unvisited(self) -> None:
        """A partial read: parents it did not visit keep their saved ids."""
        for parent, ids in (self._before or {}).items():
            self._now.setdefault(parent, ids)

    def save(self, state: dict[str, t.Any], stream_name: str) -> None:
        count = sum(len(ids) for ids in self._now.values())
        if count > KNOWN_LIMIT:
            logger.info(
                "Stream '%s': %d records are too many to keep their ids in the state; "
                "deletions reach the target through ACTIVATE_VERSION only.",
                stream_name,
                count,
            )
            state.pop(KNOWN_KEY, None)
            return
        state[KNOWN_KEY] = {p: ids for p, ids in self._now.items() if ids}


class SecurityStream(OktaStream):
    """A security stream: not selected by default (it needs its own scope and role)."""

    selected_by_default = False

    def skipped_by_test(self) -> bool:
        """True in the SDK's ``--test``, which forces every stream and takes no catalog.

        Unselected by default, these streams are only read without a catalog there:
        credentials made for the default streams must pass it.
        """
        if self.okta_tap.input_catalog is not None:
            return False
        logger.info("Stream '%s' is not selected by default: --test skips it.", self.name)
        return True

    @property
    @override
    def emit_activate_version_messages(self) -> bool:
        # Sent by the stream itself, after a complete read only.
        return False

    @property
    def activate_version_wanted(self) -> bool:
        return bool(self.config.get("emit_activate_version_messages", False))


class SnapshotStream(SecurityStream):
    """Read in full every run; ids gone since the last run become deletions.

    A top-level stream reads its own path; a child (``parent_field`` set)
    lists its parents with ``parents()`` and reads ``path`` once per parent.
    """

    replication_key = None
    #: The field that names a child record's parent (None: top-level).
    parent_field: t.ClassVar[str | None] = None
    #: The record field that identifies a record within its parent.
    key_field: t.ClassVar[str] = "id"

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        if self.skipped_by_test():
            return
        state = self.stream_state
        now = self.okta.rate_limiter.server_clock.now_datetime()
        plan = reconcile.plan_read(state, now=now, interval_days=0, always_complete=True)
        reconcile.begin(state, plan)
        version = plan.version if self.activate_version_wanted else None
        sdk_compat.set_record_version(self, version)
        known = KnownKeys(state)
        deleted_at = format_timestamp(now)
        for parent, parent_context in self.parents():
            ids: list[str] = []
            for row in self.read_parent(parent, parent_context):
                yield row
                ids.append(str(row[self.key_field]))
            for gone in known.replace(parent, ids):
                yield self.deletion(parent, gone, deleted_at)
        for parent, ids in known.unvisited().items():
            for gone in ids:
                yield self.deletion(parent, gone, deleted_at)
        known.save(state, self.name)
        reconcile.finish(state, plan)
        if version and self.selected:
            sdk_compat.write_activate_version(self, version)
        sdk_compat.set_record_version(self, None)

    def parents(self) -> Iterator[tuple[str, Context | None]]:
        """Each parent's id and the context that fills ``path`` (top-level: one)."""
        yield TOP, None

    def read_parent(self, parent: str, context: Context | None) -> Iterator[dict[str, t.Any]]:
        """One parent's records; a parent deleted since it was listed has none."""
        try:
            for row in self.request_records(context):
                if self.parent_field:
                    row[self.parent_field] = parent
                yield row
        except OktaAPIError as exc:
            if exc.status != 404 or not self.parent_field:
                raise
            logger.info(
                "Stream '%s': %s %s is gone; skipping it.", self.name, self.parent_field, parent
            )

    def deletion(self, parent: str, key: str, deleted_at: str) -> dict[str, t.Any]:
        row: dict[str, t.Any] = {self.key_field: key, "_sdc_deleted_at": deleted_at}
        if self.parent_field:
            row[self.parent_field] = parent
        return row


class IamPaginator(OktaLinkPaginator):
    """``/api/v1/iam/*``: the next page is ``_links.next.href`` in the body."""

    @override
    def get_next_url(self, response: requests.Response) -> str | None:
        try:
            body = response.json()
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        href = ((body.get("_links") or {}).get("next") or {}).get("href")
        return resolve_org_link(href, self._org, self._stream_name) if href else None


class IamListing(OktaStream):
    """Mixin for ``/api/v1/iam/*`` lists: records under ``records_key``."""

    records_key: t.ClassVar[str]

    @override
    def get_new_paginator(self) -> IamPaginator:
        return IamPaginator(self.okta.settings.org, self.name)

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        body = self._bodies.pop(id(response), None)
        if body is None:
            body = self._json_body(response)
        items = body.get(self.records_key) if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise OktaAPIError(
                f"Okta answered {self.path} for stream '{self.name}' without the list "
                f"'{self.records_key}' it documents: check org_url."
            )
        yield from items


def listing(stream: OktaStream, listing_type: type[OktaStream]) -> OktaStream:
    """An internal listing (never in the catalog) that reports errors as ``stream``."""
    return listing_type(tap=stream.okta_tap, name=stream.name)
