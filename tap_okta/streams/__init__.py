"""The streams, by what a reader looks for.

- ``directory``: users, groups, group_members
- ``apps``: apps, app_users, app_groups
- ``system_log``: logs
- ``roles``: user_roles, custom_roles, custom_role_permissions, resource_sets,
  resource_set_resources
- ``per_principal``: user_factors, group_roles, devices (event-driven re-reads)
- ``security``: authenticators, group_rules, user_types, policies, policy_rules,
  network_zones, identity_providers, authorization_servers, trusted_origins
- ``snapshot``: what the security streams read in full every run share
- ``base``: what the directory streams share (change feed, complete reads)
"""

from tap_okta.streams.apps import AppGroupsStream, AppsStream, AppUsersStream
from tap_okta.streams.base import DirectoryStream
from tap_okta.streams.directory import GroupMembersStream, GroupsStream, UsersStream
from tap_okta.streams.per_principal import DevicesStream, GroupRolesStream, UserFactorsStream
from tap_okta.streams.roles import (
    CustomRolePermissionsStream,
    CustomRolesStream,
    ResourceSetResourcesStream,
    ResourceSetsStream,
    UserRolesStream,
)
from tap_okta.streams.security import (
    AuthenticatorsStream,
    AuthorizationServersStream,
    GroupRulesStream,
    IdentityProvidersStream,
    NetworkZonesStream,
    PoliciesStream,
    PolicyRulesStream,
    TrustedOriginsStream,
    UserTypesStream,
)
from tap_okta.streams.system_log import LogsStream

__all__ = [
    "AppGroupsStream",
    "AppUsersStream",
    "AppsStream",
    "AuthenticatorsStream",
    "AuthorizationServersStream",
    "CustomRolePermissionsStream",
    "CustomRolesStream",
    "DevicesStream",
    "DirectoryStream",
    "GroupMembersStream",
    "GroupRolesStream",
    "GroupRulesStream",
    "GroupsStream",
    "IdentityProvidersStream",
    "LogsStream",
    "NetworkZonesStream",
    "PoliciesStream",
    "PolicyRulesStream",
    "ResourceSetResourcesStream",
    "ResourceSetsStream",
    "TrustedOriginsStream",
    "UserFactorsStream",
    "UserRolesStream",
    "UserTypesStream",
    "UsersStream",
]
