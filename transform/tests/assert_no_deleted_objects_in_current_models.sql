-- No user, app or group the tap's tables mark deleted (_sdc_deleted_at) appears in a
-- current model: the staging models keep live rows only, and the marts read nothing else
-- (but for a token's user).
with deleted as (
    {{ okta_source('users', [('id', 'object_id', 'text'), ('_sdc_deleted_at', 'deleted_at', 'timestamp')]) }}
    union all
    {{ okta_source('apps', [('id', 'object_id', 'text'), ('_sdc_deleted_at', 'deleted_at', 'timestamp')]) }}
    union all
    {{ okta_source('groups', [('id', 'object_id', 'text'), ('_sdc_deleted_at', 'deleted_at', 'timestamp')]) }}
),

gone as (
    select source_relation, object_id from deleted where deleted_at is not null
),

used as (
    select source_relation, user_id as object_id, 'okta_app_access' as model from {{ ref('okta_app_access') }}
    union all select source_relation, app_id, 'okta_app_access' from {{ ref('okta_app_access') }}
    union all select source_relation, user_id, 'okta_admin_access' from {{ ref('okta_admin_access') }}
    union all select source_relation, via_group_id, 'okta_admin_access' from {{ ref('okta_admin_access') }} where via_group_id is not null
    union all select source_relation, user_id, 'okta_user_mfa' from {{ ref('okta_user_mfa') }}
    -- An API token finding names the token's user, deleted or not (a deleted user's
    -- token is one of the findings).
    union all select source_relation, user_id, 'okta_access_findings' from {{ ref('okta_access_findings') }} where object_type <> 'api_token'
    union all select source_relation, object_id, 'okta_access_findings' from {{ ref('okta_access_findings') }}
)

select u.*
from used as u
join gone as g on g.source_relation = u.source_relation and g.object_id = u.object_id
