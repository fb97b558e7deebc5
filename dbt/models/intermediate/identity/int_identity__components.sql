-- Connected components of the identity graph: every node gets the component it belongs to.
-- The graph is int_identity__links: the provisional components (int_identity__provisional_components,
-- every edge but the customer matches) joined by the customer matches of
-- int_identity__cluster_matches. Those only ever join a handful of provisional components, so labels
-- propagate over a graph of components (each named by its smallest node number) instead of over
-- every node again; see macros/identity/cdp_connected_components.sql. The result is the components
-- of the whole graph, each named by the smallest number of its nodes (nodes numbered in node_key
-- order). A component is one customer; component_id is valid for this run only (stable customer
-- ids are assigned from it by int_identity__customer_assignment).

with

provisional_components as {{ cdp_not_materialized() }} (

    select * from {{ ref('int_identity__provisional_components') }}

),

cluster_matches as (

    select * from {{ ref('int_identity__cluster_matches') }}

),

component_edges as (

    select distinct component_a.component_id as component_a, component_b.component_id as component_b
    from cluster_matches
    inner join provisional_components as component_a on component_a.node_key = cluster_matches.anchor_node_key_a
    inner join provisional_components as component_b on component_b.node_key = cluster_matches.anchor_node_key_b
    where component_a.component_id <> component_b.component_id

),

matched_components as (

    select component_a as component_id from component_edges
    union
    select component_b from component_edges

),

labels as (

    {{ cdp_connected_components('matched_components', 'component_id', 'component_edges', 'component_a', 'component_b') }}

),

final as (

    select
        provisional_components.node_key,
        coalesce(labels.component_id, provisional_components.component_id) as component_id

    from provisional_components
    left join labels on labels.node_id = provisional_components.component_id

)

select * from final
