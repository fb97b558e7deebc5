{#- Fails for every non-null value the regular expression does not match. Anchor the
    pattern (^...$) to require a full match. -#}
{% test matches_pattern(model, column_name, pattern) %}

    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
        and not {{ cdp_regexp_matches(column_name, pattern) }}

{% endtest %}
