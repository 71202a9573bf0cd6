-- The org's custom domains (opt-in stream domains), with the certificate they serve.
with live as (
{{ okta_stg_live('domains', [
    ('id', 'domain_id', 'text'),
    ('domain', 'domain', 'text'),
    ('brandId', 'brand_id', 'text'),
    ('certificateSourceType', 'certificate_source_type', 'text'),
    ('validationStatus', 'validation_status', 'text'),
    ('dnsRecords', 'dns_records', 'json'),
    ('publicCertificate', 'public_certificate', 'json'),
]) }}
)

select
    live.*,
    {{ okta_json_text('public_certificate', 'subject') }} as certificate_subject,
    cast(nullif({{ okta_json_text('public_certificate', 'expiration') }}, '') as timestamp)
        as certificate_expires_at
from live
