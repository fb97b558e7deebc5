-- Which customer every deduplicated source record belongs to: the record-level answer of identity
-- resolution (CRM contact_id, web messageId, POS transaction_id -> customer_id).
-- The record's anchor node (its smallest identifier, the graph's internal handle on it) is not
-- published: it says nothing about why the record joined its customer (every identifier counts,
-- customer_identifiers lists them), and as an identifier value it made this 12-million-row table
-- (at 1,000,000 people) one the release had to write twice, hashed for analysts and in full.

-- Identity resolution resolves a group of web events with the same identifiers once
-- (int_identity__record_nodes); this is where every event gets its row (cdp_record_anchors).

with

record_anchors as (

    {{ cdp_record_anchors() }}

),

assignment as (

    select * from {{ ref('int_identity__customer_assignment') }}

),

final as (

    select
        record_anchors.source,
        record_anchors.record_key,
        assignment.customer_id,
        record_anchors.observed_at,
        record_anchors.is_record_node as has_no_usable_identifier

    from record_anchors
    inner join assignment on assignment.node_key = record_anchors.anchor_node_key

)

select * from final
