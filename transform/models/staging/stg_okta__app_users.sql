-- Okta's app-user list: one row per (app, user) that can use the app, with Okta's scope:
-- USER (assigned to the user, possibly also through a group) or GROUP (only through
-- groups). Rows of a deleted user or app linger until the next complete read: left out.
with source as (
    {{ okta_source('app_users', [
        ('appId', 'app_id', 'text'),
        ('id', 'user_id', 'text'),
        ('scope', 'scope', 'text'),
        ('status', 'app_user_status', 'text'),
        ('syncState', 'sync_state', 'text'),
        ('externalId', 'external_id', 'text'),
        ('credentials', 'credentials', 'json'),
        ('created', 'created', 'timestamp'),
        ('lastUpdated', 'last_updated', 'timestamp'),
        ('statusChanged', 'status_changed', 'timestamp'),
        ('lastSync', 'last_sync', 'timestamp'),
        ('_sdc_deleted_at', 'deleted_at', 'timestamp'),
    ]) }}
)
select
    au.source_relation,
    au.app_id,
    au.user_id,
    au.scope,
    au.app_user_status,
    au.sync_state,
    au.external_id,
    {{ okta_json_text('au.credentials', 'userName') }} as app_user_name,
    au.created,
    au.last_updated,
    au.status_changed,
    au.last_sync
from source as au
join {{ ref('stg_okta__users') }} as u
    on u.source_relation = au.source_relation and u.user_id = au.user_id
join {{ ref('stg_okta__apps') }} as a
    on a.source_relation = au.source_relation and a.app_id = au.app_id
where au.deleted_at is null
