{#- Replace EVERY match of a regular expression. pattern and replacement are plain
    strings (not SQL), quoted by cdp_sql_string; keep patterns to the common subset of
    RE2 (DuckDB) and java.util.regex (Spark) and do not use back-references. -#}
{% macro cdp_regexp_replace(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('cdp_regexp_replace', 'cdp')(expr, pattern, replacement)) }}
{%- endmacro %}

{#- DuckDB replaces only the first match unless given the 'g' option. -#}
{% macro duckdb__cdp_regexp_replace(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ cdp_sql_string(pattern) }}, {{ cdp_sql_string(replacement) }}, 'g')
{%- endmacro %}

{#- Spark always replaces every match. -#}
{% macro spark__cdp_regexp_replace(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ cdp_sql_string(pattern) }}, {{ cdp_sql_string(replacement) }})
{%- endmacro %}


{#- True when the pattern matches anywhere in expr (anchor with ^...$ for a full match);
    null when expr is null. -#}
{#- pattern is a plain string (a regular expression literal): a pattern taken from a column
    would be compiled again for every row. -#}
{% macro cdp_regexp_matches(expr, pattern) -%}
    {{ return(adapter.dispatch('cdp_regexp_matches', 'cdp')(expr, pattern)) }}
{%- endmacro %}

{% macro duckdb__cdp_regexp_matches(expr, pattern) -%}
    regexp_matches({{ expr }}, {{ cdp_sql_string(pattern) }})
{%- endmacro %}

{% macro spark__cdp_regexp_matches(expr, pattern) -%}
    ({{ expr }} rlike {{ cdp_sql_string(pattern) }})
{%- endmacro %}


{#- The whole match of a regular expression, or null when it does not match
    (so an anchored ^...$ pattern keeps only values that are entirely valid). -#}
{% macro cdp_regexp_extract(expr, pattern) -%}
    {{ return(adapter.dispatch('cdp_regexp_extract', 'cdp')(expr, pattern)) }}
{%- endmacro %}

{#- DuckDB and Spark both return '' for no match; group 0 must be explicit (Spark's
    default group is 1). -#}
{% macro default__cdp_regexp_extract(expr, pattern) -%}
    nullif(regexp_extract({{ expr }}, {{ cdp_sql_string(pattern) }}, 0), '')
{%- endmacro %}
