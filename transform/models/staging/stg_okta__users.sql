-- Okta users that exist now (deleted users' rows are left out), one row each.
with source as (
    {{ okta_source('users', [
        ('id', 'user_id', 'text'),
        ('status', 'status', 'text'),
        ('transitioningToStatus', 'transitioning_to_status', 'text'),
        ('created', 'created', 'timestamp'),
        ('activated', 'activated', 'timestamp'),
        ('statusChanged', 'status_changed', 'timestamp'),
        ('lastLogin', 'last_login', 'timestamp'),
        ('lastUpdated', 'last_updated', 'timestamp'),
        ('passwordChanged', 'password_changed', 'timestamp'),
        ('type', 'type', 'json'),
        ('profile', 'profile', 'json'),
        ('_sdc_deleted_at', 'deleted_at', 'timestamp'),
    ]) }}
)
select
    source_relation,
    user_id,
    {{ okta_json_text('profile', 'login') }} as login,
    {{ okta_json_text('profile', 'email') }} as email,
    {{ okta_json_text('profile', 'firstName') }} as first_name,
    {{ okta_json_text('profile', 'lastName') }} as last_name,
    {{ okta_json_text('profile', 'department') }} as department,
    {{ okta_json_text('profile', 'title') }} as title,
    {{ okta_json_text('profile', 'manager') }} as manager,
    {{ okta_json_text('type', 'id') }} as user_type_id,
    status,
    transitioning_to_status,
    created,
    activated,
    status_changed,
    last_login,
    last_updated,
    password_changed,
    profile
from source
where deleted_at is null and user_id is not null
