-- Profile mappings (opt-in stream profile_mappings): which profile (user type, app)
-- feeds which.
with live as (
{{ okta_stg_live('profile_mappings', [
    ('id', 'mapping_id', 'text'),
    ('source', 'source_profile', 'json'),
    ('target', 'target_profile', 'json'),
]) }}
)

select
    source_relation,
    mapping_id,
    {{ okta_json_text('source_profile', 'id') }} as source_id,
    {{ okta_json_text('source_profile', 'name') }} as source_name,
    {{ okta_json_text('source_profile', 'type') }} as source_type,
    {{ okta_json_text('target_profile', 'id') }} as target_id,
    {{ okta_json_text('target_profile', 'name') }} as target_name,
    {{ okta_json_text('target_profile', 'type') }} as target_type,
    source_profile,
    target_profile
from live
