{#- Strip leading/trailing whitespace (spaces, tabs, newlines); '' -> null.
    Inner whitespace is kept. -#}
{% macro cdp_trim(expr) -%}
    nullif({{ cdp_regexp_replace(expr, '^\\s+|\\s+$', '') }}, '')
{%- endmacro %}


{#- Collapse every whitespace run to one space and trim; '' -> null. -#}
{% macro cdp_squish(expr) -%}
    nullif(trim({{ cdp_regexp_replace(expr, '\\s+', ' ') }}), '')
{%- endmacro %}


{#- Contract booleans (true/false, t/f, yes/no, y/n, 1/0, any case) -> boolean;
    '' or anything else -> null. Written out rather than cast so it cannot fail and
    does not depend on the engine's cast rules. -#}
{% macro cdp_parse_boolean(expr) -%}
    case
        when lower(trim({{ expr }})) in ('true', 't', 'yes', 'y', '1') then true
        when lower(trim({{ expr }})) in ('false', 'f', 'no', 'n', '0') then false
    end
{%- endmacro %}
