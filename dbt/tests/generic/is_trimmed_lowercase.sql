{#- Fails for every non-null value that is empty, has surrounding whitespace or is not
    entirely lower-case. -#}
{% test is_trimmed_lowercase(model, column_name) %}

    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
        and (
            {{ cdp_trim(column_name) }} is null
            or {{ cdp_trim(column_name) }} <> {{ column_name }}
            or lower({{ column_name }}) <> {{ column_name }}
        )

{% endtest %}
