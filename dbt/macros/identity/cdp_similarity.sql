{#- Similarity of two names in [0, 1]: Jaro-Winkler where the engine has it. -#}
{% macro cdp_name_similarity(a, b) -%}
    {{ return(adapter.dispatch('cdp_name_similarity', 'cdp')(a, b)) }}
{%- endmacro %}

{% macro duckdb__cdp_name_similarity(a, b) -%}
    jaro_winkler_similarity({{ a }}, {{ b }})
{%- endmacro %}

{#- Spark has no Jaro-Winkler: normalised Levenshtein similarity, a slightly stricter measure. -#}
{% macro spark__cdp_name_similarity(a, b) -%}
    (1.0 - levenshtein({{ a }}, {{ b }}) / greatest(length({{ a }}), length({{ b }}), 1))
{%- endmacro %}

{#- Edit distance between two strings (transpositions count once where the engine can). -#}
{% macro cdp_edit_distance(a, b) -%}
    {{ return(adapter.dispatch('cdp_edit_distance', 'cdp')(a, b)) }}
{%- endmacro %}

{% macro duckdb__cdp_edit_distance(a, b) -%}
    damerau_levenshtein({{ a }}, {{ b }})
{%- endmacro %}

{% macro spark__cdp_edit_distance(a, b) -%}
    levenshtein({{ a }}, {{ b }})
{%- endmacro %}
