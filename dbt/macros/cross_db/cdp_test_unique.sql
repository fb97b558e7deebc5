{#- dbt's built-in `unique` test on DuckDB, through cdp_duplicate_keys (the same failures: every
    non-null value occurring more than once, with its count). dbt looks for an adapter's version
    of its own tests in the root project first. -#}
{% macro duckdb__test_unique(model, column_name) -%}
    {{ cdp_duplicate_keys(model, [column_name], where=column_name ~ ' is not null') }}
{%- endmacro %}
