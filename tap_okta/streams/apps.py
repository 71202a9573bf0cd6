"""Apps and who is assigned to them."""

from __future__ import annotations

import logging
import typing as t

from typing_extensions import override

from tap_okta import schemas
from tap_okta import state as state_keys
from tap_okta.changes import (
    APP_DELETED,
    APP_GROUP_EVENTS,
    APP_GROUP_REMOVED,
    APP_USER_EVENTS,
    APP_USER_REMOVED,
    MEMBER_ADDED,
    MEMBER_REMOVED,
    Change,
    latest_by_key,
    tombstone,
)
from tap_okta.client import OktaStream, listing
from tap_okta.errors import OktaAPIError
from tap_okta.polling import LOGS_SCOPE
from tap_okta.redact import blank_app_secrets, blank_app_user_secrets
from tap_okta.schemas import ID_ONLY
from tap_okta.streams.base import DirectoryStream

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

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

    def read_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        state = self.get_context_state(context)
        self.start_run(state)
        deleted = self.window.targets("AppInstance", APP_DELETED)
        for app_id, change in deleted.items():
            target = change.target("AppInstance")
            label = target.display_name if target else None
            yield tombstone(change.published, id=app_id, label=label)
        listed: list[str] = []
        for app in self.request_records(context):
            if app["id"] not in deleted:
                yield app
                listed.append(str(app["id"]))
        self.run_context.app_ids = listed
        self.finish_run(state)

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        # Client secrets, passwords and API tokens do not belong in a warehouse
        # unless asked for.
        blank_app_secrets(row, keep=self.okta.settings.include_client_secrets)
        return row


def every_app(stream: OktaStream) -> list[str]:
    """Every app id: as this run's ``apps`` read (or an earlier per-app stream) listed
    them, else listed now (a job that does not select ``apps``), reported as ``stream``."""
    listed = stream.run_context.app_ids
    if listed is None:
        # Kept for the run's other per-app streams: the list is asked for once.
        listed = [str(app["id"]) for app in listing(stream, AppListing).request_records(None)]
        stream.run_context.app_ids = listed
    return listed


GROUPS_SCOPE = "okta.groups.read"


class GroupAppsListing(OktaStream):
    """Internal: the apps a group is assigned to (``/api/v1/groups/{groupId}/apps``)."""

    path = "/api/v1/groups/{groupId}/apps"
    primary_keys = ("id",)
    page_size = 200
    oauth_scope = GROUPS_SCOPE
    schema: t.ClassVar[dict[str, t.Any]] = ID_ONLY


class AssignmentLookup(OktaStream):
    """Internal: one assignment, ``{path}/{principalId}`` of its stream."""

    primary_keys = ("id",)
    oauth_scope = "okta.apps.read"
    takes_limit = False
    single_object = True
    schema: t.ClassVar[dict[str, t.Any]] = ID_ONLY


#: More changes than this for one app in one window (or than its pages, when the
#: state knows it is larger): that app is read again in full instead of asked
#: for each assignment.
REREAD_KEYS = 20


class AssignmentStream(DirectoryStream):
    """An app's assignments (users or groups).

    - A complete read (first run, every ``full_sync_interval_days``, or every run
      without the System Log) reads every app's assignments, app by app in id
      order; a run cut short by ``max_run_seconds`` resumes after the last app
      it finished (``state.PROGRESS``), with the same table version.
    - In between, the change feed names the assignments that may have changed:
      each is read on its own (``{path}/{id}``), and one that Okta no longer
      has becomes a deletion. An app named by many changes is read again whole.
    """

    parent_field = "appId"
    complete_without_feed = True
    #: Events naming an (app, principal) assignment.
    change_events: t.ClassVar[tuple[str, ...]]
    #: The System Log target type of the assigned user or group.
    principal_target: t.ClassVar[str]

    def read_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        state = self.stream_state
        plan = self.start_run(state)
        if plan.complete:
            yield from self._complete(state, resume=plan.resumed)
        else:
            yield from self._changes(state)
        self.finish_run(state)

    # -- a complete read, app by app -------------------------------------------

    def _complete(self, state: dict[str, t.Any], *, resume: bool) -> Iterator[dict[str, t.Any]]:
        done = self.resumed_after(state, resume)
        changed = self._changed_keys()
        sizes: dict[str, int] = dict(state.get(state_keys.SIZES) or {}) if done else {}
        apps = self.parents()
        if done:
            # Read in full by the run that was cut short; changed since: as in between.
            yield from self._apply(
                {app: keys for app, keys in changed.items() if app <= done}, sizes
            )
        for app_id in self.each_parent(state, apps, done):
            pending = changed.pop(app_id, {})
            rows = 0
            for row in self.read_parent(app_id):
                pending.pop(str(row["id"]), None)
                rows += 1
                yield row
            yield from self._gone(app_id, pending)
            if rows > REREAD_KEYS * self.page_size:
                sizes[app_id] = -(-rows // self.page_size)
            state[state_keys.SIZES] = sizes

    def parents(self) -> Iterable[str]:
        return every_app(self)

    # -- between complete reads: what the change feed names ---------------------

    def _changes(self, state: dict[str, t.Any]) -> Iterator[dict[str, t.Any]]:
        yield from self._apply(self._changed_keys(), state.get(state_keys.SIZES) or {})

    def _apply(
        self, changed: dict[str, dict[str, Change]], sizes: dict[str, int]
    ) -> Iterator[dict[str, t.Any]]:
        """Write what the window changed: each named assignment as Okta has it now."""
        deleted_apps = self.window.targets("AppInstance", APP_DELETED)
        for app_id, keys in sorted(changed.items()):
            if app_id in deleted_apps:
                # The app is gone, and every assignment with it.
                yield from self._gone(app_id, keys)
            elif len(keys) > sizes.get(app_id, REREAD_KEYS):
                logger.info(
                    "Stream '%s': %d changes for app %s; reading its assignments again.",
                    self.name,
                    len(keys),
                    app_id,
                )
                pending = dict(keys)
                for row in self.read_parent(app_id):
                    pending.pop(str(row["id"]), None)
                    yield row
                yield from self._gone(app_id, pending)
            else:
                for principal_id, change in sorted(keys.items()):
                    # Okta logs a removal when the access is gone (it refuses to
                    # unassign a user a group still covers): no need to ask.
                    removed = change.event_type in (APP_USER_REMOVED, APP_GROUP_REMOVED)
                    found = None if removed else self._lookup(app_id, principal_id)
                    if found is None:
                        yield tombstone(change.published, appId=app_id, id=principal_id)
                    else:
                        yield found

    def _lookup(self, app_id: str, principal_id: str) -> dict[str, t.Any] | None:
        """One assignment as Okta has it now (None: not assigned, or the app is gone)."""
        lookup = listing(self, AssignmentLookup)
        lookup.path = f"{self.path}/{{principalId}}"
        try:
            for row in lookup.request_records({"appId": app_id, "principalId": principal_id}):
                row["appId"] = app_id
                return row
        except OktaAPIError as exc:
            if exc.status != 404:
                raise
        return None

    def _gone(self, app_id: str, keys: dict[str, Change]) -> Iterator[dict[str, t.Any]]:
        for principal_id, change in sorted(keys.items()):
            yield tombstone(change.published, appId=app_id, id=principal_id)

    def _changed_keys(self) -> dict[str, dict[str, Change]]:
        """Per app, each principal whose assignment the window may have changed,
        with the latest event naming it."""
        if not self.window.available:
            return {}

        def key(change: Change) -> tuple[str, ...] | None:
            app, principal = change.target("AppInstance"), change.target(self.principal_target)
            return (app.id, principal.id) if app and principal else None

        latest = latest_by_key(self.window.of_type(*self.change_events), key)
        for (app_id, principal_id), change in self.derived_keys():
            seen = latest.get((app_id, principal_id))
            if seen is None or seen.published <= change.published:
                latest[(app_id, principal_id)] = change
        changed: dict[str, dict[str, Change]] = {}
        for (app_id, principal_id), change in latest.items():
            changed.setdefault(app_id, {})[principal_id] = change
        return changed

    def derived_keys(self) -> Iterator[tuple[tuple[str, str], Change]]:
        """Assignments that changed without an event naming them (none by default)."""
        return iter(())


class AppUsersStream(AssignmentStream):
    """Users assigned to each app (directly, or through a group: ``scope``), with
    their app-specific profile."""

    name = "app_users"
    path = "/api/v1/apps/{appId}/users"
    primary_keys = ("appId", "id")
    page_size = 500
    oauth_scope = "okta.apps.read"
    # The apps of a group whose members changed; without it, Okta's own per-user
    # assignment events still name those changes.
    optional_scopes = (LOGS_SCOPE, GROUPS_SCOPE)
    schema = schemas.APP_USER.to_dict()
    change_events = APP_USER_EVENTS
    principal_target = "User"

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        # An app user's own password (SWA, shared credentials) stays out of a warehouse.
        blank_app_user_secrets(row, keep=self.okta.settings.include_client_secrets)
        return row

    def derived_keys(self) -> Iterator[tuple[tuple[str, str], Change]]:
        """A member who joins or leaves a group gains or loses that group's apps
        (scope GROUP), whatever Okta logs for the app: one request per changed
        group (its app list), in the groups bucket."""
        apps_of: dict[str, list[str]] = {}
        changes = self.window.of_type(MEMBER_ADDED, MEMBER_REMOVED)
        if changes and not self.okta.authenticator.grants(GROUPS_SCOPE):
            logger.info(
                "Stream '%s': without %s, assignments through groups follow Okta's "
                "per-user assignment events only.",
                self.name,
                GROUPS_SCOPE,
            )
            return
        for change in changes:
            group, user = change.target("UserGroup"), change.target("User")
            if not group or not user:
                continue
            if group.id not in apps_of:
                groups_apps = listing(self, GroupAppsListing)
                try:
                    apps_of[group.id] = [
                        str(app["id"]) for app in groups_apps.request_records({"groupId": group.id})
                    ]
                except OktaAPIError as exc:
                    if exc.status != 404:
                        raise
                    apps_of[group.id] = []  # the group is gone: so are its assignments
            for app_id in apps_of[group.id]:
                yield (app_id, user.id), change


class AppGroupsStream(AssignmentStream):
    """Groups assigned to each app."""

    name = "app_groups"
    path = "/api/v1/apps/{appId}/groups"
    primary_keys = ("appId", "id")
    page_size = 200
    oauth_scope = "okta.apps.read"
    schema = schemas.APP_GROUP.to_dict()
    change_events = APP_GROUP_EVENTS
    principal_target = "UserGroup"
