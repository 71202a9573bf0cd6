{#- A generic test: no two rows share these columns (dbt_utils' unique_combination_of_columns,
    kept here so the package needs no other package). -#}
{% test okta_unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as rows_with_this_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
