"""cdp_duplicate_keys, the query behind the uniqueness tests, reports exactly the repeated keys.

The DuckDB version groups a hash of the key first and only then the rows whose hash repeats; it
must report the same keys, with the same counts, as grouping the values themselves, nulls
included (the composite-key test treats two null keys as equal, dbt's `unique` ignores them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import duckdb
import pytest
from dbt.cli.main import dbtRunnerResult

CompileInline = Callable[..., dbtRunnerResult]  # the compile_inline fixture (conftest.py)

ROWS = [
    ("ann", "x"), ("ann", "x"), ("ann", "x"),  # three times
    ("ann", None), ("ann", None),               # a null part repeats like any value
    (None, None), (None, None),
    ("x", "ann"),                               # the same values swapped: another key
    ("an", "nx"), ("annx", None),               # the same characters split differently
    ("bob", "y"),
] + [(f"k{n}", "z") for n in range(5000)] + [("k42", "z")]


def _duplicates(compile_inline: CompileInline, version: str, where: str | None) -> set[tuple]:
    where_arg = f", where={where!r}" if where else ""
    result = compile_inline(f"{{{{ {version}__cdp_duplicate_keys('t', ['a', 'b']{where_arg}) }}}}")
    assert result.success, result.exception
    sql = result.result.results[0].node.compiled_code
    assert ("hash(" in sql) == (version == "duckdb")
    with duckdb.connect() as conn:
        conn.execute("create table t (a varchar, b varchar)")
        conn.executemany("insert into t values (?, ?)", ROWS)
        return set(conn.execute(sql).fetchall())


@pytest.mark.parametrize("version", ["duckdb", "default"])
@pytest.mark.parametrize("where", [None, "a is not null"])
def test_reports_every_repeated_key_with_its_count(compile_inline: CompileInline, version: str, where: str | None) -> None:
    counts = Counter(row for row in ROWS if where is None or row[0] is not None)
    expected = {(a, b, n) for (a, b), n in counts.items() if n > 1}
    assert expected == (
        {("ann", "x", 3), ("ann", None, 2), ("k42", "z", 2)} | ({(None, None, 2)} if where is None else set())
    )
    assert _duplicates(compile_inline, version, where) == expected
