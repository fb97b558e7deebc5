{#- Drop the tables an upgrade left behind. dbt never drops a relation whose model is gone, so
    an upgraded warehouse would keep the old table beside the new models: stale rows nobody
    updates, in the working database's file (int_identity__record_anchors was 12.3 million rows
    at 1,000,000 people). A table whose model became incremental is dropped too while it lacks the
    column the incremental runs read (its first incremental run would otherwise stop with
    on_schema_change's "out of sync" error and ask for a full refresh of everything): its next
    run builds it whole. Run at the start of every dbt invocation (on-run-start); a relation
    that is not there costs one catalog lookup. -#}
{% macro cdp_drop_retired_relations() %}
    {%- set retired = [
        ('intermediate', 'int_identity__record_anchors'),
    ] %}
    {#- (schema, table, the column its incremental runs need) -#}
    {%- set made_incremental = [
        ('intermediate', 'int_identity__record_identifiers', '_loaded_at'),
        ('marts', 'customer_records', '_built_at'),
        ('marts', 'customer_orders', '_built_at'),
        ('marts', 'web_sessions', '_built_at'),
    ] %}
    {%- if execute %}
        {%- for schema, identifier in retired %}
            {%- set relation = adapter.get_relation(database=target.database, schema=schema, identifier=identifier) %}
            {%- if relation is not none %}
                {%- do log('Dropping ' ~ relation ~ ': its model was removed', info=true) %}
                {%- do adapter.drop_relation(relation) %}
            {%- endif %}
        {%- endfor %}
        {%- for schema, identifier, column in made_incremental %}
            {%- set relation = adapter.get_relation(database=target.database, schema=schema, identifier=identifier) %}
            {%- if relation is not none %}
                {#- reading the columns opens a transaction: commit it, or the drop stays invisible
                    to the model's own connection, which then finds the table still there -#}
                {%- if column not in adapter.get_columns_in_relation(relation) | map(attribute='name') | list %}
                    {%- do log('Dropping ' ~ relation ~ ': it is built incrementally now and is rebuilt whole once', info=true) %}
                    {%- do adapter.drop_relation(relation) %}
                {%- endif %}
                {%- do adapter.commit() %}
            {%- endif %}
        {%- endfor %}
    {%- endif %}
{% endmacro %}
