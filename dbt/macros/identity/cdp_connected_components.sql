{#-
    Connected components by label propagation. Renders a query returning (node_id, component_id)
    where component_id is the smallest node_id of the node's component.
    nodes: a relation/CTE with an integer id column; edges: a relation/CTE of (a, b) id pairs,
    taken as undirected.
-#}
{% macro cdp_connected_components(nodes, node_id, edges, edge_a, edge_b) -%}
    {{ return(adapter.dispatch('cdp_connected_components', 'cdp')(nodes, node_id, edges, edge_a, edge_b)) }}
{%- endmacro %}

{#- DuckDB: one recursive CTE keyed on the node. Each round joins only the nodes whose label
    improved in the previous round (the working table) to their neighbours, and keeps a
    neighbour's new label only when it is smaller than what the whole table (recurring.cc)
    already holds, so the recursion stops at the fixed point. Only nodes with an edge take part
    (a third of the identity graph's nodes have none: a cash sale, a lone cookie); the others are
    their own component. Labels only ever fall to a smaller id of the same component, so the
    seed may start each node at its smallest neighbour and the fixed point is unchanged. -#}
{% macro duckdb__cdp_connected_components(nodes, node_id, edges, edge_a, edge_b) -%}
    select all_nodes.{{ node_id }} as node_id, coalesce(propagated.label, all_nodes.{{ node_id }}) as component_id
    from {{ nodes }} as all_nodes
    left join (
        with recursive
        undirected (a, b) as materialized (
            select {{ edge_a }}, {{ edge_b }} from {{ edges }}
            union all
            select {{ edge_b }}, {{ edge_a }} from {{ edges }}
        ),
        cc (node, label) using key (node) as (
            -- seeded with the smallest of each node and its neighbours: one round fewer, and the
            -- first (all-nodes) round is an aggregate instead of a join (a fifth faster at 1M)
            select a, least(a, min(b)) from undirected group by a
            union
            select undirected.b, min(cc.label)
            from cc
            inner join undirected on undirected.a = cc.node
            left join recurring.cc as known on known.node = undirected.b
            group by undirected.b
            having min(cc.label) < min(known.label)
        )
        select * from cc
    ) as propagated
        on propagated.node = all_nodes.{{ node_id }}
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
