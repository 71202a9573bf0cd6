-- Owners of groups that exist now (opt-in stream group_owners): who approves membership.
-- owner_type USER or GROUP; resolved false: Okta could not resolve the owner.
with source as (
    {{ okta_source('group_owners', [
        ('group_id', 'group_id', 'text'),
        ('id', 'owner_id', 'text'),
        ('type', 'owner_type', 'text'),
        ('displayName', 'owner_display_name', 'text'),
        ('originId', 'origin_id', 'text'),
        ('originType', 'origin_type', 'text'),
        ('resolved', 'resolved', 'boolean'),
        ('lastUpdated', 'last_updated', 'timestamp'),
        ('_sdc_deleted_at', 'deleted_at', 'timestamp'),
    ]) }}
)
select
    o.source_relation, o.group_id, o.owner_id, o.owner_type, o.owner_display_name,
    o.origin_id, o.origin_type, o.resolved, o.last_updated
from source as o
join {{ ref('stg_okta__groups') }} as g
    on g.source_relation = o.source_relation and g.group_id = o.group_id
where o.deleted_at is null
