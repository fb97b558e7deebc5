{#-
    Phone number -> E.164 ("+447700900123"), or null when it cannot be made valid.

    Arguments are SQL expressions: the landed phone string and, for the country used to
    read NATIONAL numbers, its row of seeds/phone_country_codes (all null when unknown).

    Rules, in order, on the number with "(0)" removed and every non-digit dropped:
      1. written with a leading "+"            -> "+" || digits
      2. starts with the international prefix  -> "+" || digits after it
         (the country's, e.g. 011 for US, or "00": the ITU prefix most of the world
         dials, so "001 415 555 0123" is how a European writes a US number; no
         national number starts with "00", so the reading is never ambiguous)
      3. no country known                      -> null (cannot read a national number)
      4. national: drop the trunk prefix (0 in GB/DE/FR, 1 in US) if present; if the
         rest has a valid national length      -> "+" || calling_code || rest
      5. already starts with the calling code and the rest has a valid national length
         (e.g. "447700900123" for GB)          -> "+" || digits
    The result must then look like E.164: "+", a non-zero digit, 7 to 15 digits in all;
    otherwise null. No further plausibility check ("0000000000" read in GB gives
    "+44000000000"); filtering junk identifiers is identity resolution's job.
-#}
{% macro cdp_normalize_phone(phone, calling_code, trunk_prefix, international_prefix, min_national_length, max_national_length) -%}
    {{ return(adapter.dispatch('cdp_normalize_phone', 'cdp')(phone, calling_code, trunk_prefix, international_prefix, min_national_length, max_national_length)) }}
{%- endmacro %}

{#- Built only from portable SQL and the dispatched regexp macros, so it serves both
    DuckDB and Spark. -#}
{% macro default__cdp_normalize_phone(phone, calling_code, trunk_prefix, international_prefix, min_national_length, max_national_length) -%}
    {%- set digits = cdp_regexp_replace(cdp_regexp_replace(phone, '[(]0[)]', ''), '[^0-9]', '') -%}
    {%- set intl = "coalesce(" ~ international_prefix ~ ", '00')" -%}
    {%- set trunk = "coalesce(" ~ trunk_prefix ~ ", '')" -%}
    {%- set national -%}
        case
            when {{ trunk }} <> '' and substr({{ digits }}, 1, length({{ trunk }})) = {{ trunk }}
                then substr({{ digits }}, length({{ trunk }}) + 1)
            else {{ digits }}
        end
    {%- endset -%}
    {%- set candidate -%}
        case
            when {{ digits }} = '' then null
            when {{ cdp_regexp_matches(phone, '^[\\s(]*[+]') }}
                then {{ dbt.concat(["'+'", digits]) }}
            when substr({{ digits }}, 1, length({{ intl }})) = {{ intl }}
                then {{ dbt.concat(["'+'", "substr(" ~ digits ~ ", length(" ~ intl ~ ") + 1)"]) }}
            when substr({{ digits }}, 1, 2) = '00'
                then {{ dbt.concat(["'+'", "substr(" ~ digits ~ ", 3)"]) }}
            when {{ calling_code }} is null then null
            when length({{ national }}) between {{ min_national_length }} and {{ max_national_length }}
                then {{ dbt.concat(["'+'", calling_code, national]) }}
            when substr({{ digits }}, 1, length({{ calling_code }})) = {{ calling_code }}
                and length({{ digits }}) - length({{ calling_code }})
                    between {{ min_national_length }} and {{ max_national_length }}
                then {{ dbt.concat(["'+'", digits]) }}
        end
    {%- endset -%}
    {{ cdp_regexp_extract(candidate, '^[+][1-9][0-9]{6,14}$') }}
{%- endmacro %}
