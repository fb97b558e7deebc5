{#- An amount converted to the reporting currency (var metrics_reporting_currency) with the
    fixed rates of var metrics_exchange_rates (units of the reporting currency per unit of
    the order's currency); the reporting currency itself converts at 1. Null for a
    currency without a rate. Plain SQL (a case over the configured currencies), the same
    on every engine. -#}
{% macro cdp_to_reporting_currency(amount, currency) -%}
    {%- set reporting = var('metrics_reporting_currency') | upper -%}
    {%- set rates = var('metrics_exchange_rates') -%}
    cast(round(
        {{ amount }} * case upper({{ currency }})
            when {{ cdp_sql_string(reporting) }} then 1
        {%- for code, rate in rates.items() if code | upper != reporting %}
            when {{ cdp_sql_string(code | upper) }} then {{ rate }}
        {%- endfor %}
        end,
        2
    ) as decimal(18, 2))
{%- endmacro %}
