"""cdp_partition_fingerprint: rows share a partition exactly when their values are equal.

int_identity__web_event_groups puts web events in one group when they carry the same seven
identifiers, partitioning by this fingerprint instead of by the strings. The DuckDB version hashes
the values twice; it must tell apart what a careless fingerprint would not: a null from an empty
string, values swapped between columns, a value with the appended character already at its end,
values that run into each other when concatenated.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pytest
from dbt.cli.main import dbtRunnerResult

CompileInline = Callable[..., dbtRunnerResult]  # the compile_inline fixture (conftest.py)

ROWS = [
    ("ann", "x"), ("ann", "x"),   # equal: one partition
    ("ann", None), (None, "ann"), (None, None), (None, None),
    ("", None), (None, ""), ("", ""),
    ("x", "ann"),                 # swapped
    ("ann~", "x"), ("ann", "x~"),  # the salt character already there
    ("an", "nx"), ("annx", ""),   # the same characters, split differently
    ("ann", "x "), ("Ann", "x"),
]


@pytest.mark.parametrize("version", ["duckdb", "default"])
def test_rows_share_a_partition_exactly_when_their_values_are_equal(compile_inline: CompileInline, version: str) -> None:
    result = compile_inline(f"{{{{ {version}__cdp_partition_fingerprint(['a', 'b']) | join(', ') }}}}")
    assert result.success, result.exception
    fingerprint = result.result.results[0].node.compiled_code.strip()
    assert ("hash(" in fingerprint) == (version == "duckdb")

    with duckdb.connect() as conn:
        conn.execute("create table t (n integer, a varchar, b varchar)")
        conn.executemany("insert into t values (?, ?, ?)", [(n, a, b) for n, (a, b) in enumerate(ROWS)])
        partitions = conn.execute(
            f"select list(n order by n) from (select n, min(n) over (partition by {fingerprint}) as first from t) group by first"
        ).fetchall()

    expected: dict[tuple[str | None, str | None], list[int]] = {}
    for n, values in enumerate(ROWS):
        expected.setdefault(values, []).append(n)
    assert sorted(members for (members,) in partitions) == sorted(expected.values())
