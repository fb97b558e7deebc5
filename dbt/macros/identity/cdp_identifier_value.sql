{#- The value of an identifier node ("<type>:<value>" -> "<value>"). int_identity__record_identifiers
    stores the node key and not the value as well: at 1,000,000 people that is 7.4 million strings
    fewer to compress and write, and the few readers that show the value take it from the key.
    `node_key` and `identifier_type` are SQL expressions. -#}
{% macro cdp_identifier_value(node_key, identifier_type) -%}
    substr({{ node_key }}, length({{ identifier_type }}) + 2)
{%- endmacro %}
