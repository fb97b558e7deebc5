{#-
    The identity registry's table as the previous run left it, or an empty relation with the same
    columns on the very first run (the registry file then has no tables yet). The registry tables
    are written by the models in models/registry/, which a full refresh never rebuilds.
-#}
{% macro cdp_registry_table(table_name) -%}
    {%- set columns = {
        'customer_id_assignments': ['node_key', 'customer_id', 'run_id'],
        'customer_id_changes': ['run_id', 'change_type', 'customer_id', 'current_customer_id', 'reason'],
    }[table_name] -%}
    {%- set relation = source('identity_registry', table_name) -%}
    {%- if execute and adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) is none -%}
        (select {% for column in columns %}cast(null as {{ dbt.type_string() }}) as {{ column }}{{ ', ' if not loop.last }}{% endfor %} where 1 = 0)
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
