-- Every app each user can use now: Okta's app-user list (group-derived assignments
-- included), with how: assigned_directly (scope USER) and the groups that give it.
-- A user assigned directly and through groups has scope USER and via_group_ids set.
with routes as (
    select
        source_relation,
        user_id,
        app_id,
        {{ okta_array_agg('group_id') }} as via_group_ids
    from {{ ref('int_okta__group_app_access') }}
    group by source_relation, user_id, app_id
)

select
    au.source_relation,
    au.user_id,
    u.login as user_login,
    u.status as user_status,
    au.app_id,
    a.app_label,
    a.app_name,
    a.app_status,
    au.scope = 'USER' as assigned_directly,
    coalesce(r.via_group_ids, {{ okta_empty_array() }}) as via_group_ids,
    au.scope,
    au.app_user_status,
    au.app_user_name,
    au.created as assigned_at,
    u.last_login
from {{ ref('stg_okta__app_users') }} as au
join {{ ref('stg_okta__users') }} as u
    on u.source_relation = au.source_relation and u.user_id = au.user_id
join {{ ref('stg_okta__apps') }} as a
    on a.source_relation = au.source_relation and a.app_id = au.app_id
left join routes as r
    on r.source_relation = au.source_relation and r.user_id = au.user_id and r.app_id = au.app_id
