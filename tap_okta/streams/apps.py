"""Apps and who is assigned to them: read in full every run (Okta has no change filter)."""

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
from tap_okta.errors import OktaAPIError
from tap_okta.redact import blank_client_secret
from tap_okta.streams.base import DirectoryStream

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context, Record

logger = logging.getLogger("tap-okta")


class AppsStream(DirectoryStream):
    """All apps, every run; deleted apps from the change feed.

    Every run reads the whole family (apps, app_users, app_groups), so every
    run is a complete read: ACTIVATE_VERSION follows each of them when the
    target asks for it.
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
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        state = self.get_context_state(context)
        self.start_run(state)
        deleted: dict[str, Change] = {}
        for change in self.window.of_type(APP_DELETED):
            target = change.target("AppInstance")
            if target:
                deleted[target.id] = change
        for app_id, change in deleted.items():
            target = change.target("AppInstance")
            yield tombstone(change, id=app_id, label=target.display_name if target else None)
        for app in self.request_records(context):
            if app["id"] not in deleted:
                yield app
        self.finish_run(state)
        # Every app's assignments are written by now.
        for child in self.child_streams:
            if isinstance(child, AssignmentStream) and child.selected:
                child.finish_family(child.stream_state)

    @override
    def generate_child_contexts(
        self, record: Record, context: Context | None
    ) -> Iterable[Context | None]:
        if "_sdc_deleted_at" not in record:  # a deleted app has no assignments to read
            yield {"appId": record["id"]}

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        # OIDC client secrets do not belong in a warehouse unless asked for.
        client = (row.get("credentials") or {}).get("oauthClient")
        blank_client_secret(client, keep=self.okta.settings.include_client_secrets)
        return row


class AssignmentStream(DirectoryStream):
    """An app's assignments (users or groups), read for every app, every run.

    ``state_partitioning_keys = []`` keeps one small state for the stream
    instead of one entry per app; the SDK then no longer injects the app id,
    so ``post_process`` does. Unassignments in the change feed that the read
    no longer shows are written as deletions after each app's read.
    """

    parent_stream_type = AppsStream
    state_partitioning_keys: t.ClassVar[list[str]] = []
    always_complete = True
    added_event: t.ClassVar[str]
    removed_event: t.ClassVar[str]
    #: The System Log target type of the assigned user or group.
    principal_target: t.ClassVar[str]

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._removed: dict[str, dict[str, Change]] | None = None

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        assert context is not None
        row["appId"] = context["appId"]
        return row

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        assert context is not None
        if self._removed is None:
            self.start_run(self.stream_state)
            self._removed = self._removals()
        removed = dict(self._removed.get(context["appId"], {}))
        try:
            for row in self.request_records(context):
                removed.pop(row["id"], None)
                yield row
        except OktaAPIError as exc:
            # The app was deleted between listing it and reading its assignments.
            if exc.status != 404:
                raise
            logger.info("Stream '%s': %s is gone; skipping it.", self.name, context)
            return
        for principal_id, change in removed.items():
            yield tombstone(change, id=principal_id)

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

    def finish_family(self, state: dict[str, t.Any]) -> None:
        """Called by ``apps`` once every app's assignments are written."""
        if self._removed is None:  # no app at all: still a complete read
            self.start_run(state)
        self.finish_run(state)
        self._removed = None


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
