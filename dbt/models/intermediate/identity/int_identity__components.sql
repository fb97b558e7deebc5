-- Connected components of the identity graph: every node gets the component it belongs to.
-- Nodes are numbered, then labels propagate: every node starts with its own number and
-- repeatedly takes the smallest label among its neighbours until nothing changes (a fixed
-- point). On DuckDB this is one recursive CTE keyed on the node (USING KEY), so each round only
-- revisits the nodes whose label just improved; see macros/identity/cdp_connected_components.sql.
-- A component is one customer; component_id is a number valid for this run only (stable
-- customer ids are assigned from it by int_identity__customer_assignment).

with

nodes as (

    select node_key, row_number() over (order by node_key) as node_id
    from (select distinct node_key from {{ ref('int_identity__record_nodes') }}) as distinct_nodes

),

links as (

    select * from {{ ref('int_identity__links') }}

),

numbered_edges as (

    select distinct node_a.node_id as node_a, node_b.node_id as node_b
    from links
    inner join nodes as node_a on node_a.node_key = links.node_a
    inner join nodes as node_b on node_b.node_key = links.node_b

),

labels as (

    {{ cdp_connected_components('nodes', 'node_id', 'numbered_edges', 'node_a', 'node_b') }}

),

final as (

    select nodes.node_key, labels.component_id
    from nodes
    inner join labels on labels.node_id = nodes.node_id

)

select * from final
