{#- The id this run is recorded under in the identity registry: the Dagster run id when Dagster
    runs dbt (env var CDP_RUN_ID), else dbt's own invocation id, so every run is told apart.
    Read only when executing: an env var or --vars read while parsing would differ every run and
    cost a full re-parse of the project each time (no partial parsing). -#}
{% macro cdp_run_id() -%}
    {%- if execute -%}{{ env_var('CDP_RUN_ID', invocation_id) }}{%- else -%}{{ invocation_id }}{%- endif -%}
{%- endmacro %}
