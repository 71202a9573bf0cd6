-- What an access review flags, one row per (finding, user, object):
--   deprovisioned_with_app_access / suspended_with_app_access: the user's status, and an
--     app Okta still lists them on (since: when the status changed);
--   dormant_with_app_access: an ACTIVE (or password-expired, locked-out, recovery) user
--     whose last sign-in is older than var okta_dormant_days (since: that sign-in);
--   never_signed_in_with_app_access: such a user who never signed in (since: created);
--   admin_without_mfa / admin_without_phishing_resistant_mfa: per admin role held
--     (object: the role assignment; since: when it was granted).
-- Over the posture streams (each finding needs the stream named; none without it):
--   api_token_of_inactive_user (api_tokens): a token whose user is not ACTIVE, or no
--     longer exists (user_status null). Okta rejects such a token but keeps it, and it
--     works again if the user is reactivated (since: the user's status change);
--   api_token_without_network_restriction (api_tokens): network.connection ANYWHERE or
--     absent, so it is accepted from any IP address (since: created);
--   app_without_deprovisioning (app_features, with app_users): an ACTIVE app that users
--     are assigned to, without an ENABLED USER_PROVISIONING feature whose deactivate
--     capability (update.lifecycleDeactivate) is ENABLED: its accounts outlive
--     offboarding (no user; since: null);
--   log_stream_inactive (log_streams): a System Log stream not ACTIVE (since: its
--     last update);
--   service_app_with_manage_scopes (app_grants): an OAuth service app (client type
--     service) holding an ACTIVE grant of an okta.*.manage scope (no user; since: the
--     first such grant).
-- Findings about an object alone (apps, log streams) have user_id null.
{%- set dormant_days = var('okta_dormant_days', 90) | int %}
with api_tokens as (
    select * from {{ ref('stg_okta__api_tokens') }}
),

app_access as (
    select a.*, u.status_changed, u.created as user_created
    from {{ ref('okta_app_access') }} as a
    join {{ ref('stg_okta__users') }} as u
        on u.source_relation = a.source_relation and u.user_id = a.user_id
),

signing_in_statuses as (
    -- Users who can sign in (not deprovisioned or suspended, not still being set up).
    select * from app_access
    where user_status in ('ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY')
),

findings as (
    select
        source_relation, 'deprovisioned_with_app_access' as finding, user_id, user_login,
        user_status, 'app' as object_type, app_id as object_id, app_label as object_label,
        status_changed as since, last_login
    from app_access where user_status = 'DEPROVISIONED'
    union all
    select
        source_relation, 'suspended_with_app_access', user_id, user_login, user_status,
        'app', app_id, app_label, status_changed, last_login
    from app_access where user_status = 'SUSPENDED'
    union all
    select
        source_relation, 'dormant_with_app_access', user_id, user_login, user_status,
        'app', app_id, app_label, last_login, last_login
    from signing_in_statuses
    where last_login < {{ okta_days_before(okta_now(), dormant_days) }}
    union all
    select
        source_relation, 'never_signed_in_with_app_access', user_id, user_login, user_status,
        'app', app_id, app_label, user_created, last_login
    from signing_in_statuses
    where last_login is null
    union all
    select
        source_relation, 'admin_without_mfa', user_id, user_login, user_status,
        'admin_role', role_assignment_id, role_label, granted_at, last_login
    from {{ ref('okta_admin_access') }}
    where not has_mfa
    union all
    select
        source_relation, 'admin_without_phishing_resistant_mfa', user_id, user_login,
        user_status, 'admin_role', role_assignment_id, role_label, granted_at, last_login
    from {{ ref('okta_admin_access') }}
    where not has_phishing_resistant_mfa
    union all
    select
        t.source_relation, 'api_token_of_inactive_user', t.user_id, u.login, u.status,
        'api_token', t.api_token_id, t.api_token_name, u.status_changed, u.last_login
    from api_tokens as t
    left join {{ ref('stg_okta__users') }} as u
        on u.source_relation = t.source_relation and u.user_id = t.user_id
    where u.user_id is null or u.status <> 'ACTIVE'
    union all
    select
        t.source_relation, 'api_token_without_network_restriction', t.user_id, u.login,
        u.status, 'api_token', t.api_token_id, t.api_token_name, t.created, u.last_login
    from api_tokens as t
    left join {{ ref('stg_okta__users') }} as u
        on u.source_relation = t.source_relation and u.user_id = t.user_id
    where coalesce(t.network_connection, 'ANYWHERE') = 'ANYWHERE'
    union all
    select
        a.source_relation, 'app_without_deprovisioning', null, null, null,
        'app', a.app_id, a.app_label, null, null
    from {{ ref('stg_okta__apps') }} as a
    where a.app_status = 'ACTIVE'
        and {{ okta_loaded('app_features', 'a.source_relation') }}
        and exists (
            -- users who can use it now (okta_app_access: live users, group-derived too)
            select 1 from app_access as au
            where au.source_relation = a.source_relation and au.app_id = a.app_id
        )
        and not exists (
            select 1 from {{ ref('stg_okta__app_features') }} as f
            where f.source_relation = a.source_relation and f.app_id = a.app_id
                and f.feature_name = 'USER_PROVISIONING' and f.feature_status = 'ENABLED'
                and f.deactivate_users_status = 'ENABLED'
        )
    union all
    select
        source_relation, 'log_stream_inactive', null, null, null,
        'log_stream', log_stream_id, log_stream_name, last_updated, null
    from {{ ref('stg_okta__log_streams') }}
    where coalesce(log_stream_status, '') <> 'ACTIVE'
    union all
    select
        a.source_relation, 'service_app_with_manage_scopes', null, null, null,
        'app', a.app_id, a.app_label, min(gr.created), null
    from {{ ref('stg_okta__apps') }} as a
    join {{ ref('stg_okta__app_grants') }} as gr
        on gr.source_relation = a.source_relation and gr.app_id = a.app_id
    where a.application_type = 'service'
        and gr.grant_status = 'ACTIVE'
        and gr.scope_id like 'okta.%.manage'
    group by a.source_relation, a.app_id, a.app_label
)

select
    source_relation || ':' || finding || ':' || coalesce(user_id, '') || ':' || object_id
        as finding_key,
    *
from findings
