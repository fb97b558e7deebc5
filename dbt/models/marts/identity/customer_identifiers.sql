-- The identifier crosswalk: every well-formed identifier, per source, and the customer it belongs
-- to. An identifier that is not used for linking (blocklisted or shared) can map to several
-- customers; used_for_linking says which is which.

-- Incremental: a nightly run recomputes, from all their records, the identifiers whose rows may
-- have changed since the last build (cdp_changed_records.sql), and rewrites those rows (delete+insert
-- by identifier): the identifiers of records rebuilt since, the nodes that changed customer or are
-- new, the identifiers not used for linking that a record customer_records rewrote since carries,
-- and the identifiers whose exclusion changed. A run that processes an erasure request rebuilds
-- the table. `_built_at`: as in customer_records, what the release patches with.

-- depends_on: {{ ref('suppressed_identifiers') }}  (read by cdp_recompute_touched_only on nightly runs only)
-- depends_on: {{ ref('customer_records') }}, {{ ref('int_identity__web_event_groups') }}  (the changed identifiers)

{%- set last_build = cdp_build_to_update() %}
{%- set changed_only = last_build is not none %}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['identifier_type', 'identifier_value'],
    pre_hook="{{ cdp_empty_unless_changed_rows_only() }}",
    post_hook=["{{ cdp_forget_incremental_build() }}", "{{ cdp_record_incremental_build([ref('int_identity__record_identifiers')]) }}"],
) }}

with

all_identifiers as {{ cdp_not_materialized() }} (

    select * from {{ ref('int_identity__record_identifiers') }}
    where not is_malformed

),

{% if changed_only %}
-- records customer_records rewrote since the last build, as the records identifiers are listed
-- under (a web event: its group)
rewritten_records as (

    select rewritten.source, coalesce(event_groups.group_key, rewritten.record_key) as record_key
    from {{ ref('customer_records') }} as rewritten
    left join {{ ref('int_identity__web_event_groups') }} as event_groups
        on rewritten.source = 'web'
        and event_groups.message_id = rewritten.record_key
    where rewritten._built_at > cast('{{ last_build[3] }}' as {{ dbt.type_timestamp() }})

),

changed_identifiers as (

    -- the identifiers of records rebuilt since
    select node_key from all_identifiers
    where _loaded_at > cast('{{ last_build[1] }}' as {{ dbt.type_timestamp() }})
    union
    -- nodes that changed customer or are new
    select node_key from {{ ref('int_identity__customer_assignment') }}
    where previous_customer_id is null or previous_customer_id <> customer_id
    union
    -- identifiers not used for linking (no node: their customers are their records') on a record
    -- whose customer changed
    select all_identifiers.node_key
    from all_identifiers
    inner join rewritten_records
        on rewritten_records.source = all_identifiers.source
        and rewritten_records.record_key = all_identifiers.record_key
    inner join {{ ref('int_identity__excluded_identifiers') }} as excluded
        on excluded.node_key = all_identifiers.node_key
    union
    -- identifiers excluded now, or held as excluded: their exclusion may have changed
    select node_key from {{ ref('int_identity__excluded_identifiers') }}
    where node_key is not null
    union
    select {{ dbt.concat(['identifier_type', "':'", 'identifier_value']) }}
    from {{ this }}
    where not used_for_linking

),

{% endif %}
identifiers as (

    select all_identifiers.*
    from all_identifiers
    {%- if changed_only %}
    inner join changed_identifiers on changed_identifiers.node_key = all_identifiers.node_key
    {%- endif %}

),

-- every record its identifiers are listed under (a web event group: its earliest event) and its
-- customer, through the record's anchor. A record with a usable identifier has one anchor, and
-- its first and last time seen and how many source records it stands for are already on each of
-- its identifier rows (a web group: its first and last event and its size). A record with none is
-- its own record node: each event of such a web group is its own customer, one record seen once,
-- listed under its group. (Grouping all 12.3 million records at 1,000,000 people for the figures
-- of every record took a third of this model's time.)
anchored_records as (

    select source, record_key as group_record_key, node_key as anchor_node_key,
           cast(null as {{ dbt.type_timestamp() }}) as first_seen_at,
           cast(null as {{ dbt.type_timestamp() }}) as last_seen_at,
           cast(null as {{ dbt.type_bigint() }}) as records
    from {{ ref('int_identity__record_nodes') }}
    where is_anchor and not is_record_node

),

record_node_records as (

    select source, group_record_key, node_key as anchor_node_key,
           observed_at as first_seen_at,
           observed_at as last_seen_at,
           cast(1 as {{ dbt.type_bigint() }}) as records
    from {{ ref('int_identity__record_nodes') }}
    where is_record_node

),

records as (

    select records.*, assignment.customer_id
    from (
        select * from anchored_records
        union all
        select * from record_node_records
    ) as records
    inner join {{ ref('int_identity__customer_assignment') }} as assignment
        on assignment.node_key = records.anchor_node_key

),

excluded as (

    select node_key, {{ cdp_string_agg_distinct('exclusion') }} as exclusions
    from {{ ref('int_identity__excluded_identifiers') }}
    where node_key is not null
    group by node_key

),

-- grouped by the node ("<type>:<value>"), the value read from it once per row of the result
grouped as (

    select
        identifiers.identifier_type,
        identifiers.node_key,
        identifiers.source,
        records.customer_id,
        excluded.node_key is null as used_for_linking,
        excluded.exclusions,
        min(coalesce(records.first_seen_at, identifiers.observed_at)) as first_seen_at,
        max(coalesce(records.last_seen_at, identifiers.last_observed_at)) as last_seen_at,
        cast(sum(coalesce(records.records, identifiers.records)) as {{ dbt.type_bigint() }}) as records

    from identifiers
    inner join records
        on records.source = identifiers.source
        and records.group_record_key = identifiers.record_key
    left join excluded on excluded.node_key = identifiers.node_key
    group by 1, 2, 3, 4, 5, 6

),

final as (

    select
        identifier_type,
        {{ cdp_identifier_value('node_key', 'identifier_type') }} as identifier_value,
        source,
        customer_id,
        used_for_linking,
        exclusions,
        first_seen_at,
        last_seen_at,
        records,
        {{ cdp_build_time() }} as _built_at

    from grouped

)

select * from final
