-- Which customer every deduplicated source record belongs to: the record-level answer of identity
-- resolution (CRM contact_id, web messageId, POS transaction_id -> customer_id).

with

record_anchors as (

    select * from {{ ref('int_identity__record_anchors') }}

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
        record_anchors.anchor_node_key,
        record_anchors.is_record_node as has_no_usable_identifier

    from record_anchors
    inner join assignment on assignment.node_key = record_anchors.anchor_node_key

)

select * from final
