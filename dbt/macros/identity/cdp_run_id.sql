{#- The id this run is recorded under in the identity registry: the Dagster run id when Dagster
    runs dbt (var cdp_run_id), else dbt's own invocation id, so every run is told apart. -#}
{% macro cdp_run_id() -%}
    {{ var('cdp_run_id', invocation_id) }}
{%- endmacro %}
