{#- Hooks around a query whose joins are written with the few rows they look up on the right:
    the side a hash join builds its table on. DuckDB otherwise swaps a join's sides by its
    estimate of each, and an aggregate over joins is estimated at millions of rows however few it
    holds: a nightly int_web__sessions then hashed every staged web event three times (11.5
    million, a year at 100,000 people) to look up 20,000 to 80,000 of them, 9.9 s against 3.6 s.
    The setting is DuckDB's only way to say so and applies to the whole database: the post-hook
    puts it back (dbt builds one model at a time here, threads: 1). Other engines: nothing. -#}
{% macro cdp_plan_joins_as_written() -%}
    {{ return(adapter.dispatch('cdp_plan_joins_as_written', 'cdp')()) }}
{%- endmacro %}

{% macro default__cdp_plan_joins_as_written() -%}
{%- endmacro %}

{% macro duckdb__cdp_plan_joins_as_written() -%}
    set disabled_optimizers = 'build_side_probe_side'
{%- endmacro %}

{% macro cdp_plan_joins_freely() -%}
    {{ return(adapter.dispatch('cdp_plan_joins_freely', 'cdp')()) }}
{%- endmacro %}

{% macro default__cdp_plan_joins_freely() -%}
{%- endmacro %}

{% macro duckdb__cdp_plan_joins_freely() -%}
    reset disabled_optimizers
{%- endmacro %}
