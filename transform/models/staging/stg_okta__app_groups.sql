-- Apps assigned to groups: live rows whose app and group both exist.
with source as (
    {{ okta_source('app_groups', [
        ('appId', 'app_id', 'text'),
        ('id', 'group_id', 'text'),
        ('priority', 'priority', 'bigint'),
        ('lastUpdated', 'last_updated', 'timestamp'),
        ('_sdc_deleted_at', 'deleted_at', 'timestamp'),
    ]) }}
)
select ag.source_relation, ag.app_id, ag.group_id, ag.priority, ag.last_updated
from source as ag
join {{ ref('stg_okta__apps') }} as a
    on a.source_relation = ag.source_relation and a.app_id = ag.app_id
join {{ ref('stg_okta__groups') }} as g
    on g.source_relation = ag.source_relation and g.group_id = ag.group_id
where ag.deleted_at is null
