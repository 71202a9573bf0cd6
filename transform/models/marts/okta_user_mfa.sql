-- Per user: the MFA factors enrolled and active, and whether any is phishing-resistant
-- (var okta_phishing_resistant_factor_types: WebAuthn/FIDO2 and Okta Verify FastPass).
-- Every user that exists is here; without the user_factors stream no one has MFA.
{%- set strong = var('okta_phishing_resistant_factor_types', ['webauthn', 'signed_nonce']) %}
-- A reset factor stays in the table until the next complete read (target-duckdb never
-- drops it): the System Log's reset events say it is gone. user.mfa.factor.deactivate
-- names the factor in debugData.factor (its credential type), reset_all means all.
with resets as (
    select
        l.source_relation, t.target_id as user_id, l.published, l.event_type,
        {{ okta_json_text('l.debug_context', 'debugData', 'factor') }} as factor_name
    from {{ ref('stg_okta__logs') }} as l
    join {{ ref('stg_okta__log_targets') }} as t
        on t.source_relation = l.source_relation and t.event_id = l.event_id
        and t.target_type = 'User'
    where l.event_type in ('user.mfa.factor.deactivate', 'user.mfa.factor.reset_all')
        and coalesce(l.outcome_result, 'SUCCESS') = 'SUCCESS'
),

factors as (
    select
        f.*,
        case
            when f.factor_type = 'push' then 'OKTA_VERIFY_PUSH'
            when f.factor_type = 'signed_nonce' then 'SIGNED_NONCE'
            when f.factor_type = 'token:software:totp' and f.provider = 'GOOGLE' then 'GOOGLE_AUTHENTICATOR'
            when f.factor_type = 'token:software:totp' then 'OKTA_SOFT_TOKEN'
            when f.factor_type = 'sms' then 'OKTA_SMS'
            when f.factor_type = 'call' then 'OKTA_CALL'
            when f.factor_type = 'email' then 'OKTA_EMAIL'
            when f.factor_type = 'webauthn' then 'FIDO_WEBAUTHN'
            when f.factor_type = 'u2f' then 'FIDO_U2F'
            when f.factor_type = 'question' then 'OKTA_QUESTION'
            when f.factor_type = 'token:hardware' then 'YUBIKEY_TOKEN'
            when f.factor_type = 'token' and f.provider = 'RSA' then 'RSA_SECURID'
            when f.factor_type = 'token:hotp' then 'HOTP_FACTOR'
        end as factor_name
    from {{ ref('stg_okta__user_factors') }} as f
),

active as (
    select source_relation, user_id, factor_id, factor_type
    from factors as f
    where factor_status = 'ACTIVE'
        and not exists (
            select 1 from resets as r
            where r.source_relation = f.source_relation and r.user_id = f.user_id
                and r.published >= f.last_updated
                and (r.event_type = 'user.mfa.factor.reset_all' or r.factor_name = f.factor_name)
        )
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
