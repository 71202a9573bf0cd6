-- Per user: the MFA factors enrolled and active, and whether any is phishing-resistant
-- (var okta_phishing_resistant_factor_types: WebAuthn/FIDO2 and Okta Verify FastPass).
-- Every user that exists is here; without the user_factors stream no one has MFA.
{%- set strong = var('okta_phishing_resistant_factor_types', ['webauthn', 'signed_nonce']) %}
with active as (
    select source_relation, user_id, factor_id, factor_type
    from {{ ref('stg_okta__user_factors') }}
    where factor_status = 'ACTIVE'
),

per_user as (
    select
        u.source_relation,
        u.user_id,
        {{ okta_array_agg('f.factor_type') }} as active_factor_types,
        count(f.factor_id) as active_factor_count,
        count(case when f.factor_type in ('{{ strong | join("', '") }}') then 1 end) as phishing_resistant_count
    from {{ ref('stg_okta__users') }} as u
    left join active as f
        on f.source_relation = u.source_relation and f.user_id = u.user_id
    group by u.source_relation, u.user_id
)

select
    source_relation,
    user_id,
    active_factor_types,
    active_factor_count,
    active_factor_count > 0 as has_mfa,
    phishing_resistant_count > 0 as has_phishing_resistant_mfa
from per_user
