{#- Render a Python string as a SQL string literal, escaped for the adapter's dialect. -#}
{% macro cdp_sql_string(value) -%}
    {{ return(adapter.dispatch('cdp_sql_string', 'cdp')(value)) }}
{%- endmacro %}

{#- DuckDB / ANSI: backslash is literal, a quote is doubled. -#}
{% macro default__cdp_sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}

{#- Spark: backslash is the escape character (spark.sql.parser.escapedStringLiterals=false),
    and 'a''b' would be read as two adjacent literals, so both are backslash-escaped. -#}
{% macro spark__cdp_sql_string(value) -%}
    '{{ value | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}
