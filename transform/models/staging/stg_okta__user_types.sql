-- User types (opt-in stream user_types).
{{ okta_stg_live('user_types', [
    ('id', 'user_type_id', 'text'),
    ('name', 'user_type_name', 'text'),
    ('displayName', 'display_name', 'text'),
    ('default', 'is_default', 'boolean'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
