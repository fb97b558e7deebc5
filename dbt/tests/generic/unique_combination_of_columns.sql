{#- Fails for every combination of the given columns that occurs more than once
    (a composite primary key check). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

    {{ cdp_duplicate_keys(model, combination_of_columns) }}

{% endtest %}
