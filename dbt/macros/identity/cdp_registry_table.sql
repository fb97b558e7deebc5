{#-
    The identity registry's table as the previous run left it, or an empty relation with the same
    columns on the very first run (the registry file then has no tables yet). The registry tables
    are written by the models in models/registry/, which a full refresh never rebuilds.

    as_source=false reads the same table without declaring it as a source: for a model that runs
    *before* the registry is rewritten (the erasure suppression list feeds deduplication), where
    the lineage edge would point backwards (Dagster would see a cycle).
-#}
{% macro cdp_registry_table(table_name, as_source=true) -%}
    {%- set columns = {
        'customer_id_assignments': ['node_key', 'customer_id', 'run_id'],
        'customer_id_changes': ['run_id', 'change_type', 'customer_id', 'current_customer_id', 'reason'],
    }[table_name] -%}
    {%- if as_source -%}
        {%- set relation = source('identity_registry', table_name) -%}
    {%- else -%}
        {%- set relation = api.Relation.create(database='registry', schema='main', identifier=table_name) -%}
    {%- endif -%}
    {%- if execute and adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) is none -%}
        (select {% for column in columns %}cast(null as {{ dbt.type_string() }}) as {{ column }}{{ ', ' if not loop.last }}{% endfor %} where 1 = 0)
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
