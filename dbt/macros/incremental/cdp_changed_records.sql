{#-
    Marts updated per changed record (customer_records): a nightly run rewrites the rows of the
    records whose customer changed since the mart was last built, not every record.

    A record's customer is the customer of its anchor node (cdp_record_anchors); all of a record's
    usable nodes are linked (same_record edges), so any of them gives the same customer. Since the
    mart's last build, a record's row can change only if

    * the record was rebuilt (a CRM contact updated, a till sale exported again, a web event of a
      device that received events, whose groups are formed again): its `_loaded_at` is newer than
      the newest load the mart's last build saw;
    * its anchor node changed customer, or is new (a record that lost its usable identifiers is
      now its own record node): int_identity__customer_assignment compares every node with the
      id the registry remembered (previous_customer_id);
    * its own record node vanished (the record has a usable identifier now): the registry still
      lists the node, named after the record (cdp_record_node_key).

    These are candidates: most rebuilt web events keep their group and customer, so the model
    compares each candidate's row with the one it holds and rewrites only those that differ.

    The comparison with the registry is only right if the registry remembers the assignment the
    mart was last built from. Each build records its run in cdp_incremental_builds (a post-hook),
    and so does the assignment, with the run whose ids it read from the registry: when that is
    not the mart's last build (a run that failed between the two, a run that built identity but
    not the marts) the mart is rebuilt from every record, as on a run that processes an erasure
    request.
-#}

{#- Where builds are recorded: the working database's main schema (dbt's target schema), next to
    cdp_tested_loads. -#}
{% macro cdp_incremental_builds_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='cdp_incremental_builds')) }}
{%- endmacro %}

{#- on-run-start: create the table on a new warehouse. -#}
{% macro cdp_create_incremental_builds() -%}
    create table if not exists {{ cdp_incremental_builds_relation() }} (
        model {{ dbt.type_string() }},
        run_id {{ dbt.type_string() }},
        built_at {{ dbt.type_timestamp() }},
        newest_load {{ dbt.type_timestamp() }},
        registry_run_id {{ dbt.type_string() }}
    )
{%- endmacro %}

{#- When this dbt invocation started, as a literal: the `_built_at` of every row a build writes,
    and of the build in cdp_incremental_builds. A constant timestamp per build costs nothing to
    store; the run id's 36 characters on 14 million rows, with string compression off, did. -#}
{% macro cdp_build_time() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- The newest `_loaded_at` of `relations`, now. -#}
{% macro cdp_newest_load_of(relations) -%}
    {%- set query -%}
        select max(newest) from (
        {%- for relation in relations %}
            select max(_loaded_at) as newest from {{ relation }}
            {%- if not loop.last %} union all{% endif %}
        {%- endfor %}
        ) as sources
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}

{#- A model's last build: (run_id, newest_load, registry_run_id, built_at), the times as text, or none. -#}
{% macro cdp_last_incremental_build(model) -%}
    {%- set result = run_query(
        "select run_id, cast(newest_load as " ~ dbt.type_string() ~ "), registry_run_id, cast(built_at as "
        ~ dbt.type_string() ~ ") from " ~ cdp_incremental_builds_relation() ~ " where model = '" ~ model ~ "'"
    ) -%}
    {{ return(result.rows[0] if result.rows | length > 0 else none) }}
{%- endmacro %}

{#- The last build of a mart updated per changed row that this run updates from: none on a full
    build, on a run that processes an erasure request, or before a first build was recorded (the
    mart is then built from every row). With `same_registry_run` (customer_records, which compares
    nodes with the ids the registry remembers), also none unless the assignment read the registry
    written by the run of that build (see above). Read when executing. -#}
{% macro cdp_build_to_update(same_registry_run=false) -%}
    {%- if not (execute and cdp_recompute_touched_only()) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set last_build = cdp_last_incremental_build(this.identifier) -%}
    {%- if last_build is none or last_build[1] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if same_registry_run -%}
        {%- set assignment = cdp_last_incremental_build('int_identity__customer_assignment') -%}
        {%- if assignment is none or assignment[2] is none or assignment[2] != last_build[0] -%}
            {{ return(none) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(last_build) }}
{%- endmacro %}

{#- Pre-hook: empty the table when this run rebuilds it from every row (its select then returns
    them all), so a row whose source is gone does not stay. -#}
{% macro cdp_empty_unless_updating(same_registry_run=false) -%}
    {%- if execute and is_incremental() and cdp_build_to_update(same_registry_run) is none -%}
    delete from {{ this }}
    {%- endif -%}
{%- endmacro %}

{#- (source, record_key) of the rows customer_records rewrote after `built_at` (a mart's last
    build, as text): the records whose customer changed since. -#}
{% macro cdp_records_rewritten_since(built_at) -%}
    select source, record_key
    from {{ ref('customer_records') }}
    where _built_at > cast('{{ built_at }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- customer_id of the customers whose records customer_records rewrote after `built_at` (a
    mart's last build, as text), and of the customers the rewritten rows replaced: the customers
    that gained, lost or changed a record since (marts.customers, customer_consent). -#}
{% macro cdp_customers_of_records_rewritten_since(built_at) -%}
    {%- set since = "cast('" ~ built_at ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
    select customer_id from {{ ref('customer_records') }}
    where _built_at > {{ since }}
    union
    select _previous_customer_id from {{ ref('customer_records') }}
    where _built_at > {{ since }}
        and _previous_customer_id is not null
{%- endmacro %}

{#- The rows of `relation` (with a customer_id) that a mart updated per changed customer reads: the
    touched customers' (its CTE `touched`), or every row when it is built from every row. -#}
{% macro cdp_rows_of_touched_customers(relation, changed_only) -%}
    select {{ relation }}.*
    from {{ relation }}
    {%- if changed_only %}
    inner join touched on touched.customer_id = {{ relation }}.customer_id
    {%- endif %}
{%- endmacro %}

{#- Pre-hook of a mart updated per changed row: on a run that updates only changed rows, delete
    the rows whose `key` its source `relation` no longer has (the source rebuilt them under
    another key, or dropped them). -#}
{% macro cdp_forget_vanished_rows(key, relation) -%}
    {%- if cdp_build_to_update() is not none -%}
    delete from {{ this }} where {{ key }} not in (select {{ key }} from {{ relation }})
    {%- endif -%}
{%- endmacro %}

{#- Post-hooks: record this build in place of the model's last one: its run, and the newest load
    of `newest_load_of` it has seen (a mart updated per changed row), or the run whose ids the
    registry held (the assignment). -#}
{% macro cdp_forget_incremental_build() -%}
    delete from {{ cdp_incremental_builds_relation() }} where model = '{{ this.identifier }}'
{%- endmacro %}

{% macro cdp_record_incremental_build(newest_load_of=none, registry_run=false) -%}
    {%- set newest = cdp_newest_load_of(newest_load_of) if execute and newest_load_of else none -%}
    {%- set registry = run_query(
        "select max(run_id) from " ~ cdp_registry_table('customer_id_assignments')
    ).columns[0].values()[0] if execute and registry_run else none -%}
    insert into {{ cdp_incremental_builds_relation() }}
    values (
        '{{ this.identifier }}', '{{ cdp_run_id() }}', {{ cdp_build_time() }},
        {% if newest is none %}null{% else %}cast('{{ newest }}' as {{ dbt.type_timestamp() }}){% endif %},
        {% if registry is none %}null{% else %}'{{ registry }}'{% endif %}
    )
{%- endmacro %}

{#- (source, record_key) of the records rebuilt since a build that saw loads up to
    `previous_load`: their content (a CRM contact's new version, a re-delivered web event's
    traits) may have changed, whether or not their customer did. -#}
{% macro cdp_records_rebuilt_since(previous_load) -%}
    {%- set since = "cast('" ~ previous_load ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
    {%- for source, (relation, key) in cdp_record_sources().items() %}
    select '{{ source }}' as source, {{ key }} as record_key
    from {{ relation }}
    where _loaded_at > {{ since }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- (source, record_key) of every record whose customer may have changed since the model's last
    build (see above); `previous_load` is the newest load that build saw. -#}
{% macro cdp_changed_record_candidates(previous_load) -%}
    {%- set moved_nodes -%}
        select node_key from {{ ref('int_identity__customer_assignment') }}
        where previous_customer_id is null or previous_customer_id <> customer_id
    {%- endset %}

    -- records rebuilt since
    {{ cdp_records_rebuilt_since(previous_load) }}

    union

    -- records anchored on a node that changed customer or is new: a CRM contact, a till sale, or
    -- a web event that is its own record node, directly
    select anchors.source, anchors.record_key
    from {{ ref('int_identity__record_nodes') }} as anchors
    inner join ({{ moved_nodes }}) as moved on moved.node_key = anchors.node_key
    where anchors.is_anchor
        and (anchors.source <> 'web' or anchors.is_record_node)

    union

    -- ... and the web events of a group anchored on such a node
    select 'web', event_groups.message_id
    from {{ ref('int_identity__web_event_groups') }} as event_groups
    inner join {{ ref('int_identity__record_nodes') }} as anchors
        on anchors.source = 'web'
        and anchors.record_key = event_groups.group_key
    inner join ({{ moved_nodes }}) as moved on moved.node_key = anchors.node_key
    where anchors.is_anchor
        and not anchors.is_record_node

    union

    -- records whose own record node vanished: named in the node ("record:<source>:<record_key>")
    select
        {{ dbt.split_part('previous.node_key', "':'", 2) }},
        substr(previous.node_key, {{ dbt.length(dbt.split_part('previous.node_key', "':'", 2)) }} + 9)
    from {{ cdp_registry_table('customer_id_assignments') }} as previous
    left join {{ ref('int_identity__customer_assignment') }} as assignment
        on assignment.node_key = previous.node_key
    where previous.node_key like 'record:%'
        and assignment.node_key is null
{%- endmacro %}
