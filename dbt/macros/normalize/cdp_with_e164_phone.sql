{#-
    The rows of `relation` plus `phone`: `phone_column` in E.164, read in the country given by
    `country_expression` (else the project default, var default_phone_country), using that
    country's row of seeds/phone_country_codes. Renders a whole select, for a staging CTE.
-#}
{% macro cdp_with_e164_phone(relation, phone_column, country_expression) -%}
    select
        {{ relation }}.*,
        {{ cdp_normalize_phone(
            relation ~ '.' ~ phone_column,
            'phone_country_codes.calling_code',
            'phone_country_codes.trunk_prefix',
            'phone_country_codes.international_prefix',
            'phone_country_codes.min_national_length',
            'phone_country_codes.max_national_length'
        ) }} as phone

    from {{ relation }}
    left join {{ ref('phone_country_codes') }} as phone_country_codes
        on phone_country_codes.iso2 = coalesce({{ country_expression }}, {{ cdp_default_phone_country() }})
{%- endmacro %}
