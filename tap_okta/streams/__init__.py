"""The streams, by what a reader looks for.

- ``directory``: users, groups, group_members
- ``apps``: apps, app_users, app_groups
- ``system_log``: logs
- ``base``: what the directory streams share (change feed, complete reads)
"""

from tap_okta.streams.apps import AppGroupsStream, AppsStream, AppUsersStream
from tap_okta.streams.base import DirectoryStream
from tap_okta.streams.directory import GroupMembersStream, GroupsStream, UsersStream
from tap_okta.streams.system_log import LogsStream

__all__ = [
    "AppGroupsStream",
    "AppUsersStream",
    "AppsStream",
    "DirectoryStream",
    "GroupMembersStream",
    "GroupsStream",
    "LogsStream",
    "UsersStream",
]
