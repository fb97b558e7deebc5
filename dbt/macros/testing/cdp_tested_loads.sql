{#-
    Tests over what a nightly run added, not over all history.

    Staging models only append: a staged row never changes once written. So a test of staged rows
    that passed has checked every row up to the newest `_loaded_at` it saw, and the next run need
    only check the rows loaded after that. A year of web events at 100,000 people is 11.5 million
    rows; a night adds 33,000, and the two uniqueness tests over every staged event were 4.6 s of a
    nightly run (docs/performance.md).

    A test opts in with its `where` config (yml), as a placeholder this project's
    get_where_subquery replaces:

    * `cdp_new_loads`: the rows loaded after the newest load the test has passed on (row-level
      tests only: not null, accepted values, expressions, patterns; any other test named with it
      stops the compilation, so a folder default cannot silently scope a uniqueness test);
    * `cdp_keys_of_new_loads(<column>)`: every row sharing <column>'s value with such a row
      (uniqueness tests: a new row can repeat an old one, so both must be in the test; <column>
      is the key, or a column every duplicate shares, such as the source file of a file and line).

    The newest `_loaded_at` a test has passed on is kept in cdp_tested_loads, recorded at the end
    of every dbt invocation for the opted-in tests that passed in it (cdp_record_tested_loads,
    on-run-end). A test that failed, or did not run, keeps its older mark, so the next run checks
    again everything loaded since. A full refresh, a new test and a new warehouse check every row.
-#}

{#- Where the marks are kept: the working database's main schema (dbt's target schema). -#}
{% macro cdp_tested_loads_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='cdp_tested_loads')) }}
{%- endmacro %}

{#- on-run-start: create the marks' table on a new warehouse. -#}
{% macro cdp_create_tested_loads() -%}
    create table if not exists {{ cdp_tested_loads_relation() }} (
        test_id {{ dbt.type_string() }},
        tested_through {{ dbt.type_timestamp() }},
        recorded_at {{ dbt.type_timestamp() }}
    )
{%- endmacro %}

{#- The newest `_loaded_at` a test has passed on; none for a test without a mark (or before the
    marks' table exists). Read when the test is compiled, just before it runs. -#}
{% macro cdp_tested_mark(test_id) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set marks = cdp_tested_loads_relation() -%}
    {%- if adapter.get_relation(database=marks.database, schema=marks.schema, identifier=marks.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(run_query("select max(tested_through) from " ~ marks ~ " where test_id = '" ~ test_id ~ "'").columns[0].values()[0]) }}
{%- endmacro %}

{#- The column that says when a row was written: `_loaded_at` (staged rows), or the tested
    model's meta `cdp_row_stamp` (`_built_at`, the marts updated per changed row; a row rewritten
    by a later build carries the later stamp). -#}
{% macro cdp_row_stamp(test_node) -%}
    {%- set tested = graph.nodes.get(test_node.attached_node) if test_node.attached_node else none -%}
    {{ return((tested.config.meta.get('cdp_row_stamp') if tested is not none else none) or '_loaded_at') }}
{%- endmacro %}

{#- The condition on the row stamp of the rows a test has not passed on yet (`true` without a
    mark). The mark is written as a literal: with a subquery in its place DuckDB cannot estimate
    how few rows pass, and plans the scoped uniqueness test of the deduplicated web events with
    its hash table on all 11.5 million events (2.3 s against 0.4 s, a year at 100,000 people). -#}
{% macro cdp_not_yet_tested(test_node) -%}
    {%- set mark = cdp_tested_mark(test_node.unique_id) -%}
    {%- if mark is none -%}
    true
    {%- else -%}
    {{ cdp_row_stamp(test_node) }} > cast('{{ mark }}' as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}

{#- Whether a test's `where` config opts in: the placeholder's name ('cdp_new_loads' or
    'cdp_keys_of_new_loads'), none otherwise. -#}
{% macro cdp_test_scope(where) -%}
    {%- for scope in ['cdp_new_loads', 'cdp_keys_of_new_loads'] if (where or '').startswith(scope) -%}
        {{ return(scope) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{#- dbt's get_where_subquery (the relation a generic test reads, filtered by its `where` config),
    with the two placeholders above. Any other `where` is applied as dbt applies it. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') or '' -%}
    {%- if cdp_test_scope(where) is none -%}
        {%- do return(adapter.dispatch('get_where_subquery', 'dbt')(relation)) -%}
    {%- endif -%}
    {%- set row_level = where == 'cdp_new_loads' -%}
    {%- set keys = where.startswith('cdp_keys_of_new_loads(') and where.endswith(')') -%}
    {%- if not (row_level or keys) -%}
        {{ exceptions.raise_compiler_error("Unknown test scope '" ~ where ~ "' in " ~ model.unique_id
            ~ ": use cdp_new_loads or cdp_keys_of_new_loads(<column>)") }}
    {%- endif -%}
    {%- set test_name = (model.test_metadata or {}).get('name') -%}
    {%- if row_level and test_name not in ['not_null', 'accepted_values', 'expression_is_true', 'is_trimmed_lowercase', 'matches_pattern'] -%}
        {{ exceptions.raise_compiler_error("The test " ~ model.unique_id ~ " (" ~ test_name ~ ") compares rows with each"
            ~ " other: scoped to the new loads' rows it would miss an old row that a new one repeats or outnumbers."
            ~ " Set its where to cdp_keys_of_new_loads(<key>) or to ''") }}
    {%- endif -%}
    {%- if flags.FULL_REFRESH or cdp_tested_mark(model.unique_id) is none -%}
        {#- every row: the test reads the relation as it is, without the scope's self-join (a
            first build's uniqueness tests were 4 s slower at 1,000,000 people with it) -#}
        {%- do return(relation) -%}
    {%- elif row_level -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ cdp_not_yet_tested(model) ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- set column = where[('cdp_keys_of_new_loads(' | length):-1] | trim -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ column ~ ' in (select ' ~ column ~ ' from '
            ~ relation ~ ' where ' ~ cdp_not_yet_tested(model) ~ ')) dbt_subquery') -%}
    {%- endif -%}
{%- endmacro %}

{#- on-run-end: for every opted-in test that passed in this invocation, record the newest
    `_loaded_at` of the relation it tested. Nothing is added between a model's tests and the end of
    the invocation, so every row up to that mark has passed. Marks are only added (a few rows a
    run); a test's mark is its newest, and a run that loaded nothing new adds none. -#}
{% macro cdp_record_tested_loads(results) -%}
    {%- if execute %}
    {%- set marks = [] %}
    {%- for result in results if result.node.resource_type == 'test' and result.status == 'pass' %}
        {%- if cdp_test_scope(result.node.config.where) is not none %}
            {#- only the rows after the previous mark are read (the staged events' row groups of
                the new loads; a view's join only for them) -#}
            {%- do marks.append("select '" ~ result.node.unique_id ~ "' as test_id, max(" ~ cdp_row_stamp(result.node)
                ~ ") as tested_through from " ~ graph.nodes[result.node.attached_node].relation_name
                ~ " where " ~ cdp_not_yet_tested(result.node)) %}
        {%- endif %}
    {%- endfor %}
    {%- if marks %}
    insert into {{ cdp_tested_loads_relation() }}
    select test_id, tested_through, {{ dbt.current_timestamp() }}
    from ({{ marks | join(' union all ') }}) as marks
    where tested_through is not null
    {%- endif %}
    {%- endif %}
{%- endmacro %}
