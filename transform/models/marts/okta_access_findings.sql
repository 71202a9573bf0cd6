-- What an access review flags, one row per (finding, user, object):
--   deprovisioned_with_app_access / suspended_with_app_access: the user's status, and an
--     app Okta still lists them on (since: when the status changed);
--   dormant_with_app_access: an ACTIVE (or password-expired, locked-out, recovery) user
--     whose last sign-in is older than var okta_dormant_days (since: that sign-in);
--   never_signed_in_with_app_access: such a user who never signed in (since: created);
--   admin_without_mfa / admin_without_phishing_resistant_mfa: per admin role held
--     (object: the role assignment; since: when it was granted).
{%- set dormant_days = var('okta_dormant_days', 90) | int %}
with app_access as (
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
)

select
    source_relation || ':' || finding || ':' || user_id || ':' || object_id as finding_key,
    *
from findings
