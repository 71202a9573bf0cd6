-- Policies (opt-in stream policies).
{{ okta_stg_live('policies', [
    ('id', 'policy_id', 'text'),
    ('type', 'policy_type', 'text'),
    ('name', 'policy_name', 'text'),
    ('status', 'policy_status', 'text'),
    ('priority', 'priority', 'bigint'),
    ('system', 'is_system', 'boolean'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
