"""The streams, by what a reader looks for (``tap-okta --about`` lists each).

- ``directory``: users, groups and their memberships
- ``apps``: apps and their user and group assignments
- ``system_log``: the System Log
- ``roles``: admin role assignments, custom roles, resource sets
- ``per_principal``: per user or group, re-read where events say (factors, group
  roles, devices)
- ``security``: the org's security configuration (authenticators, policies, zones,
  identity providers, API tokens, ...)
- ``snapshot``: what the security streams read in full every run share
- ``base``: what the directory streams share (change feed, complete reads)

A stream is declared once, by its class (name, path, keys, scope, page size,
admin role, default selection): defining it in one of these modules puts it in
``STREAMS``, which the tap, ``--about`` and the consistency tests derive from.
The names below are re-exported for callers of this package; a new stream
need not be added to them.
"""

from tap_okta.client import DECLARED, OktaStream
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

#: The order the modules' streams run in: the directory before the apps (whose
#: assignments follow the groups it listed), the System Log, then the security
#: configuration. Within a module, the order of definition.
MODULES = ("directory", "apps", "system_log", "roles", "per_principal", "security")


def _run_order(stream: type[OktaStream]) -> tuple[bool, int, int]:
    module = stream.__module__.rsplit(".", 1)[-1]
    # The default streams first, so one that fails or is skipped never keeps users
    # and groups from landing.
    if module not in MODULES:  # a new module of streams: say where it runs
        raise RuntimeError(f"{stream.__name__}: module {module!r} is not in MODULES")
    return (not stream.selected_by_default, MODULES.index(module), DECLARED.index(stream))


#: Every stream of the catalog, default ones first, in the order the tap runs them.
STREAMS: tuple[type[OktaStream], ...] = tuple(sorted(DECLARED, key=_run_order))

__all__ = [
    "MODULES",
    "STREAMS",
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
