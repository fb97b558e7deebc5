{#- Scalar at a JSONPath ('$.a.b') as a string: strings unquoted, numbers and booleans
    as text, objects/arrays as JSON text, JSON null or a missing path as SQL null. -#}
{% macro cdp_json_string(json_expr, path) -%}
    {{ return(adapter.dispatch('cdp_json_string', 'cdp')(json_expr, path)) }}
{%- endmacro %}

{% macro duckdb__cdp_json_string(json_expr, path) -%}
    json_extract_string({{ json_expr }}, {{ cdp_sql_string(path) }})
{%- endmacro %}

{% macro spark__cdp_json_string(json_expr, path) -%}
    get_json_object({{ json_expr }}, {{ cdp_sql_string(path) }})
{%- endmacro %}


{#- Sub-document at a JSONPath, kept as JSON (DuckDB: JSON type; Spark: JSON text); JSON null or a
    missing path as SQL null, as Spark's get_json_object and DuckDB's json_transform give them. -#}
{% macro cdp_json_extract(json_expr, path) -%}
    {{ return(adapter.dispatch('cdp_json_extract', 'cdp')(json_expr, path)) }}
{%- endmacro %}

{% macro duckdb__cdp_json_extract(json_expr, path) -%}
    nullif(json_extract({{ json_expr }}, {{ cdp_sql_string(path) }}), 'null')
{%- endmacro %}

{% macro spark__cdp_json_extract(json_expr, path) -%}
    get_json_object({{ json_expr }}, {{ cdp_sql_string(path) }})
{%- endmacro %}


{#- Several scalars of one JSON document as a list of strings (each as cdp_json_string would give
    it), parsing the document once instead of once per path. Read the elements with cdp_list_at. -#}
{% macro cdp_json_strings(json_expr, paths) -%}
    {{ return(adapter.dispatch('cdp_json_strings', 'cdp')(json_expr, paths)) }}
{%- endmacro %}

{% macro duckdb__cdp_json_strings(json_expr, paths) -%}
    json_extract_string({{ json_expr }}, [{% for path in paths %}{{ cdp_sql_string(path) }}{% if not loop.last %}, {% endif %}{% endfor %}])
{%- endmacro %}

{% macro spark__cdp_json_strings(json_expr, paths) -%}
    array({% for path in paths %}get_json_object({{ json_expr }}, {{ cdp_sql_string(path) }}){% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}


{#- Several sub-documents of one JSON document as a list of JSON values (each as cdp_json_extract
    would give it), parsing the document once. -#}
{% macro cdp_json_extracts(json_expr, paths) -%}
    {{ return(adapter.dispatch('cdp_json_extracts', 'cdp')(json_expr, paths)) }}
{%- endmacro %}

{% macro duckdb__cdp_json_extracts(json_expr, paths) -%}
    list_transform(
        json_extract({{ json_expr }}, [{% for path in paths %}{{ cdp_sql_string(path) }}{% if not loop.last %}, {% endif %}{% endfor %}]),
        lambda document: nullif(document, 'null')
    )
{%- endmacro %}

{% macro spark__cdp_json_extracts(json_expr, paths) -%}
    {{ spark__cdp_json_strings(json_expr, paths) }}
{%- endmacro %}


{#- The select-list entries `<list>[i] as <name>` for a list built by cdp_json_strings or
    cdp_json_extracts from fields = {name: path, ...}, in the same order. -#}
{% macro cdp_unpack_json_list(list_expr, fields) -%}
    {%- for name in fields -%}
    {{ cdp_list_at(list_expr, loop.index) }} as {{ name }}{% if not loop.last %},
    {% endif %}
    {%- endfor -%}
{%- endmacro %}


{#- Element `index` (one-based) of a list/array. -#}
{% macro cdp_list_at(list_expr, index) -%}
    {{ return(adapter.dispatch('cdp_list_at', 'cdp')(list_expr, index)) }}
{%- endmacro %}

{% macro duckdb__cdp_list_at(list_expr, index) -%}
    {{ list_expr }}[{{ index }}]
{%- endmacro %}

{% macro spark__cdp_list_at(list_expr, index) -%}
    element_at({{ list_expr }}, {{ index }})
{%- endmacro %}


{#- A select of `relation` that unpacks many fields of the JSON column `json_column`: one column
    per entry of string_fields ({name: '$.path'}, each as cdp_json_string gives it) and of
    document_fields (each as cdp_json_extract gives it), then the `passthrough` columns as they
    are. -#}
{% macro cdp_select_json_fields(relation, json_column, string_fields, document_fields, passthrough) -%}
    {{ return(adapter.dispatch('cdp_select_json_fields', 'cdp')(relation, json_column, string_fields, document_fields, passthrough)) }}
{%- endmacro %}

{#- Portable: every path from one parse, as lists (cdp_json_strings, cdp_json_extracts). -#}
{% macro default__cdp_select_json_fields(relation, json_column, string_fields, document_fields, passthrough) -%}
    select
        {{ cdp_unpack_json_list('string_values', string_fields) }},
        {{ cdp_unpack_json_list('document_values', document_fields) }},
        {{ passthrough | join(', ') }}
    from (
        select
            {{ cdp_json_strings(json_column, string_fields.values() | list) }} as string_values,
            {{ cdp_json_extracts(json_column, document_fields.values() | list) }} as document_values,
            {{ passthrough | join(', ') }}
        from {{ relation }}
    ) as parsed
{%- endmacro %}

{#- DuckDB: json_transform walks the document once into a struct of every wanted string and
    document; a list of paths (json_extract_string, json_extract) walks it from the root again
    for each path, and a second list for the documents parsed every payload twice
    (docs/performance.md has the figures). Keys match case-sensitively, as the paths do; a
    number, boolean, object or array read into VARCHAR is its JSON text, as json_extract_string
    gives it; a document (JSON) is its JSON text, and an explicit JSON null is SQL null, as
    cdp_json_extract gives it. A string under a document (traits.email) is read from that
    document, a small second parse. tests/integration/test_json_fields.py holds this to the
    portable version. -#}
{% macro duckdb__cdp_select_json_fields(relation, json_column, string_fields, document_fields, passthrough) -%}
    {%- set tree = {} -%}
    {%- set columns = {} -%}
    {%- set from_documents = {} -%}
    {%- for name, path in document_fields.items() %}
        {%- do cdp_json_tree_put(tree, path, 'JSON') -%}
        {%- do columns.update({name: cdp_json_struct_path('parsed.document', path)}) -%}
    {%- endfor %}
    {%- for name, path in string_fields.items() %}
        {%- set ns = namespace(document=none) -%}
        {%- for document_path in document_fields.values() if path.startswith(document_path ~ '.') %}
            {%- set ns.document = document_path -%}
        {%- endfor %}
        {%- if ns.document is none %}
            {%- do cdp_json_tree_put(tree, path, 'VARCHAR') -%}
            {%- do columns.update({name: cdp_json_struct_path('parsed.document', path)}) -%}
        {%- else %}
            {%- set cut = ns.document | length -%}
            {%- if ns.document not in from_documents %}{% do from_documents.update({ns.document: []}) %}{% endif -%}
            {%- do from_documents[ns.document].append({'name': name, 'path': '$' ~ path[cut:]}) -%}
        {%- endif %}
    {%- endfor %}
    {%- set document_lists = [] -%}
    {%- for document_path, entries in from_documents.items() %}
        {%- set list_name = 'from_document_' ~ loop.index -%}
        {%- do document_lists.append({'name': list_name, 'document': document_path, 'entries': entries}) -%}
        {%- for entry in entries %}
            {%- do columns.update({entry.name: list_name ~ '[' ~ loop.index ~ ']'}) -%}
        {%- endfor %}
    {%- endfor %}
    select
        {%- for name in string_fields.keys() | list + document_fields.keys() | list %}
        {{ columns[name] }} as {{ name }},
        {%- endfor %}
        {{ passthrough | join(', ') }}
    from (
        select
            parsed.*
            {%- for list in document_lists %},
            json_extract_string({{ cdp_json_struct_path('parsed.document', list.document) }}, [{% for entry in list.entries %}{{ cdp_sql_string(entry.path) }}{% if not loop.last %}, {% endif %}{% endfor %}]) as {{ list.name }}
            {%- endfor %}
        from (
            select
                json_transform({{ json_column }}, {{ cdp_sql_string(tojson(tree)) }}) as document,
                {{ passthrough | join(', ') }}
            from {{ relation }}
        ) as parsed
    ) as parsed
{%- endmacro %}

{#- Add '$.a.b' to a json_transform structure (nested dicts) with the leaf type `leaf_type`. -#}
{% macro cdp_json_tree_put(tree, path, leaf_type) -%}
    {%- set keys = path[2:].split('.') -%}
    {%- set ns = namespace(node=tree) -%}
    {%- for key in keys[:-1] %}
        {%- if ns.node.get(key) is string -%}
            {{ exceptions.raise_compiler_error("cdp_select_json_fields: " ~ path ~ " is under a path read as a value; list the parent as a document") }}
        {%- elif ns.node.get(key) is not mapping %}{% do ns.node.update({key: {}}) %}{% endif -%}
        {%- set ns.node = ns.node[key] -%}
    {%- endfor %}
    {%- if ns.node.get(keys[-1]) is mapping -%}
        {{ exceptions.raise_compiler_error("cdp_select_json_fields: " ~ path ~ " is read both as a value and as an object of fields; list it as a document") }}
    {%- endif -%}
    {%- do ns.node.update({keys[-1]: leaf_type}) -%}
{%- endmacro %}

{#- '$.a.b' as a struct field access on `struct_expr`: struct_expr."a"."b". -#}
{% macro cdp_json_struct_path(struct_expr, path) -%}
    {{ struct_expr }}{% for key in path[2:].split('.') %}."{{ key }}"{% endfor %}
{%- endmacro %}
