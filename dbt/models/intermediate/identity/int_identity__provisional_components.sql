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

fuzzy_matches as (

    select * from {{ ref('int_identity__fuzzy_matches') }}

),

excluded as (

    select distinct node_key
    from {{ ref('int_identity__excluded_identifiers') }}
    where node_key is not null

),

-- the nodes of int_identity__record_nodes, each once: the usable identifiers (every one is on
-- some record) and the records' own nodes (one per record without a usable identifier)
distinct_nodes as (

    select identifier_nodes.node_key
    from {{ ref('int_identity__identifier_nodes') }} as identifier_nodes
    left join excluded on excluded.node_key = identifier_nodes.node_key
    where excluded.node_key is null

    union all

    select node_key from record_nodes
    where is_record_node

),

nodes as (

    select node_key, row_number() over (order by node_key) as node_id
    from distinct_nodes

),

edges as (

    select anchor_node.node_id as node_a, other_node.node_id as node_b
    from record_nodes
    inner join nodes as anchor_node on anchor_node.node_key = record_nodes.anchor_node_key
    inner join nodes as other_node on other_node.node_key = record_nodes.node_key
    where not record_nodes.is_anchor

    union

    -- a record-pair match joins the two records' anchors
    select node_a.node_id, node_b.node_id
    from fuzzy_matches
    inner join nodes as node_a on node_a.node_key = fuzzy_matches.anchor_node_key_a
    inner join nodes as node_b on node_b.node_key = fuzzy_matches.anchor_node_key_b
    where fuzzy_matches.anchor_node_key_a <> fuzzy_matches.anchor_node_key_b

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
