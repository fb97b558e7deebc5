{#- Drop the tables of models a release removed. dbt never drops a relation whose model is gone,
    so an upgraded warehouse would keep the old table beside the new models: stale rows nobody
    updates, in the working database's file (int_identity__record_anchors was 12.3 million rows
    at 1,000,000 people). Run at the start of every dbt invocation (on-run-start); a relation
    that is not there costs one catalog lookup. -#}
{% macro cdp_drop_retired_relations() %}
    {%- set retired = [
        ('intermediate', 'int_identity__record_anchors'),
    ] %}
    {%- if execute %}
        {%- for schema, identifier in retired %}
            {%- set relation = adapter.get_relation(database=target.database, schema=schema, identifier=identifier) %}
            {%- if relation is not none %}
                {%- do log('Dropping ' ~ relation ~ ': its model was removed', info=true) %}
                {%- do adapter.drop_relation(relation) %}
            {%- endif %}
        {%- endfor %}
    {%- endif %}
{% endmacro %}
