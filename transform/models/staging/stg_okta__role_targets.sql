-- The targets of admin role assignments (opt-in stream role_targets): one row per group
-- or app a USER_ADMIN, HELP_DESK_ADMIN, GROUP_MEMBERSHIP_ADMIN or APP_ADMIN assignment is
-- limited to. principal_type/principal_id: the user or group holding the assignment.
-- target_id: a group id, an app instance id, or a catalog app name (all its instances;
-- app_name says which). An assignment with no rows here is org-wide.
{{ okta_stg_live('role_targets', [
    ('principal_type', 'principal_type', 'text'),
    ('principal_id', 'principal_id', 'text'),
    ('role_assignment_id', 'role_assignment_id', 'text'),
    ('role_type', 'role_type', 'text'),
    ('target_type', 'target_type', 'text'),
    ('target_id', 'target_id', 'text'),
    ('app_name', 'app_name', 'text'),
    ('target', 'target_object', 'json'),
]) }}
