{#- An ISO-8601 timestamp string WITHOUT a zone designator (the contract says: UTC). -#}
{% macro cdp_local_timestamp_pattern() -%}
    ^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?$
{%- endmacro %}


{#- ISO-8601 string -> UTC timestamp without time zone, whatever the session time zone.
    With an offset or 'Z' the instant is converted to UTC; without one the value is
    already UTC (data contract). Surrounding spaces are ignored; '' gives null.
    safe=true returns null instead of failing on an unparseable value (for fields the
    extract does not validate). -#}
{% macro cdp_to_utc(ts_string, safe=false) -%}
    {{ return(adapter.dispatch('cdp_to_utc', 'cdp')(ts_string, safe)) }}
{%- endmacro %}

{#- DuckDB: cast(... as timestamp) would silently DROP an offset, so strings with a zone
    go through timestamptz and timezone('UTC', ...). -#}
{% macro duckdb__cdp_to_utc(ts_string, safe=false) -%}
    {%- set value = "nullif(trim(" ~ ts_string ~ "), '')" -%}
    {%- set cast_fn = 'try_cast' if safe else 'cast' -%}
    case
        when {{ cdp_regexp_matches(value, cdp_local_timestamp_pattern()) }}
            then {{ cast_fn }}({{ value }} as timestamp)
        else timezone('UTC', {{ cast_fn }}({{ value }} as timestamptz))
    end
{%- endmacro %}

{#- Spark: timestamps are instants shown in the session zone. Both branches yield a value
    whose session-zone wall clock is the UTC wall clock, so a session with
    spark.sql.session.timeZone=UTC (recommended) shows exact UTC. try_cast: Spark >= 3.2. -#}
{% macro spark__cdp_to_utc(ts_string, safe=false) -%}
    {%- set value = "nullif(trim(" ~ ts_string ~ "), '')" -%}
    {%- set cast_fn = 'try_cast' if safe else 'cast' -%}
    case
        when {{ cdp_regexp_matches(value, cdp_local_timestamp_pattern()) }}
            then {{ cast_fn }}({{ value }} as timestamp)
        else to_utc_timestamp({{ cast_fn }}({{ value }} as timestamp), current_timezone())
    end
{%- endmacro %}


{#- A time-zone-aware timestamp column (e.g. raw _loaded_at) -> UTC timestamp without zone. -#}
{% macro cdp_timestamptz_to_utc(expr) -%}
    {{ return(adapter.dispatch('cdp_timestamptz_to_utc', 'cdp')(expr)) }}
{%- endmacro %}

{% macro duckdb__cdp_timestamptz_to_utc(expr) -%}
    timezone('UTC', {{ expr }})
{%- endmacro %}

{% macro spark__cdp_timestamptz_to_utc(expr) -%}
    to_utc_timestamp({{ expr }}, current_timezone())
{%- endmacro %}
