-- Provisional customers: connected components of the identity graph as identifiers and the
-- record-pair rules (int_identity__fuzzy_matches) leave it, before a nameless till sale is matched
-- to a whole customer (int_identity__cluster_matches). The same edges int_identity__links draws
-- from records and record-pair matches; int_identity__components adds the customer matches to
-- these components rather than propagating labels through the whole graph a second time.
-- Nodes are numbered in node_key order and component_id is the smallest number in the component.

with

record_nodes as {{ cdp_not_materialized() }} (

    select * from {{ ref('int_identity__record_nodes') }}

),

-- every source record's anchor (a web event's is its group's), for records matched one by one
record_anchors as {{ cdp_not_materialized() }} (

    select * from {{ ref('int_identity__record_anchors') }}

),

fuzzy_matches as (

    select * from {{ ref('int_identity__fuzzy_matches') }}

),

nodes as (

    select node_key, row_number() over (order by node_key) as node_id
    from (select distinct node_key from record_nodes) as distinct_nodes

),

edges as (

    select anchor_node.node_id as node_a, other_node.node_id as node_b
    from record_nodes
    inner join nodes as anchor_node on anchor_node.node_key = record_nodes.anchor_node_key
    inner join nodes as other_node on other_node.node_key = record_nodes.node_key
    where not record_nodes.is_anchor

    union

    select node_a.node_id, node_b.node_id
    from fuzzy_matches
    inner join record_anchors as anchor_a
        on anchor_a.source = fuzzy_matches.source_a and anchor_a.record_key = fuzzy_matches.record_key_a
    inner join record_anchors as anchor_b
        on anchor_b.source = fuzzy_matches.source_b and anchor_b.record_key = fuzzy_matches.record_key_b
    inner join nodes as node_a on node_a.node_key = anchor_a.anchor_node_key
    inner join nodes as node_b on node_b.node_key = anchor_b.anchor_node_key
    where anchor_a.anchor_node_key <> anchor_b.anchor_node_key

),

labels as (

    {{ cdp_connected_components('nodes', 'node_id', 'edges', 'node_a', 'node_b') }}

),

final as (

    select nodes.node_key, labels.component_id
    from nodes
    inner join labels on labels.node_id = nodes.node_id

)

select * from final
