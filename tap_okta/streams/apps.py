"""Apps and who is assigned to them."""

from __future__ import annotations

import logging
import typing as t

from typing_extensions import override

from tap_okta import schemas
from tap_okta.changes import (
    APP_DELETED,
    APP_GROUP_ADDED,
    APP_GROUP_REMOVED,
    APP_USER_ADDED,
    APP_USER_REMOVED,
    Change,
    latest_by_key,
    tombstone,
)
from tap_okta.client import OktaStream, listing
from tap_okta.redact import blank_client_secret
from tap_okta.schemas import ID_ONLY
from tap_okta.streams.base import DirectoryStream

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context, Record

logger = logging.getLogger("tap-okta")


class AppListing(OktaStream):
    """Internal: the org's apps, for the assignment streams (never in the catalog)."""

    path = "/api/v1/apps"
    primary_keys = ("id",)
    page_size = 200
    oauth_scope = "okta.apps.read"
    schema: t.ClassVar[dict[str, t.Any]] = ID_ONLY


class AppsStream(DirectoryStream):
    """All apps, every run; deleted apps from the change feed.

    The list is a few pages, so it is read in full every run: each run is a
    complete read and ACTIVATE_VERSION follows it when the target asks for it.
    The ids it read serve the assignment streams of the same run.
    """

    name = "apps"
    path = "/api/v1/apps"
    primary_keys = ("id",)
    replication_key = None
    page_size = 200
    oauth_scope = "okta.apps.read"
    schema = schemas.APP.to_dict()
    always_complete = True

    @override
    def read_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        state = self.get_context_state(context)
        self.start_run(state)
        deleted: dict[str, Change] = {}
        for change in self.window.of_type(APP_DELETED):
            target = change.target("AppInstance")
            if target:
                deleted[target.id] = change
        for app_id, change in deleted.items():
            target = change.target("AppInstance")
            label = target.display_name if target else None
            yield tombstone(change.published, id=app_id, label=label)
        listed: list[str] = []
        for app in self.request_records(context):
            if app["id"] not in deleted:
                yield app
                listed.append(str(app["id"]))
        self.okta_tap.listed_app_ids = listed
        self.finish_run(state)

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        # OIDC client secrets do not belong in a warehouse unless asked for.
        client = (row.get("credentials") or {}).get("oauthClient")
        blank_client_secret(client, keep=self.okta.settings.include_client_secrets)
        return row


class AssignmentStream(DirectoryStream):
    """An app's assignments (users or groups), read for every app, every run.

    The apps come from this run's ``apps`` read when it ran, else from a
    listing of its own. Unassignments in the change feed that the read no
    longer shows are written as deletions after each app's read.
    """

    always_complete = True
    parent_field = "appId"
    added_event: t.ClassVar[str]
    removed_event: t.ClassVar[str]
    #: The System Log target type of the assigned user or group.
    principal_target: t.ClassVar[str]

    @override
    def read_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        state = self.stream_state
        self.start_run(state)
        removals = self._removals()
        for app_id in self.parents():
            removed = dict(removals.get(app_id, {}))
            for row in self.read_parent(app_id):
                removed.pop(row["id"], None)
                yield row
            for principal_id, change in removed.items():
                yield tombstone(change.published, appId=app_id, id=principal_id)
        self.finish_run(state)

    def parents(self) -> Iterable[str]:
        listed = self.okta_tap.listed_app_ids
        if listed is not None:
            return listed
        return [str(app["id"]) for app in listing(self, AppListing).request_records(None)]

    def _removals(self) -> dict[str, dict[str, Change]]:
        """Per app: principals whose last change in the window removed them."""

        def key(change: Change) -> tuple[str, ...] | None:
            app, principal = change.target("AppInstance"), change.target(self.principal_target)
            return (app.id, principal.id) if app and principal else None

        latest = latest_by_key(self.window.of_type(self.added_event, self.removed_event), key)
        removed: dict[str, dict[str, Change]] = {}
        for (app_id, principal_id), change in latest.items():
            if change.removed:
                removed.setdefault(app_id, {})[principal_id] = change
        return removed


class AppUsersStream(AssignmentStream):
    """Users assigned to each app, with their app-specific profile."""

    name = "app_users"
    path = "/api/v1/apps/{appId}/users"
    primary_keys = ("appId", "id")
    page_size = 500
    oauth_scope = "okta.apps.read"
    schema = schemas.APP_USER.to_dict()
    added_event = APP_USER_ADDED
    removed_event = APP_USER_REMOVED
    principal_target = "User"


class AppGroupsStream(AssignmentStream):
    """Groups assigned to each app."""

    name = "app_groups"
    path = "/api/v1/apps/{appId}/groups"
    primary_keys = ("appId", "id")
    page_size = 200
    oauth_scope = "okta.apps.read"
    schema = schemas.APP_GROUP.to_dict()
    added_event = APP_GROUP_ADDED
    removed_event = APP_GROUP_REMOVED
    principal_target = "UserGroup"
