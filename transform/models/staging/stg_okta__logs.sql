-- System Log events, one row each, with the fields people filter on.
with source as (
    {{ okta_source('logs', [
        ('uuid', 'event_id', 'text'),
        ('published', 'published', 'timestamp'),
        ('eventType', 'event_type', 'text'),
        ('severity', 'severity', 'text'),
        ('displayMessage', 'display_message', 'text'),
        ('actor', 'actor', 'json'),
        ('client', 'client', 'json'),
        ('outcome', 'outcome', 'json'),
        ('transaction', 'transaction', 'json'),
        ('authenticationContext', 'authentication_context', 'json'),
        ('debugContext', 'debug_context', 'json'),
        ('target', 'targets', 'json'),
    ]) }}
)
select
    source_relation,
    event_id,
    published,
    event_type,
    severity,
    display_message,
    {{ okta_json_text('outcome', 'result') }} as outcome_result,
    {{ okta_json_text('outcome', 'reason') }} as outcome_reason,
    {{ okta_json_text('actor', 'id') }} as actor_id,
    {{ okta_json_text('actor', 'type') }} as actor_type,
    {{ okta_json_text('actor', 'alternateId') }} as actor_alternate_id,
    {{ okta_json_text('actor', 'displayName') }} as actor_display_name,
    {{ okta_json_text('client', 'ipAddress') }} as client_ip,
    {{ okta_json_text('client', 'geographicalContext', 'country') }} as client_country,
    {{ okta_json_text('client', 'geographicalContext', 'city') }} as client_city,
    {{ okta_json_text('transaction', 'id') }} as transaction_id,
    {{ okta_json_text('authentication_context', 'externalSessionId') }} as session_id,
    debug_context,
    targets
from source
where event_id is not null
