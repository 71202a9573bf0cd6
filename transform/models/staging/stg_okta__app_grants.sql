-- OAuth scopes granted to apps that exist now (opt-in stream app_grants), one row per
-- grant; scope_id is the scope's name (okta.users.manage, ...).
with source as (
    {{ okta_source('app_grants', [
        ('app_id', 'app_id', 'text'),
        ('id', 'grant_id', 'text'),
        ('clientId', 'client_id', 'text'),
        ('scopeId', 'scope_id', 'text'),
        ('issuer', 'issuer', 'text'),
        ('status', 'grant_status', 'text'),
        ('source', 'grant_source', 'text'),
        ('userId', 'user_id', 'text'),
        ('createdBy', 'created_by', 'json'),
        ('created', 'created', 'timestamp'),
        ('lastUpdated', 'last_updated', 'timestamp'),
        ('_sdc_deleted_at', 'deleted_at', 'timestamp'),
    ]) }}
)
select
    gr.source_relation, gr.app_id, gr.grant_id, gr.client_id, gr.scope_id, gr.issuer,
    gr.grant_status, gr.grant_source, gr.user_id,
    {{ okta_json_text('gr.created_by', 'id') }} as created_by_id,
    {{ okta_json_text('gr.created_by', 'type') }} as created_by_type,
    gr.created, gr.last_updated
from source as gr
join {{ ref('stg_okta__apps') }} as a
    on a.source_relation = gr.source_relation and a.app_id = gr.app_id
where gr.deleted_at is null
