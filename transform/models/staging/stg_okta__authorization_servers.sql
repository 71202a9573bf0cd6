-- Custom authorization servers (opt-in stream authorization_servers).
{{ okta_stg_live('authorization_servers', [
    ('id', 'authorization_server_id', 'text'),
    ('name', 'authorization_server_name', 'text'),
    ('issuer', 'issuer', 'text'),
    ('status', 'authorization_server_status', 'text'),
    ('default', 'is_default', 'boolean'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
