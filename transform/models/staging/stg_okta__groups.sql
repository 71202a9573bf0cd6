-- Okta groups that exist now, one row each; is_everyone marks the built-in Everyone.
with source as (
    {{ okta_source('groups', [
        ('id', 'group_id', 'text'),
        ('type', 'group_type', 'text'),
        ('created', 'created', 'timestamp'),
        ('lastUpdated', 'last_updated', 'timestamp'),
        ('lastMembershipUpdated', 'last_membership_updated', 'timestamp'),
        ('profile', 'profile', 'json'),
        ('_sdc_deleted_at', 'deleted_at', 'timestamp'),
    ]) }}
)
select
    source_relation,
    group_id,
    {{ okta_json_text('profile', 'name') }} as group_name,
    {{ okta_json_text('profile', 'description') }} as description,
    group_type,
    group_type = 'BUILT_IN' and {{ okta_json_text('profile', 'name') }} = 'Everyone' as is_everyone,
    created,
    last_updated,
    last_membership_updated
from source
where deleted_at is null and group_id is not null
