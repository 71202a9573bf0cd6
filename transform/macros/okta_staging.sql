{#- Staging bodies shared by streams of the same shape. -#}

{#- user_roles and group_roles: the admin role assignments of one kind of principal
    (parent: 'user' or 'group'), for principals that exist now. -#}
{% macro okta_stg_role_assignments(parent) -%}
{%- set parent_id = parent ~ '_id' -%}
with source as (
    {{ okta_source(parent ~ '_roles', [
        (parent ~ 'Id', parent_id, 'text'),
        ('id', 'role_assignment_id', 'text'),
        ('type', 'role_type', 'text'),
        ('label', 'role_label', 'text'),
        ('status', 'role_status', 'text'),
        ('assignmentType', 'assignment_type', 'text'),
        ('role', 'custom_role_id', 'text'),
        ('resource-set', 'resource_set_id', 'text'),
        ('created', 'created', 'timestamp'),
        ('lastUpdated', 'last_updated', 'timestamp'),
        ('_sdc_deleted_at', 'deleted_at', 'timestamp'),
    ]) }}
)
select
    r.source_relation,
    r.{{ parent_id }},
    r.role_assignment_id,
    r.role_type,
    r.role_label,
    r.role_status,
    r.assignment_type,
    r.custom_role_id,
    r.resource_set_id,
    r.created,
    r.last_updated
from source as r
join {{ ref('stg_okta__' ~ parent ~ 's') }} as p
    on p.source_relation = r.source_relation and p.{{ parent_id }} = r.{{ parent_id }}
where r.deleted_at is null
{%- endmacro %}

{#- A stream's live rows: the named (column, alias, type) columns, typed, without the
    rows _sdc_deleted_at marks deleted. -#}
{% macro okta_stg_live(table, columns) -%}
with source as (
    {{ okta_source(table, columns + [('_sdc_deleted_at', 'deleted_at', 'timestamp')]) }}
)
select source_relation{% for name, alias, type in columns %}, {{ alias }}{% endfor %}
from source
where deleted_at is null
{%- endmacro %}

{#- custom_roles and resource_sets: id, label, description. -#}
{% macro okta_stg_labelled(table, key) -%}
{{ okta_stg_live(table, [
    ('id', key, 'text'),
    ('label', 'label', 'text'),
    ('description', 'description', 'text'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
{%- endmacro %}

{#- event_hooks and inline_hooks: their own columns, the channel, and where it calls
    (channel_uri) and how (channel_type). -#}
{% macro okta_stg_hook(table, columns) -%}
with live as (
{{ okta_stg_live(table, columns + [
    ('channel', 'channel', 'json'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
)

select
    live.*,
    {{ okta_json_text('channel', 'type') }} as channel_type,
    {{ okta_json_text('channel', 'config', 'uri') }} as channel_uri
from live
{%- endmacro %}
