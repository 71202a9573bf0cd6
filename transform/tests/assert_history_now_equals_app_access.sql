-- The history's open user -> app intervals are okta_app_access's (user, app) pairs. A
-- warning, not an error: an assignment whose last System Log event is its removal while
-- the tables still hold it (a later change Okta did not log) breaks it until the next read.
{{ config(severity='warn') }}
with open_now as (
    select source_relation, principal_id as user_id, object_id as app_id
    from {{ ref('okta_access_history') }}
    where principal_type = 'user' and object_type = 'app' and valid_to is null
),

current_access as (
    select source_relation, user_id, app_id from {{ ref('okta_app_access') }}
)

(select * from open_now except select * from current_access)
union all
(select * from current_access except select * from open_now)
