-- Each (user, app, group) where the user is a member of a group assigned to the app:
-- the routes of group-derived access (Everyone included, when assigned).
select
    m.source_relation,
    m.user_id,
    ag.app_id,
    m.group_id
from {{ ref('stg_okta__group_members') }} as m
join {{ ref('stg_okta__app_groups') }} as ag
    on ag.source_relation = m.source_relation and ag.group_id = m.group_id
