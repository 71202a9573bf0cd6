-- Registered devices (opt-in stream devices).
with live as (
{{ okta_stg_live('devices', [
    ('id', 'device_id', 'text'),
    ('status', 'device_status', 'text'),
    ('resourceId', 'resource_id', 'text'),
    ('profile', 'profile', 'json'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
)

select
    live.*,
    {{ okta_json_text('profile', 'displayName') }} as display_name,
    {{ okta_json_text('profile', 'platform') }} as platform,
    {{ okta_json_text('profile', 'serialNumber') }} as serial_number
from live
