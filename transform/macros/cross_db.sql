{#- Everything that differs between DuckDB (dbt-duckdb) and PostgreSQL (dbt-postgres),
    in one place. Each macro dispatches on the adapter (namespace tap_okta), so a
    project can override one for another warehouse. -#}

{#- Cast a column the tap's target wrote to one of the types the models use:
    text, timestamp, bigint, boolean, json. target-postgres stores objects as jsonb and
    arrays of objects as jsonb[]; target-duckdb stores both as json. -#}
{% macro okta_cast(expr, type) -%}
  {{ return(adapter.dispatch('okta_cast', 'tap_okta')(expr, type)) }}
{%- endmacro %}

{% macro default__okta_cast(expr, type) -%}
  {%- if type == 'json' -%} cast({{ expr }} as json)
  {%- elif type == 'text' -%} cast({{ expr }} as varchar)
  {%- else -%} cast({{ expr }} as {{ type }})
  {%- endif -%}
{%- endmacro %}

{% macro postgres__okta_cast(expr, type) -%}
  {%- if type == 'json' -%} to_jsonb({{ expr }})
  {%- elif type == 'text' -%} cast({{ expr }} as text)
  {%- else -%} cast({{ expr }} as {{ type }})
  {%- endif -%}
{%- endmacro %}

{#- A typed null of one of those types (a column a source table lacks). -#}
{% macro okta_null(type) -%}
  {{ return(adapter.dispatch('okta_null', 'tap_okta')(type)) }}
{%- endmacro %}

{% macro default__okta_null(type) -%}
  cast(null as {{ {'json': 'json', 'text': 'varchar'}.get(type, type) }})
{%- endmacro %}

{% macro postgres__okta_null(type) -%}
  cast(null as {{ {'json': 'jsonb', 'text': 'text'}.get(type, type) }})
{%- endmacro %}

{#- The text at a path of keys inside a JSON value: okta_json_text('profile', 'login'),
    okta_json_text('client', 'geographicalContext', 'country'). Same operators on both
    (-> and ->>), kept here so a third warehouse has one place to change. -#}
{% macro okta_json_text(expr) -%}
  {{ return(adapter.dispatch('okta_json_text', 'tap_okta')(expr, varargs)) }}
{%- endmacro %}

{% macro default__okta_json_text(expr, keys) -%}
  ({{ expr }}{% for key in keys[:-1] %} -> '{{ key }}'{% endfor %} ->> '{{ keys[-1] }}')
{%- endmacro %}

{#- A set-returning expression for a JSON array's elements, for use as
    `from t, {{ okta_json_elements('t.target') }} as e(value)`. -#}
{% macro okta_json_elements(expr) -%}
  {{ return(adapter.dispatch('okta_json_elements', 'tap_okta')(expr)) }}
{%- endmacro %}

{% macro default__okta_json_elements(expr) -%}
  unnest(cast({{ expr }} as json[]))
{%- endmacro %}

{% macro postgres__okta_json_elements(expr) -%}
  jsonb_array_elements({{ expr }})
{%- endmacro %}

{#- The sorted distinct non-null values of a column in each group, as an array
    (DuckDB list / PostgreSQL text[]); an empty array when there is none. -#}
{% macro okta_array_agg(expr) -%}
  {{ return(adapter.dispatch('okta_array_agg', 'tap_okta')(expr)) }}
{%- endmacro %}

{% macro default__okta_array_agg(expr) -%}
  coalesce(array_agg(distinct {{ expr }} order by {{ expr }}) filter (where {{ expr }} is not null), {{ okta_empty_array() }})
{%- endmacro %}

{% macro postgres__okta_array_agg(expr) -%}
  coalesce(array_agg(distinct {{ expr }} order by {{ expr }}) filter (where {{ expr }} is not null), {{ okta_empty_array() }})
{%- endmacro %}

{#- The number of elements of such an array. -#}
{% macro okta_array_length(expr) -%}
  {{ return(adapter.dispatch('okta_array_length', 'tap_okta')(expr)) }}
{%- endmacro %}

{% macro default__okta_array_length(expr) -%}
  len({{ expr }})
{%- endmacro %}

{% macro postgres__okta_array_length(expr) -%}
  coalesce(cardinality({{ expr }}), 0)
{%- endmacro %}

{#- "Now" as a UTC timestamp without time zone (the targets store UTC that way), or
    var okta_now when set, so a build can be reproduced. -#}
{% macro okta_now() -%}
  {%- if var('okta_now', '') -%}
    cast('{{ var("okta_now") }}' as timestamp)
  {%- else -%}
    (now() at time zone 'UTC')
  {%- endif -%}
{%- endmacro %}

{#- A timestamp minus a number of days. -#}
{% macro okta_days_before(ts, days) -%}
  ({{ ts }} - cast('{{ days | int }} days' as interval))
{%- endmacro %}

{#- The day (a date) of a timestamp. -#}
{% macro okta_day(ts) -%}
  cast({{ ts }} as date)
{%- endmacro %}

{#- An empty text array, and the name of the text type. -#}
{% macro okta_empty_array() -%}
  {%- if target.type == 'postgres' -%} cast(array[] as text[]) {%- else -%} cast([] as varchar[]) {%- endif -%}
{%- endmacro %}

{% macro okta_text_type() -%}
  {%- if target.type == 'postgres' -%} text {%- else -%} varchar {%- endif -%}
{%- endmacro %}
