{#- The schemas to read: var okta_union_schemas (one per org), else var okta_schema. -#}
{% macro okta_schemas() -%}
  {%- set union = var('okta_union_schemas', []) -%}
  {%- if union is string -%}{%- set union = union.split(',') | map('trim') | list -%}{%- endif -%}
  {{ return(union if union | length > 0 else [var('okta_schema', 'okta')]) }}
{%- endmacro %}

{#- True for the opt-in streams (not selected by default) that var
    okta_security_streams governs. -#}
{% macro okta_is_optional(table) -%}
  {{ return(table not in ['users', 'groups', 'group_members', 'apps', 'app_users', 'app_groups', 'logs']) }}
{%- endmacro %}

{#- The rows of one of the tap's tables in every schema okta_schemas() names, as
    `source_relation` plus the named columns, typed. `columns` is a list of
    (column as the tap names it, alias, type); the column is found whatever case the
    target gave it (target-postgres keeps groupId, target-duckdb writes groupid). A
    column a table lacks comes out null. A missing table is an error, except an opt-in
    stream's under okta_security_streams: auto (then it reads as no rows). -#}
{% macro okta_source(table, columns) -%}
  {%- set mode = var('okta_security_streams', 'auto') | string | lower -%}
  {%- set optional = okta_is_optional(table) -%}
  {%- set parts = [] -%}
  {%- if execute and not (optional and mode == 'false') -%}
    {%- for schema in okta_schemas() -%}
      {%- set relation = adapter.get_relation(database=target.database, schema=schema, identifier=table) -%}
      {%- if relation is none -%}
        {%- if not optional or mode == 'true' -%}
          {{ exceptions.raise_compiler_error(
              "tap-okta models: table " ~ schema ~ "." ~ table ~ " does not exist. Load the "
              ~ table ~ " stream first, or set var okta_schema / okta_union_schemas to the schema the tap's target writes.") }}
        {%- endif -%}
      {%- else -%}
        {%- set present = {} -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
          {%- do present.update({column.name | lower: column.name}) -%}
        {%- endfor -%}
        {%- set select -%}
          select cast('{{ schema }}' as {{ okta_text_type() }}) as source_relation
          {%- for name, alias, type in columns %},
            {% if name | lower in present -%}
              {{ okta_cast(adapter.quote(present[name | lower]), type) }}
            {%- else -%}
              {{ okta_null(type) }}
            {%- endif %} as {{ alias }}
          {%- endfor %}
          from {{ relation }}
        {%- endset -%}
        {%- do parts.append(select) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if parts | length == 0 -%}
    select {{ okta_null('text') }} as source_relation
    {%- for name, alias, type in columns %}, {{ okta_null(type) }} as {{ alias }}{% endfor %}
    where 1 = 0
  {%- else -%}
    {{ parts | join('\nunion all\n') }}
  {%- endif -%}
{%- endmacro %}

{#- A SQL condition on a source_relation column: true for the schemas (orgs) where the
    tap loaded `table`, false elsewhere. For a model that must tell "no rows" from "not
    loaded" (okta_admin_access.scope: no role targets means org-wide only when
    role_targets was read). -#}
{% macro okta_loaded(table, column='source_relation') -%}
  {%- set mode = var('okta_security_streams', 'auto') | string | lower -%}
  {%- set loaded = [] -%}
  {%- if execute and not (okta_is_optional(table) and mode == 'false') -%}
    {%- for schema in okta_schemas() -%}
      {%- if adapter.get_relation(database=target.database, schema=schema, identifier=table) is not none -%}
        {%- do loaded.append("'" ~ schema ~ "'") -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if loaded | length == 0 -%} (1 = 0)
  {%- else -%} ({{ column }} in ({{ loaded | join(', ') }}))
  {%- endif -%}
{%- endmacro %}
