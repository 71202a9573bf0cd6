-- The org's authenticators (opt-in stream authenticators).
{{ okta_stg_live('authenticators', [
    ('id', 'authenticator_id', 'text'),
    ('key', 'authenticator_key', 'text'),
    ('name', 'authenticator_name', 'text'),
    ('type', 'authenticator_type', 'text'),
    ('status', 'authenticator_status', 'text'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
