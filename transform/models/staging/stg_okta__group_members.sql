-- Group memberships that hold now: live rows whose user and group both exist. The
-- members of a deleted group and the memberships of a deleted user stay in the tap's
-- table until the next complete read (Okta logs no removal for them): left out here.
with source as (
    {{ okta_source('group_members', [
        ('groupId', 'group_id', 'text'),
        ('userId', 'user_id', 'text'),
        ('_sdc_deleted_at', 'deleted_at', 'timestamp'),
    ]) }}
)
select m.source_relation, m.group_id, m.user_id
from source as m
join {{ ref('stg_okta__users') }} as u
    on u.source_relation = m.source_relation and u.user_id = m.user_id
join {{ ref('stg_okta__groups') }} as g
    on g.source_relation = m.source_relation and g.group_id = m.group_id
where m.deleted_at is null
