-- Okta app instances that exist now (ACTIVE or INACTIVE), one row each.
-- application_type: an OIDC app's client type (web, native, browser, service: a
-- machine-to-machine client acting with its own grants).
with source as (
    {{ okta_source('apps', [
        ('id', 'app_id', 'text'),
        ('name', 'app_name', 'text'),
        ('label', 'app_label', 'text'),
        ('status', 'app_status', 'text'),
        ('signOnMode', 'sign_on_mode', 'text'),
        ('created', 'created', 'timestamp'),
        ('lastUpdated', 'last_updated', 'timestamp'),
        ('settings', 'settings', 'json'),
        ('_sdc_deleted_at', 'deleted_at', 'timestamp'),
    ]) }}
)
select
    source_relation, app_id, app_name, app_label, app_status, sign_on_mode,
    {{ okta_json_text('settings', 'oauthClient', 'application_type') }} as application_type,
    created, last_updated
from source
where deleted_at is null and app_id is not null
