-- Trusted origins (opt-in stream trusted_origins).
{{ okta_stg_live('trusted_origins', [
    ('id', 'trusted_origin_id', 'text'),
    ('name', 'trusted_origin_name', 'text'),
    ('origin', 'origin', 'text'),
    ('status', 'trusted_origin_status', 'text'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
