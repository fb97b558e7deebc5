-- The identifier crosswalk: every well-formed identifier, per source, and the customer it belongs
-- to. An identifier that is not used for linking (blocklisted or shared) can map to several
-- customers; used_for_linking says which is which.

with

identifiers as (

    select * from {{ ref('int_identity__record_identifiers') }}
    where not is_malformed

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
        records

    from grouped

)

select * from final
