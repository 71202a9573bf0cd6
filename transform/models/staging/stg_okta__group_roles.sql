-- Admin role assignments of groups (opt-in stream group_roles), for groups that exist now.
{{ okta_stg_role_assignments('group') }}
