{#- Run before every model (dbt_project.yml, `+pre-hook`): whether the table it writes compresses
    its strings. DuckDB compresses string columns with DICT_FSST as it writes them. That pays for
    long text that repeats (payloads, URLs, user agents: the web events would take 2.5 times the
    disk without it, and a bigger file is slower to write and to read), but not for millions of
    distinct short keys: writing the identity graph's tables spent three times as long
    compressing the keys as writing them, for little space saved. A folder or model opts out with
    `+meta: {cdp_compress_strings: false}`. The setting is global to the DuckDB database, so every
    model sets it, on or off, and none inherits it from the model before. It decides for the row
    groups DuckDB writes while the model runs (every full one); rows of a small table wait in the
    write-ahead log and are compressed at the next checkpoint, under whatever is set then.
    Other engines choose their own encodings: nothing is run. -#}
{% macro cdp_string_compression() -%}
    {{ return(adapter.dispatch('cdp_string_compression', 'cdp')()) }}
{%- endmacro %}

{% macro default__cdp_string_compression() -%}
{%- endmacro %}

{#- Off means every string compression DuckDB has (DICT_FSST and the older dictionary and FSST):
    with only DICT_FSST disabled the strings are still stored uncompressed, but DuckDB first
    analyses each segment for the other two, which took 0.5 to 0.8 s of writing the 12.3 million
    record anchors or customer records at 1,000,000 people. -#}
{% macro duckdb__cdp_string_compression() -%}
    {%- set compress = (config.get('meta') or {}).get('cdp_compress_strings', true) -%}
    set disabled_compression_methods = '{{ "" if compress else "dict_fsst,fsst,dictionary" }}'
{%- endmacro %}
