-- Which customer every deduplicated source record belongs to: the record-level answer of identity
-- resolution (CRM contact_id, web messageId, POS transaction_id -> customer_id).

with

record_nodes as (

    select * from {{ ref('int_identity__record_nodes') }}
    where is_anchor

),

assignment as (

    select * from {{ ref('int_identity__customer_assignment') }}

),

final as (

    select
        record_nodes.source,
        record_nodes.record_key,
        assignment.customer_id,
        record_nodes.observed_at,
        record_nodes.node_key as anchor_node_key,
        record_nodes.is_record_node as has_no_usable_identifier

    from record_nodes
    inner join assignment on assignment.node_key = record_nodes.node_key

)

select * from final
