-- Provisioning features of apps that exist now (opt-in stream app_features), one row per
-- (app, feature); an app without provisioning has none. deactivate_users_status ENABLED
-- on an ENABLED USER_PROVISIONING feature: Okta deactivates the app's account when the
-- user is deactivated or unassigned.
with source as (
    {{ okta_source('app_features', [
        ('app_id', 'app_id', 'text'),
        ('name', 'feature_name', 'text'),
        ('status', 'feature_status', 'text'),
        ('description', 'description', 'text'),
        ('capabilities', 'capabilities', 'json'),
        ('_sdc_deleted_at', 'deleted_at', 'timestamp'),
    ]) }}
)
select
    f.source_relation,
    f.app_id,
    f.feature_name,
    f.feature_status,
    f.description,
    {{ okta_json_text('f.capabilities', 'create', 'lifecycleCreate', 'status') }} as create_users_status,
    {{ okta_json_text('f.capabilities', 'update', 'lifecycleDeactivate', 'status') }} as deactivate_users_status,
    {{ okta_json_text('f.capabilities', 'update', 'profile', 'status') }} as update_profile_status,
    {{ okta_json_text('f.capabilities', 'update', 'password', 'status') }} as sync_password_status,
    f.capabilities
from source as f
join {{ ref('stg_okta__apps') }} as a
    on a.source_relation = f.source_relation and a.app_id = f.app_id
where f.deleted_at is null
