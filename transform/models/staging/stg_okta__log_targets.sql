-- The targets of each System Log event, one row per (event, target). Okta names some
-- objects by an id of another kind: an AppUser target's id is not the user's id (the
-- User target beside it is), and a ROLE target's id is the role type (HelpDeskAdmin)
-- while its alternateId is the role assignment's id.
select
    l.source_relation,
    l.event_id,
    l.published,
    l.event_type,
    {{ okta_json_text('t.value', 'type') }} as target_type,
    {{ okta_json_text('t.value', 'id') }} as target_id,
    {{ okta_json_text('t.value', 'alternateId') }} as target_alternate_id,
    {{ okta_json_text('t.value', 'displayName') }} as target_display_name
from {{ ref('stg_okta__logs') }} as l,
    {{ okta_json_elements('l.targets') }} as t(value)
