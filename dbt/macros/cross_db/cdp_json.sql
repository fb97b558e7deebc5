{#- Scalar at a JSONPath ('$.a.b') as a string: strings unquoted, numbers and booleans
    as text, objects/arrays as JSON text, JSON null or a missing path as SQL null. -#}
{% macro cdp_json_string(json_expr, path) -%}
    {{ return(adapter.dispatch('cdp_json_string', 'cdp')(json_expr, path)) }}
{%- endmacro %}

{% macro duckdb__cdp_json_string(json_expr, path) -%}
    json_extract_string({{ json_expr }}, {{ cdp_sql_string(path) }})
{%- endmacro %}

{% macro spark__cdp_json_string(json_expr, path) -%}
    get_json_object({{ json_expr }}, {{ cdp_sql_string(path) }})
{%- endmacro %}


{#- Sub-document at a JSONPath, kept as JSON (DuckDB: JSON type; Spark: JSON text). -#}
{% macro cdp_json_extract(json_expr, path) -%}
    {{ return(adapter.dispatch('cdp_json_extract', 'cdp')(json_expr, path)) }}
{%- endmacro %}

{% macro duckdb__cdp_json_extract(json_expr, path) -%}
    json_extract({{ json_expr }}, {{ cdp_sql_string(path) }})
{%- endmacro %}

{% macro spark__cdp_json_extract(json_expr, path) -%}
    get_json_object({{ json_expr }}, {{ cdp_sql_string(path) }})
{%- endmacro %}
