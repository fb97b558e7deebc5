{#- Sum of the numbers at a wildcard JSONPath ('$.products[*].quantity') as a bigint; null
    when the path matches nothing (no array, an empty array, no such field). Values that
    are not numbers count as nothing. -#}
{% macro cdp_json_array_sum(json_expr, path) -%}
    {{ return(adapter.dispatch('cdp_json_array_sum', 'cdp')(json_expr, path)) }}
{%- endmacro %}

{#- DuckDB: json_extract with a wildcard path returns a list of JSON values. -#}
{% macro duckdb__cdp_json_array_sum(json_expr, path) -%}
    list_sum(list_transform(
        json_extract({{ json_expr }}, {{ cdp_sql_string(path) }}),
        lambda x: try_cast(json_extract_string(x, '$') as bigint)
    ))
{%- endmacro %}

{#- Spark: get_json_object with a wildcard path returns a JSON array text (or a scalar
    when it matches once), read back as an array of bigints. -#}
{% macro spark__cdp_json_array_sum(json_expr, path) -%}
    aggregate(
        from_json(
            case
                when left(get_json_object({{ json_expr }}, {{ cdp_sql_string(path) }}), 1) = '['
                    then get_json_object({{ json_expr }}, {{ cdp_sql_string(path) }})
                else concat('[', get_json_object({{ json_expr }}, {{ cdp_sql_string(path) }}), ']')
            end,
            'array<bigint>'
        ),
        cast(null as bigint),
        (total, x) -> case when x is null then total else coalesce(total, 0) + x end
    )
{%- endmacro %}
