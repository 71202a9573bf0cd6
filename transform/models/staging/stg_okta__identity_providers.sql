-- Identity providers (opt-in stream identity_providers).
{{ okta_stg_live('identity_providers', [
    ('id', 'idp_id', 'text'),
    ('type', 'idp_type', 'text'),
    ('name', 'idp_name', 'text'),
    ('status', 'idp_status', 'text'),
    ('issuerMode', 'issuer_mode', 'text'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
