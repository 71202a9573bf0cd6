"""Who holds admin privileges: role assignments, custom roles, resource sets.

All need ``okta.roles.read``. ``user_roles`` asks Okta which users hold a
role (``/api/v1/iam/assignees/users``) instead of asking every user, so it is
cheap enough to read in full every run. ``group_roles`` has no such listing:
it is in ``per_principal`` (every group on a complete read, the groups the
System Log names in between).
"""

from __future__ import annotations

import typing as t

from tap_okta import security_schemas as schemas
from tap_okta.client import OktaStream, listing
from tap_okta.run import RoleAssignment
from tap_okta.schemas import ID_ONLY
from tap_okta.streams.snapshot import SnapshotStream

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk.helpers.types import Context

ROLES_SCOPE = "okta.roles.read"
ROLES_ROLE = "Super Administrator"


class RoleAssigneeListing(OktaStream, internal=True):
    """Users holding at least one admin role, directly or through a group."""

    name = "user_roles"
    path = "/api/v1/iam/assignees/users"
    primary_keys = ("id",)
    page_size = 100
    oauth_scope = ROLES_SCOPE
    admin_role = ROLES_ROLE
    records_key = "value"
    schema: t.ClassVar[dict[str, t.Any]] = ID_ONLY


class UserRolesStream(SnapshotStream):
    """Each admin role assignment of each user that holds one."""

    name = "user_roles"
    path = "/api/v1/users/{userId}/roles"
    primary_keys = ("userId", "id")
    oauth_scope = ROLES_SCOPE
    admin_role = ROLES_ROLE
    takes_limit = False
    schema = schemas.USER_ROLE.to_dict()
    parent_field = "userId"

    def parents(self) -> Iterator[str]:
        for user in listing(self, RoleAssigneeListing).request_records(None):
            yield str(user["id"])

    def read_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        # Every user's direct assignments, once the read is whole: role_targets, later
        # in the run, reads their targets instead of asking Okta for them again.
        listed: list[RoleAssignment] = []
        for row in super().read_records(context):
            yield row
            if not row.get("_sdc_deleted_at") and row.get("assignmentType") == "USER":
                listed.append(
                    RoleAssignment("user", str(row["userId"]), str(row["id"]), str(row["type"]))
                )
        self.run_context.role_assignments.users = listed


class CustomRolesStream(SnapshotStream):
    """The org's custom admin roles."""

    name = "custom_roles"
    path = "/api/v1/iam/roles"
    primary_keys = ("id",)
    takes_limit = False  # Okta pages these by after alone
    oauth_scope = ROLES_SCOPE
    admin_role = ROLES_ROLE
    records_key = "roles"
    schema = schemas.CUSTOM_ROLE.to_dict()


class CustomRolePermissionsStream(SnapshotStream):
    """The permissions each custom role grants."""

    name = "custom_role_permissions"
    path = "/api/v1/iam/roles/{roleId}/permissions"
    primary_keys = ("roleId", "label")
    page_size = 100
    oauth_scope = ROLES_SCOPE
    admin_role = ROLES_ROLE
    records_key = "permissions"
    takes_limit = False
    schema = schemas.CUSTOM_ROLE_PERMISSION.to_dict()
    parent_field = "roleId"
    key_field = "label"

    def parents(self) -> Iterator[str]:
        for role in listing(self, CustomRolesStream).request_records(None):
            yield str(role["id"])


class ResourceSetsStream(SnapshotStream):
    """Resource sets: what a custom role assignment covers."""

    name = "resource_sets"
    path = "/api/v1/iam/resource-sets"
    primary_keys = ("id",)
    takes_limit = False  # Okta pages these by after alone
    oauth_scope = ROLES_SCOPE
    admin_role = ROLES_ROLE
    records_key = "resource-sets"
    schema = schemas.RESOURCE_SET.to_dict()


class ResourceSetResourcesStream(SnapshotStream):
    """The resources (groups, apps, users, …) in each resource set."""

    name = "resource_set_resources"
    path = "/api/v1/iam/resource-sets/{resourceSetId}/resources"
    primary_keys = ("resourceSetId", "id")
    page_size = 100
    oauth_scope = ROLES_SCOPE
    admin_role = ROLES_ROLE
    records_key = "resources"
    schema = schemas.RESOURCE_SET_RESOURCE.to_dict()
    parent_field = "resourceSetId"

    def parents(self) -> Iterator[str]:
        for resource_set in listing(self, ResourceSetsStream).request_records(None):
            yield str(resource_set["id"])
