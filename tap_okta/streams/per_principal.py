"""Per-user and per-group security reads, and devices: all on a complete run,
only what the System Log says changed in between.

Okta has one request per user for factors and one per group for roles: a
50,000-user org cannot pay 50,000 factor requests every hour. A complete read
(first run, every ``full_sync_interval_days``) reads every principal; in
between, the stream re-reads only the principals named by the security
change feed (factor enrolments and resets, role grants and revocations).

- ``group_roles`` keeps the assignment ids it wrote in its state (admin roles
  are few), so an assignment a re-read no longer shows becomes a deletion.
- ``user_factors`` is too large for that (see ``UserFactorsStream``): a factor
  removed between complete reads leaves the table at the next complete read.
- ``devices`` is incremental on ``lastUpdated`` like ``groups``, with
  deletions from ``device.lifecycle.delete``.
- ``role_targets`` (per admin role assignment) and ``group_owners`` (per group)
  have no event to follow: every run is a complete read, resumable like the others.
"""

from __future__ import annotations

import logging
import typing as t

from typing_extensions import override

from tap_okta import security_schemas as schemas
from tap_okta import state as state_keys
from tap_okta.bookmarks import format_timestamp
from tap_okta.changes import (
    APP_DELETED,
    APP_GRANT_EVENTS,
    APP_UPDATED,
    DEVICE_DELETED,
    FACTOR_EVENTS,
    GROUP_DELETED,
    GROUP_ROLE_EVENTS,
    USER_DELETED,
    Change,
    Target,
    Window,
)
from tap_okta.client import ObjectLookup, OktaStream, listing
from tap_okta.errors import OktaAPIError
from tap_okta.polling import LOGS_SCOPE
from tap_okta.run import RoleAssignment
from tap_okta.schemas import ID_ONLY
from tap_okta.streams.apps import every_app
from tap_okta.streams.base import ChangeTrackingStream, DirectoryStream
from tap_okta.streams.directory import GroupListing
from tap_okta.streams.roles import ROLES_ROLE, ROLES_SCOPE, UserRolesStream
from tap_okta.streams.snapshot import KnownKeys

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk.helpers.types import Context, Record

logger = logging.getLogger("tap-okta")


class FanOutStream(DirectoryStream):
    """One request per principal: all of them on a complete read, the changed ones in between.

    A complete read goes principal by principal in id order (``each_parent``): a run
    cut short by ``max_run_seconds`` is resumed after the last principal it wrote in
    full, with the same table version; the principals before it that the change feed
    names since are read again, as between complete reads.
    """

    selected_by_default = False
    feed_attribute = "security_feed"
    replication_key = None
    #: The System Log target type of the principal (``parent_field`` names it in records).
    principal_target: t.ClassVar[str]
    #: Events that name a principal whose records must be read again.
    change_events: t.ClassVar[tuple[str, ...]]
    #: Keep the ids written per principal, for exact deletions.
    track_keys: t.ClassVar[bool] = True
    #: The record field that identifies a record within its principal.
    key_field: t.ClassVar[str] = "id"

    def read_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        state = self.stream_state
        plan = self.start_run(state)
        read_start = format_timestamp(self.okta.rate_limiter.server_clock.now_datetime())
        known = (
            KnownKeys(state, parent_field=self.parent_field, key_field=self.key_field)
            if self.track_keys
            else None
        )
        changed = self.changed_principals(self.window)
        if plan.complete:
            done = self.resumed_after(state, plan.resumed)
            principals = list(self.every_principal())
            if done:
                # Read in full by the run that was cut short: their ids stand, and
                # the ones the window names since are read again, as in between.
                for principal in principals:
                    if principal <= done and known:
                        known.keep(principal)
                again = {p: change for p, change in changed.items() if p <= done}
                yield from self._read_each(again.items(), state, known, read_start)
            rest = ((principal, None) for principal in self.each_parent(state, principals, done))
            yield from self._read_each(rest, state, known, read_start)
        else:
            yield from self._read_each(changed.items(), state, known, read_start)
        if known:
            if plan.complete and not self.cut_short:
                yield from known.vanished(read_start)
            else:
                known.keep_unvisited()
            known.save(state, self.name)
        self.finish_run(state)

    def _read_each(
        self,
        principals: Iterable[tuple[str, Change | None]],
        state: dict[str, t.Any],
        known: KnownKeys | None,
        read_start: str,
    ) -> Iterator[dict[str, t.Any]]:
        """Each principal's records, then (``known``) a deletion for each id gone,
        at the time of the event that named it or of the read's start."""
        for principal, change in principals:
            rows = self.read_parent(principal)
            if known is None:
                yield from rows
                continue
            yield from known.read(principal, rows, change.published if change else read_start)
            known.checkpoint(state, principal)

    def every_principal(self) -> Iterator[str]:
        raise NotImplementedError

    def changed_principals(self, window: Window) -> dict[str, Change]:
        """Principals named by the window's events, each with its last event."""
        return window.targets(self.principal_target, *self.change_events)


class GroupRolesStream(FanOutStream):
    """Admin role assignments of groups (their members hold the roles)."""

    name = "group_roles"
    path = "/api/v1/groups/{groupId}/roles"
    primary_keys = ("groupId", "id")
    oauth_scope = ROLES_SCOPE
    admin_role = ROLES_ROLE
    takes_limit = False
    extra_scopes = ("okta.groups.read",)  # the groups listing of a complete read
    schema = schemas.GROUP_ROLE.to_dict()
    parent_field = "groupId"
    principal_target = "UserGroup"
    change_events = (*GROUP_ROLE_EVENTS, GROUP_DELETED)

    def every_principal(self) -> Iterator[str]:
        for group in listing(self, GroupListing).request_records(None):
            yield str(group["id"])

    def read_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        # What role_targets, later in the run, takes instead of asking every group
        # again: every group's assignments after a complete read; in between, those of
        # the groups read again (the ones the System Log named).
        known = self.run_context.role_assignments
        listed: list[RoleAssignment] = []
        for row in super().read_records(context):
            yield row
            group_id = str(row["groupId"])
            held = known.groups_read.setdefault(group_id, [])
            if not row.get("_sdc_deleted_at"):
                assignment = RoleAssignment("group", group_id, str(row["id"]), str(row["type"]))
                listed.append(assignment)
                held.append(assignment)
        if self.cut_short:
            return
        known.group_roles_done = True
        if self._plan is not None and self._plan.complete:
            known.groups = listed


#: Role types Okta scopes to groups, and to apps (RoleBTargetAdmin in Okta's OpenAPI:
#: "List all admin role group targets" names these three, the app targets APP_ADMIN).
GROUP_TARGET_TYPES = frozenset({"USER_ADMIN", "HELP_DESK_ADMIN", "GROUP_MEMBERSHIP_ADMIN"})
APP_TARGET_TYPES = frozenset({"APP_ADMIN"})


class RoleTargetListing(OktaStream, internal=True):
    """One role assignment's targets of one kind (``path`` set per assignment)."""

    page_size = 200  # Okta's queryLimit: default 20, largest 200
    oauth_scope = ROLES_SCOPE
    primary_keys = ("id",)
    # An OIN app target (every instance of it) has a name and no id.
    required_fields = ()
    schema: t.ClassVar[dict[str, t.Any]] = ID_ONLY


class RoleTargetsStream(FanOutStream):
    """The groups and apps each scoped admin role assignment covers.

    Read in full every run (Okta logs no event for a target added or removed), one
    assignment at a time in id order, resumable under ``max_run_seconds``; a target
    gone since the last run becomes a deletion. Only assignments of a type that takes
    targets are asked; one without any is org-wide (all groups, all apps).
    """

    name = "role_targets"
    path = "/api/v1/users/{principalId}/roles/{roleAssignmentId}/targets/groups"
    primary_keys = (
        "principal_type",
        "principal_id",
        "role_assignment_id",
        "target_type",
        "target_id",
    )
    page_size = RoleTargetListing.page_size
    oauth_scope = ROLES_SCOPE
    admin_role = ROLES_ROLE
    # New to existing service apps' jobs: without it, skipped with a warning.
    optional_scopes = (ROLES_SCOPE, LOGS_SCOPE)
    extra_scopes = ("okta.groups.read",)  # the groups whose assignments it lists itself
    schema = schemas.ROLE_TARGET.to_dict()
    always_complete = True
    parent_field = "role_assignment"  # "user/<id>/<assignment id>", a run's own key
    key_field = "target_key"  # "group/<id>" or "app/<id or name>"
    principal_target = "UserGroup"
    change_events = ()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._role_types: dict[str, str] = {}

    def every_principal(self) -> Iterator[str]:
        for assignment in self._assignments():
            if assignment.type in GROUP_TARGET_TYPES | APP_TARGET_TYPES:
                parent = f"{assignment.principal_type}/{assignment.principal_id}/{assignment.id}"
                self._role_types[parent] = assignment.type
                yield parent

    def _assignments(self) -> Iterator[RoleAssignment]:
        """This run's role reads' assignments; those it did not list whole, its own."""
        known = self.run_context.role_assignments
        if known.users is not None:
            yield from known.users
        else:
            users = listing(self, UserRolesStream)
            for user_id in t.cast("UserRolesStream", users).parents():
                for row in users.read_parent(user_id):
                    if row.get("assignmentType") == "USER":
                        yield RoleAssignment("user", user_id, str(row["id"]), str(row["type"]))
        yield from self._group_assignments()

    def _group_assignments(self) -> list[RoleAssignment]:
        """Every group's assignments: from this run's complete group_roles read; else
        the ones this stream read last run, with the groups group_roles read again
        replaced; else (no earlier run, or no group_roles in the run) every group's."""
        known = self.run_context.role_assignments
        state = self.stream_state
        saved = state.get(state_keys.GROUP_ASSIGNMENTS)
        if known.groups is not None:
            found = list(known.groups)
        elif isinstance(saved, list) and known.group_roles_done:
            found = [
                RoleAssignment("group", *str(entry).split("/", 2))
                for entry in saved
                if str(entry).split("/", 1)[0] not in known.groups_read
            ]
            found += [a for held in known.groups_read.values() for a in held]
        else:
            found = list(self._every_group_assignment())
        state[state_keys.GROUP_ASSIGNMENTS] = sorted(
            f"{a.principal_id}/{a.id}/{a.type}" for a in found
        )
        return found

    def _every_group_assignment(self) -> Iterator[RoleAssignment]:
        groups = self.run_context.groups
        group_ids = (
            groups.ids
            if groups is not None
            else [str(g["id"]) for g in listing(self, GroupListing).request_records(None)]
        )
        roles = listing(self, GroupRolesStream)
        for group_id in group_ids:
            for row in roles.read_parent(group_id):
                yield RoleAssignment("group", group_id, str(row["id"]), str(row["type"]))

    def read_parent(self, parent: str) -> Iterator[dict[str, t.Any]]:
        principal_type, principal_id, assignment_id = parent.split("/", 2)
        role_type = self._role_types[parent]
        kind = "groups" if role_type in GROUP_TARGET_TYPES else "catalog/apps"
        targets = listing(self, RoleTargetListing)
        targets.path = (
            f"/api/v1/{principal_type}s/{{principalId}}/roles/{{roleAssignmentId}}/targets/{kind}"
        )
        context = {"principalId": principal_id, "roleAssignmentId": assignment_id}
        try:
            for target in targets.request_records(context):
                if kind == "groups":
                    target_type, target_id, app_name = "group", str(target["id"]), None
                else:
                    # An app instance carries its id; an OIN app (every instance) only
                    # its name.
                    app_name = target.get("name")
                    target_type, target_id = "app", str(target.get("id") or app_name)
                yield {
                    "principal_type": principal_type,
                    "principal_id": principal_id,
                    "role_assignment_id": assignment_id,
                    "role_type": role_type,
                    "target_type": target_type,
                    "target_id": target_id,
                    "app_name": app_name,
                    "target": target,
                    "role_assignment": parent,
                    "target_key": f"{target_type}/{target_id}",
                }
        except OktaAPIError as exc:
            if exc.status != 404:
                raise
            logger.info(
                "Stream '%s': role assignment %s of %s %s is gone; skipping it.",
                self.name,
                assignment_id,
                principal_type,
                principal_id,
            )

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        if row.get("_sdc_deleted_at") and "principal_type" not in row:
            # A deletion carries the run's own keys only: spell out the table's.
            principal_type, principal_id, assignment_id = str(row["role_assignment"]).split("/", 2)
            target_type, target_id = str(row["target_key"]).split("/", 1)
            row.update(
                principal_type=principal_type,
                principal_id=principal_id,
                role_assignment_id=assignment_id,
                target_type=target_type,
                target_id=target_id,
            )
        return row


class GroupOwnersStream(FanOutStream):
    """Who owns each group (approves its membership): users, or groups.

    Okta logs no event for an owner added or removed: read in full every run, one
    group at a time in id order, resumable under ``max_run_seconds``; an owner gone
    since the last run becomes a deletion.
    """

    name = "group_owners"
    path = "/api/v1/groups/{group_id}/owners"
    primary_keys = ("group_id", "id")
    page_size = 1000  # Okta's default; it documents no other limit
    oauth_scope = "okta.groups.read"
    optional_scopes = (oauth_scope, LOGS_SCOPE)
    schema = schemas.GROUP_OWNER.to_dict()
    always_complete = True
    parent_field = "group_id"
    principal_target = "UserGroup"
    change_events = ()

    def every_principal(self) -> Iterator[str]:
        groups = self.run_context.groups
        if groups is not None:
            yield from groups.ids
            return
        for group in listing(self, GroupListing).request_records(None):
            yield str(group["id"])


class UserListing(OktaStream, internal=True):
    """Every user, DEPROVISIONED included (a plain list leaves those out)."""

    name = "user_factors"
    path = "/api/v1/users"
    primary_keys = ("id",)
    page_size = 200
    oauth_scope = "okta.users.read"
    schema: t.ClassVar[dict[str, t.Any]] = ID_ONLY

    def first_page_params(self, context: Context | None) -> dict[str, t.Any]:
        return {"search": 'lastUpdated ge "1970-01-01T00:00:00.000Z"'}


class UserFactorsStream(FanOutStream):
    """Each user's enrolled MFA factors.

    Okta's factor events name the user, not the factor, and the factor ids of
    50,000 users are too many to keep in the state (it goes out with every
    STATE message): a user's factors are read again after any factor event,
    which brings new and changed factors, but a removed factor's id is known
    to no one. It leaves the table at the next complete read, through
    ACTIVATE_VERSION (targets that ignore it keep the row).
    """

    name = "user_factors"
    path = "/api/v1/users/{userId}/factors"
    primary_keys = ("userId", "id")
    oauth_scope = "okta.users.read"
    takes_limit = False
    schema = schemas.USER_FACTOR.to_dict()
    parent_field = "userId"
    principal_target = "User"
    change_events = (*FACTOR_EVENTS, USER_DELETED)
    track_keys = False

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        embedded = row.get("_embedded")
        if isinstance(embedded, dict):
            # A factor pending activation carries its enrolment secret (a TOTP
            # seed, the QR code that encodes it): never for a warehouse.
            embedded.pop("activation", None)
        return row

    def every_principal(self) -> Iterator[str]:
        for user in listing(self, UserListing).request_records(None):
            yield str(user["id"])


APPS_SCOPE = "okta.apps.read"


class AppFanOutStream(FanOutStream):
    """One request per app on a complete read (the apps this run's ``apps`` read
    listed, else the app list); in between, only the apps the security feed names.
    Declares no stream itself."""

    parent_field = "app_id"
    principal_target = "AppInstance"
    takes_limit = False  # Okta documents no paging for either per-app list

    def every_principal(self) -> Iterator[str]:
        yield from every_app(self)


class AppGrantsStream(AppFanOutStream):
    """The Okta API scopes granted to each app (admin or end-user consent): a service
    app holding ``okta.users.manage`` acts as an admin."""

    name = "app_grants"
    path = "/api/v1/apps/{app_id}/grants"
    primary_keys = ("app_id", "id")
    oauth_scope = "okta.appGrants.read"
    extra_scopes = (APPS_SCOPE,)  # the app list of a complete read
    # A scope existing service apps lack: without it, skipped with a warning.
    optional_scopes = (LOGS_SCOPE, oauth_scope)
    schema = schemas.APP_GRANT.to_dict()
    change_events = (*APP_GRANT_EVENTS, APP_UPDATED, APP_DELETED)


class ProvisioningConnection(ObjectLookup, internal=True):
    """``/api/v1/apps/{app_id}/connections/default``: one app's provisioning connection."""

    name = "app_features"
    path = "/api/v1/apps/{app_id}/connections/default"
    oauth_scope = APPS_SCOPE


class AppFeaturesStream(AppFanOutStream):
    """Each app's provisioning features (USER_PROVISIONING: create, deactivate, profile
    push; INBOUND_PROVISIONING), each with the app's provisioning connection: whether
    offboarding reaches the app. An app without provisioning has no rows."""

    name = "app_features"
    path = "/api/v1/apps/{app_id}/features"
    primary_keys = ("app_id", "name")
    key_field = "name"
    oauth_scope = APPS_SCOPE
    optional_scopes = (LOGS_SCOPE, oauth_scope)
    schema = schemas.APP_FEATURE.to_dict()
    change_events = (APP_UPDATED, APP_DELETED)

    def read_parent(self, parent: str) -> Iterator[dict[str, t.Any]]:
        try:
            rows = list(super().read_parent(parent))
        except OktaAPIError as exc:
            # Okta refuses the list of an app whose provisioning is not enabled
            # (400 E0000001 "Api validation failed: feature"): it has no features.
            if exc.status == 400 and exc.code == "E0000001":
                return
            raise
        if rows:
            # The connection only matters where provisioning is on: one more request
            # for those apps only, not for every app of the org.
            connection = self._connection(parent)
            for row in rows:
                row["connection"] = connection
        yield from rows

    def _connection(self, app_id: str) -> dict[str, t.Any] | None:
        lookup = listing(self, ProvisioningConnection)
        try:
            for row in lookup.request_records({"app_id": app_id}):
                return row
        except OktaAPIError as exc:
            if exc.status != 404:
                raise
        return None


class DevicesStream(ChangeTrackingStream):
    """Registered devices with their users, incremental on ``lastUpdated``."""

    name = "devices"
    selected_by_default = False
    feed_attribute = "security_feed"
    path = "/api/v1/devices"
    primary_keys = ("id",)
    replication_key = "lastUpdated"
    is_sorted = False
    page_size = 200
    oauth_scope = "okta.devices.read"
    schema = schemas.DEVICE.to_dict()
    delete_event = DEVICE_DELETED
    delete_target = "Device"

    def first_page_params(self, context: Context | None) -> dict[str, t.Any]:
        params: dict[str, t.Any] = {"expand": "user"}
        since = self.lower_bound(context)
        if since is not None:
            params["search"] = f'lastUpdated ge "{since}"'
        return params

    def tombstone_profile(self, target: Target) -> dict[str, t.Any]:
        return {"displayName": target.display_name}


__all__ = [
    "AppFeaturesStream",
    "AppGrantsStream",
    "DevicesStream",
    "GroupOwnersStream",
    "GroupRolesStream",
    "RoleTargetsStream",
    "UserFactorsStream",
]
