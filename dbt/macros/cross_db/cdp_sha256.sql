{#- SHA-256 of a string as 64 lowercase hex digits: the hash of the erasure suppression list
    (and of the ad-platform files), so it must be the same function everywhere. -#}
{% macro cdp_sha256(expr) -%}
    {{ return(adapter.dispatch('cdp_sha256', 'cdp')(expr)) }}
{%- endmacro %}

{% macro default__cdp_sha256(expr) -%}
    sha2({{ expr }}, 256)
{%- endmacro %}

{% macro duckdb__cdp_sha256(expr) -%}
    sha256({{ expr }})
{%- endmacro %}
