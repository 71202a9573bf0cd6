-- MFA factors enrolled by users that exist now (opt-in stream user_factors). A factor a
-- user reset leaves this table at the next complete read; the System Log has the time.
with source as (
    {{ okta_source('user_factors', [
        ('userId', 'user_id', 'text'),
        ('id', 'factor_id', 'text'),
        ('factorType', 'factor_type', 'text'),
        ('provider', 'provider', 'text'),
        ('vendorName', 'vendor_name', 'text'),
        ('status', 'factor_status', 'text'),
        ('created', 'created', 'timestamp'),
        ('lastUpdated', 'last_updated', 'timestamp'),
        ('_sdc_deleted_at', 'deleted_at', 'timestamp'),
    ]) }}
)
select
    f.source_relation, f.user_id, f.factor_id, f.factor_type, f.provider, f.vendor_name,
    f.factor_status, f.created, f.last_updated
from source as f
join {{ ref('stg_okta__users') }} as u
    on u.source_relation = f.source_relation and u.user_id = f.user_id
where f.deleted_at is null
