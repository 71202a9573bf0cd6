-- Event hooks (opt-in stream event_hooks): the outbound calls Okta makes with System Log
-- events, and where to (channel_uri). The channel's secrets are blanked by the tap.
{{ okta_stg_hook('event_hooks', [
    ('id', 'event_hook_id', 'text'),
    ('name', 'event_hook_name', 'text'),
    ('description', 'description', 'text'),
    ('status', 'event_hook_status', 'text'),
    ('verificationStatus', 'verification_status', 'text'),
    ('createdBy', 'created_by', 'text'),
    ('events', 'events', 'json'),
]) }}
