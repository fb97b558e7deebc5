{#- Email: trimmed, lower-cased, '' -> null. Invalid addresses are kept (see
    cdp_is_valid_email). -#}
{% macro cdp_normalize_email(expr) -%}
    lower({{ cdp_trim(expr) }})
{%- endmacro %}


{#- Simple well-formedness check of an already normalised email: local@domain.tld with
    no spaces. null when the email is null. -#}
{% macro cdp_is_valid_email(normalized_email) -%}
    {{ cdp_regexp_matches(normalized_email, "^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9]([a-z0-9-]*[a-z0-9])?([.][a-z0-9]([a-z0-9-]*[a-z0-9])?)*[.][a-z]{2,}$") }}
{%- endmacro %}


{#- Display name (apply to an already squished value): title-cased. -#}
{% macro cdp_display_name(squished) -%}
    {{ cdp_title_case(squished) }}
{%- endmacro %}


{#- Matching key for a name (apply to an already squished value): lower-case, accents
    folded to ASCII, apostrophes and dots removed, hyphens read as spaces, whitespace
    collapsed. "O'Brien-Smyth" -> "obrien smyth", "Jürgen" -> "jurgen". -#}
{% macro cdp_name_key(squished) -%}
    {{ cdp_squish(
        cdp_regexp_replace(
            cdp_regexp_replace("lower(" ~ cdp_strip_accents(squished) ~ ")", "['’`´.]", ''),
            '-', ' '
        )
    ) }}
{%- endmacro %}


{#- Postal code for display: upper-case, whitespace collapsed ("sw1a  1aa" -> "SW1A 1AA"). -#}
{% macro cdp_normalize_postal_code(expr) -%}
    upper({{ cdp_squish(expr) }})
{%- endmacro %}


{#- Postal code matching key: upper-case, no whitespace at all ("SW1A1AA"). -#}
{% macro cdp_postal_code_key(expr) -%}
    nullif(upper({{ cdp_regexp_replace(expr, '\\s+', '') }}), '')
{%- endmacro %}


{#- Loyalty card number as a matching key: upper-case, no whitespace. -#}
{% macro cdp_normalize_loyalty_id(expr) -%}
    nullif(upper({{ cdp_regexp_replace(expr, '\\s+', '') }}), '')
{%- endmacro %}
