{#- The graph node of a record with no usable identifier: "record:<source>:<record key>"
    (int_identity__record_nodes makes these nodes; cdp_record_anchors names the same node for
    each event of a web group that has none, without looking it up). `source` and
    `record_key` are SQL expressions. -#}
{% macro cdp_record_node_key(source, record_key) -%}
    {{ dbt.concat(["'record:'", source, "':'", record_key]) }}
{%- endmacro %}
