{#- "Who could use app X at time T?" from okta_access_history: the users on the app's
    user list at that instant, and how (direct or through a group).

      {{ okta_access_as_of("'0oa1b2c3d4'", "timestamp '2026-03-31 23:59:59'") }}

    Both arguments are SQL expressions. `at` is UTC. Limits: the history starts at the
    first System Log event the tap landed (its start_date; Okta keeps 90 days), so an
    instant before that has no answer; access that existed then is seeded from the tables
    ("first complete read"). What the log never says (the assignments of a deleted user,
    the members of a deleted group) shows when the tables stop holding it: after the next
    complete read (full_sync_interval_days), dated at the end of the log then loaded. -#}
{% macro okta_access_as_of(app_id, at, source_relation=none) -%}
select
    h.source_relation,
    h.principal_id as user_id,
    h.object_id as app_id,
    h.how,
    h.valid_from,
    h.valid_to,
    h.source
from {{ ref('okta_access_history') }} as h
where h.principal_type = 'user'
    and h.object_type = 'app'
    and h.object_id = {{ app_id }}
    and h.valid_from <= {{ at }}
    and (h.valid_to is null or h.valid_to > {{ at }})
    {%- if source_relation %}
    and h.source_relation = {{ source_relation }}
    {%- endif %}
{%- endmacro %}
