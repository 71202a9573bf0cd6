-- Behavior detection rules (opt-in stream behaviors): the risk signals sign-on policies use.
{{ okta_stg_live('behaviors', [
    ('id', 'behavior_id', 'text'),
    ('name', 'behavior_name', 'text'),
    ('type', 'behavior_type', 'text'),
    ('status', 'behavior_status', 'text'),
    ('settings', 'settings', 'json'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
