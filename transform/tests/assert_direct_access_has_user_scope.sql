-- Every assigned_directly row has an app-user row of scope USER, and every other row one
-- of scope GROUP with at least one group that gives it.
select a.*
from {{ ref('okta_app_access') }} as a
left join {{ ref('stg_okta__app_users') }} as au
    on au.source_relation = a.source_relation and au.app_id = a.app_id and au.user_id = a.user_id
where au.user_id is null
    or (a.assigned_directly and au.scope != 'USER')
    or (not a.assigned_directly and au.scope != 'GROUP')
