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


{#- Several scalars of one JSON document as a list of strings (each as cdp_json_string would give
    it), parsing the document once instead of once per path. Read the elements with cdp_list_at. -#}
{% macro cdp_json_strings(json_expr, paths) -%}
    {{ return(adapter.dispatch('cdp_json_strings', 'cdp')(json_expr, paths)) }}
{%- endmacro %}

{% macro duckdb__cdp_json_strings(json_expr, paths) -%}
    json_extract_string({{ json_expr }}, [{% for path in paths %}{{ cdp_sql_string(path) }}{% if not loop.last %}, {% endif %}{% endfor %}])
{%- endmacro %}

{% macro spark__cdp_json_strings(json_expr, paths) -%}
    array({% for path in paths %}get_json_object({{ json_expr }}, {{ cdp_sql_string(path) }}){% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}


{#- Several sub-documents of one JSON document as a list of JSON values (each as cdp_json_extract
    would give it), parsing the document once. -#}
{% macro cdp_json_extracts(json_expr, paths) -%}
    {{ return(adapter.dispatch('cdp_json_extracts', 'cdp')(json_expr, paths)) }}
{%- endmacro %}

{% macro duckdb__cdp_json_extracts(json_expr, paths) -%}
    json_extract({{ json_expr }}, [{% for path in paths %}{{ cdp_sql_string(path) }}{% if not loop.last %}, {% endif %}{% endfor %}])
{%- endmacro %}

{% macro spark__cdp_json_extracts(json_expr, paths) -%}
    {{ spark__cdp_json_strings(json_expr, paths) }}
{%- endmacro %}


{#- The select-list entries `<list>[i] as <name>` for a list built by cdp_json_strings or
    cdp_json_extracts from fields = {name: path, ...}, in the same order. -#}
{% macro cdp_unpack_json_list(list_expr, fields) -%}
    {%- for name in fields -%}
    {{ cdp_list_at(list_expr, loop.index) }} as {{ name }}{% if not loop.last %},
    {% endif %}
    {%- endfor -%}
{%- endmacro %}


{#- Element `index` (one-based) of a list/array. -#}
{% macro cdp_list_at(list_expr, index) -%}
    {{ return(adapter.dispatch('cdp_list_at', 'cdp')(list_expr, index)) }}
{%- endmacro %}

{% macro duckdb__cdp_list_at(list_expr, index) -%}
    {{ list_expr }}[{{ index }}]
{%- endmacro %}

{% macro spark__cdp_list_at(list_expr, index) -%}
    element_at({{ list_expr }}, {{ index }})
{%- endmacro %}
