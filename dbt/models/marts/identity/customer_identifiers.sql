-- The identifier crosswalk: every well-formed identifier, per source, and the customer it belongs
-- to. An identifier that is not used for linking (blocklisted or shared) can map to several
-- customers; used_for_linking says which is which.

with

identifiers as (

    select * from {{ ref('int_identity__record_identifiers') }}
    where not is_malformed

),

-- every record its identifiers are listed under (a web event: its group's earliest event), with
-- the records it stands for per anchor, aggregated before anything is joined to them: joined
-- event by event, each identifier of a group was repeated once per event of the group (19
-- million rows at 1,000,000 people, for 4.8 million identifiers)
records_by_anchor as (

    select source, group_record_key, anchor_node_key,
           min(observed_at) as first_seen_at,
           max(observed_at) as last_seen_at,
           count(*) as records
    from {{ ref('int_identity__record_anchors') }}
    group by source, group_record_key, anchor_node_key

),

records as (

    select records_by_anchor.*, assignment.customer_id
    from records_by_anchor
    inner join {{ ref('int_identity__customer_assignment') }} as assignment
        on assignment.node_key = records_by_anchor.anchor_node_key

),

excluded as (

    select node_key, {{ cdp_string_agg_distinct('exclusion') }} as exclusions
    from {{ ref('int_identity__excluded_identifiers') }}
    where node_key is not null
    group by node_key

),

final as (

    select
        identifiers.identifier_type,
        identifiers.identifier_value,
        identifiers.source,
        records.customer_id,
        excluded.node_key is null as used_for_linking,
        excluded.exclusions,
        min(records.first_seen_at) as first_seen_at,
        max(records.last_seen_at) as last_seen_at,
        cast(sum(records.records) as {{ dbt.type_bigint() }}) as records

    from identifiers
    inner join records
        on records.source = identifiers.source
        and records.group_record_key = identifiers.record_key
    left join excluded on excluded.node_key = identifiers.node_key
    group by 1, 2, 3, 4, 5, 6

)

select * from final
