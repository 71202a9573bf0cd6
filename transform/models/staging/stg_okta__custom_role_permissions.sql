-- Permissions of custom admin roles (opt-in stream custom_role_permissions).
{{ okta_stg_live('custom_role_permissions', [
    ('roleId', 'custom_role_id', 'text'),
    ('label', 'permission', 'text'),
    ('conditions', 'conditions', 'json'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
