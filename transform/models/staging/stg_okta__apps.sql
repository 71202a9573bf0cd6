-- Okta app instances that exist now (ACTIVE or INACTIVE), one row each.
with source as (
    {{ okta_source('apps', [
        ('id', 'app_id', 'text'),
        ('name', 'app_name', 'text'),
        ('label', 'app_label', 'text'),
        ('status', 'app_status', 'text'),
        ('signOnMode', 'sign_on_mode', 'text'),
        ('created', 'created', 'timestamp'),
        ('lastUpdated', 'last_updated', 'timestamp'),
        ('_sdc_deleted_at', 'deleted_at', 'timestamp'),
    ]) }}
)
select source_relation, app_id, app_name, app_label, app_status, sign_on_mode, created, last_updated
from source
where deleted_at is null and app_id is not null
