{#- The project var default_phone_country as a SQL expression: an upper-cased string
    literal, or a typed null when the var is unset/empty (country unknown). -#}
{% macro cdp_default_phone_country() -%}
    {%- set country = var('default_phone_country', none) -%}
    {%- if country is none or (country | string | trim) == '' -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        {{ cdp_sql_string(country | string | trim | upper) }}
    {%- endif -%}
{%- endmacro %}
