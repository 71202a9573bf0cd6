-- Sign-ins per day, user and app from the System Log: user.session.start (sign-in to
-- Okta itself: app_id null) and user.authentication.sso (to an app), their failures,
-- and MFA challenges (user.authentication.auth_via_mfa, counted with app_id null).
with events as (
    select
        l.source_relation,
        l.event_id,
        {{ okta_day('l.published') }} as day,
        l.actor_id as user_id,
        l.event_type,
        l.outcome_result,
        l.client_ip,
        l.client_country
    from {{ ref('stg_okta__logs') }} as l
    where l.event_type in ('user.session.start', 'user.authentication.sso', 'user.authentication.auth_via_mfa')
        and l.actor_type = 'User'
),

apps as (
    select source_relation, event_id, min(target_id) as app_id
    from {{ ref('stg_okta__log_targets') }}
    where event_type = 'user.authentication.sso' and target_type = 'AppInstance'
    group by source_relation, event_id
)

select
    e.source_relation || ':' || cast(e.day as {{ okta_text_type() }}) || ':' || e.user_id || ':' || coalesce(a.app_id, 'okta') as signin_key,
    e.source_relation,
    e.day,
    e.user_id,
    a.app_id,
    count(case when e.event_type != 'user.authentication.auth_via_mfa' and e.outcome_result = 'SUCCESS' then 1 end) as successes,
    count(case when e.event_type != 'user.authentication.auth_via_mfa' and e.outcome_result in ('FAILURE', 'DENY') then 1 end) as failures,
    count(case when e.event_type = 'user.authentication.auth_via_mfa' then 1 end) as mfa_challenges,
    count(distinct e.client_ip) as distinct_ips,
    {{ okta_array_agg('e.client_country') }} as countries
from events as e
left join apps as a
    on a.source_relation = e.source_relation and a.event_id = e.event_id
group by e.source_relation, e.day, e.user_id, a.app_id
