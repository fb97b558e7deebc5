{#- Written between a CTE's name and its body (`events as {{ cdp_not_materialized() }} (`) for a
    CTE that only reads a table and is referenced more than once. DuckDB materialises such a
    CTE, copying every row and column before the query runs: for the 10 million wide rows of
    the web events that copy cost more than the query itself. Inlined, each reference scans
    the table and reads only the columns it needs. Other engines inline by default. -#}
{% macro cdp_not_materialized() -%}
    {{ return(adapter.dispatch('cdp_not_materialized', 'cdp')()) }}
{%- endmacro %}

{% macro default__cdp_not_materialized() -%}
{%- endmacro %}

{% macro duckdb__cdp_not_materialized() -%}
    not materialized
{%- endmacro %}

