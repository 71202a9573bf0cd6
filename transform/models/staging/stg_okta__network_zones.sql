-- Network zones (opt-in stream network_zones).
{{ okta_stg_live('network_zones', [
    ('id', 'zone_id', 'text'),
    ('type', 'zone_type', 'text'),
    ('name', 'zone_name', 'text'),
    ('status', 'zone_status', 'text'),
    ('usage', 'usage', 'text'),
    ('system', 'is_system', 'boolean'),
    ('gateways', 'gateways', 'json'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
