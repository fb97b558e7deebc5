{#-
    Connected components by label propagation. Renders a query returning (node_id, component_id)
    where component_id is the smallest node_id of the node's component.
    nodes: a relation/CTE with an integer id column; edges: a relation/CTE of (a, b) id pairs,
    taken as undirected.
-#}
{% macro cdp_connected_components(nodes, node_id, edges, edge_a, edge_b) -%}
    {{ return(adapter.dispatch('cdp_connected_components', 'cdp')(nodes, node_id, edges, edge_a, edge_b)) }}
{%- endmacro %}

{#- DuckDB: leaves first, then one recursive CTE keyed on the node over what is left.
    Most nodes of the identity graph with an edge are leaves (one neighbour: a cookie seen with one
    account, an e-mail on one contact): 1.5 of the 3.3 million at 1,000,000 people. A leaf is in its
    neighbour's component, so labels propagate only over the core (the nodes with two or more
    neighbours) and each leaf then takes its neighbour's label; the smallest leaf of a component
    can still be its smallest node, so a component's label is the smaller of the core's label and
    its leaves'. Two leaves joined to each other are a component of their own.
    Over the core: each round joins only the nodes whose label improved in the previous round (the
    working table) to their neighbours, and keeps a neighbour's new label only when it is smaller
    than what the whole table (recurring.cc) already holds, so the recursion stops at the fixed
    point. It is seeded with the smallest of each node and its core neighbours (one round fewer,
    and the first, all-nodes round is an aggregate instead of a join). Nodes without an edge (a
    third of the identity graph's: a cash sale, a lone cookie) are their own component. -#}
{% macro duckdb__cdp_connected_components(nodes, node_id, edges, edge_a, edge_b) -%}
    select all_nodes.{{ node_id }} as node_id, coalesce(labelled.label, all_nodes.{{ node_id }}) as component_id
    from {{ nodes }} as all_nodes
    left join (
        with recursive
        -- both directions of every edge, once; a node's edge to itself joins nothing
        undirected (a, b) as materialized (
            select {{ edge_a }}, {{ edge_b }} from {{ edges }} where {{ edge_a }} <> {{ edge_b }}
            union
            select {{ edge_b }}, {{ edge_a }} from {{ edges }} where {{ edge_a }} <> {{ edge_b }}
        ),
        neighbours (node, neighbour_count) as materialized (
            select a, count(*) from undirected group by a
        ),
        leaves (leaf, neighbour, neighbour_is_leaf) as materialized (
            select undirected.a, undirected.b, neighbour.neighbour_count = 1
            from undirected
            inner join neighbours as leaf on leaf.node = undirected.a and leaf.neighbour_count = 1
            inner join neighbours as neighbour on neighbour.node = undirected.b
        ),
        core_edges (a, b) as materialized (
            select undirected.a, undirected.b
            from undirected
            inner join neighbours as node_a on node_a.node = undirected.a and node_a.neighbour_count > 1
            inner join neighbours as node_b on node_b.node = undirected.b and node_b.neighbour_count > 1
        ),
        cc (node, label) using key (node) as (
            select neighbours.node, least(neighbours.node, coalesce(min(core_edges.b), neighbours.node))
            from neighbours
            left join core_edges on core_edges.a = neighbours.node
            where neighbours.neighbour_count > 1
            group by neighbours.node
            union
            select core_edges.b, min(cc.label)
            from cc
            inner join core_edges on core_edges.a = cc.node
            left join recurring.cc as known on known.node = core_edges.b
            group by core_edges.b
            having min(cc.label) < min(known.label)
        ),
        smallest_leaves (label, smallest_leaf) as (
            select cc.label, min(leaves.leaf)
            from leaves
            inner join cc on cc.node = leaves.neighbour
            group by cc.label
        ),
        core_labels (node, label) as materialized (
            select cc.node, least(cc.label, coalesce(smallest_leaves.smallest_leaf, cc.label))
            from cc
            left join smallest_leaves on smallest_leaves.label = cc.label
        )
        select node, label from core_labels
        union all
        select leaves.leaf, core_labels.label
        from leaves
        inner join core_labels on core_labels.node = leaves.neighbour
        union all
        select leaf, least(leaf, neighbour) from leaves where neighbour_is_leaf
    ) as labelled
        on labelled.node = all_nodes.{{ node_id }}
{%- endmacro %}

{#- Portable fallback (Spark and others without keyed recursion): a fixed number of rounds of
    min-label propagation, unrolled. Exact when no component is wider than
    var('identity_propagation_rounds') hops; raise it for graphs with long chains. -#}
{% macro default__cdp_connected_components(nodes, node_id, edges, edge_a, edge_b) -%}
    {%- set rounds = var('identity_propagation_rounds', 32) -%}
    with undirected as (
        select {{ edge_a }} as a, {{ edge_b }} as b from {{ edges }}
        union all
        select {{ edge_b }}, {{ edge_a }} from {{ edges }}
    ),
    round_0 as (select {{ node_id }} as node, {{ node_id }} as label from {{ nodes }})
    {%- for i in range(1, rounds + 1) %},
    round_{{ i }} as (
        select r.node, least(r.label, coalesce(min(n.label), r.label)) as label
        from round_{{ i - 1 }} as r
        left join undirected as u on u.a = r.node
        left join round_{{ i - 1 }} as n on n.node = u.b
        group by r.node, r.label
    )
    {%- endfor %}
    select node as node_id, label as component_id from round_{{ rounds }}
{%- endmacro %}
