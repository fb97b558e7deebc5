"""cdp_connected_components: the components the identity graph is cut into.

The DuckDB version prunes leaves (nodes with one neighbour) before it propagates labels and gives
them their neighbour's label afterwards; the portable version propagates over every node for a
fixed number of rounds. Both must give every node the smallest node id of its component, the
answer a plain union-find gives, on the shapes that make leaf pruning go wrong: a leaf holding its
component's smallest id, two leaves joined only to each other, a node whose neighbours are all
leaves, chains, cycles, repeated and reversed edges and self-loops.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import duckdb
import pytest
from dbt.cli.main import dbtRunnerResult

CompileInline = Callable[..., dbtRunnerResult]  # the compile_inline fixture (conftest.py)
Edge = tuple[int, int]


def _union_find_components(node_ids: list[int], edges: list[Edge]) -> dict[int, int]:
    parent = {node: node for node in node_ids}

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in edges:
        root_a, root_b = root(a), root(b)
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    smallest: dict[int, int] = {}
    for node in node_ids:
        smallest[root(node)] = min(smallest.get(root(node), node), node)
    return {node: smallest[root(node)] for node in node_ids}


def _shapes() -> list[Edge]:
    return [
        (10, 1),              # a leaf (1) that is its component's smallest id, on a chain 10-11-12
        (10, 11), (11, 12),
        (20, 21),             # two leaves joined to each other
        (31, 30), (30, 32), (30, 33),  # a node whose neighbours are all leaves
        (40, 41), (41, 42), (42, 40), (42, 43),  # a cycle with a leaf
        (50, 51), (51, 50), (50, 51),  # the same edge again and reversed
        (60, 60),             # a self-loop only: its own component
        (70, 70), (70, 71),   # a self-loop beside a real edge
        (80, 81), (81, 82), (82, 83), (83, 84), (84, 85),  # a chain: two leaves at its ends
    ]


def _random_graph(seed: int, nodes: int, edges: int) -> list[Edge]:
    rng = random.Random(seed)
    graph = [(rng.randrange(nodes), rng.randrange(nodes)) for _ in range(edges)]
    # stars around a few hubs, as records around their anchor
    for hub in rng.sample(range(nodes), 5):
        graph += [(hub, rng.randrange(nodes)) for _ in range(rng.randrange(1, 6))]
    return graph


CASES = {
    "shapes": (list(range(100)), _shapes()),
    "random sparse": (list(range(400)), _random_graph(3, 400, 220)),
    "random denser": (list(range(400)), _random_graph(7, 400, 420)),
}


@pytest.fixture(scope="module")
def compiled_macros(compile_inline: CompileInline) -> dict[str, str]:
    arguments = "'graph_nodes', 'id', 'graph_edges', 'a', 'b'"
    result = compile_inline(
        f"{{{{ duckdb__cdp_connected_components({arguments}) }}}} /* portable */ "
        f"{{{{ default__cdp_connected_components({arguments}) }}}}"
    )
    assert result.success, result.exception
    duckdb_version, portable = result.result.results[0].node.compiled_code.split("/* portable */")
    assert "recurring.cc" in duckdb_version and "recurring" not in portable
    return {"duckdb": duckdb_version, "portable": portable}


@pytest.mark.parametrize("version", ["duckdb", "portable"])
@pytest.mark.parametrize("case", list(CASES))
def test_every_node_gets_the_smallest_id_of_its_component(compiled_macros: dict[str, str], version: str, case: str) -> None:
    node_ids, edges = CASES[case]
    with duckdb.connect() as conn:
        conn.execute("create table graph_nodes (id bigint)")
        conn.executemany("insert into graph_nodes values (?)", [(node,) for node in node_ids])
        conn.execute("create table graph_edges (a bigint, b bigint)")
        conn.executemany("insert into graph_edges values (?, ?)", edges)
        rows = conn.execute(f"select node_id, component_id from ({compiled_macros[version]})").fetchall()

    assert len(rows) == len(node_ids), "one row per node"
    assert dict(rows) == _union_find_components(node_ids, edges)
