-- The org itself (opt-in stream org_settings, one row per org): its identity and
-- ThreatInsight (threat_insight_action none, audit or block).
with live as (
{{ okta_stg_live('org_settings', [
    ('id', 'org_id', 'text'),
    ('companyName', 'company_name', 'text'),
    ('subdomain', 'subdomain', 'text'),
    ('website', 'website', 'text'),
    ('status', 'org_status', 'text'),
    ('endUserSupportHelpURL', 'end_user_support_help_url', 'text'),
    ('supportPhoneNumber', 'support_phone_number', 'text'),
    ('threat_insight', 'threat_insight', 'json'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
    ('expiresAt', 'expires_at', 'timestamp'),
]) }}
)

select
    live.*,
    {{ okta_json_text('threat_insight', 'action') }} as threat_insight_action
from live
