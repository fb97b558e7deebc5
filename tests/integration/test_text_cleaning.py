"""DuckDB's cdp_squish gives what the portable version (a regular expression on every value) gives.

The DuckDB version skips the regular expression for values whose only whitespace is single
spaces; a guard that missed a kind of whitespace would leave a double space or a tab in a name
or an event name, and so in the matching keys built from it.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pytest
from dbt.cli.main import dbtRunnerResult

CompileInline = Callable[..., dbtRunnerResult]  # the compile_inline fixture (conftest.py)

VALUES = [
    "Ann", "  Ann  ", "Mary  Ann", "Mary Ann", " Mary Ann ", "Mary\tAnn", "Mary \t Ann", "\nAnn\r\n",
    "Ann\fLee", "Ann\rLee", "\x0bAnn\x0b",  # a vertical tab is not RE2's \s: kept, as the regex keeps it
    "Ann\u00a0Lee", "\u00a0", "Ann\x01", "", " ", "\t \n", "Product Added", "Order  Completed ", None,
]


def _compiled(compile_inline: CompileInline, macro: str) -> str:
    result = compile_inline(f"{{{{ {macro}('value') }}}}")
    assert result.success, result.exception
    return result.result.results[0].node.compiled_code


def test_duckdb_squish_equals_the_portable_squish(compile_inline: CompileInline) -> None:
    duckdb_version = _compiled(compile_inline, "cdp_squish")
    portable = _compiled(compile_inline, "default__cdp_squish")
    assert "contains(" in duckdb_version and "contains(" not in portable  # the two versions differ
    with duckdb.connect() as conn:
        conn.execute("create table v (n integer, value varchar)")
        conn.executemany("insert into v values (?, ?)", list(enumerate(VALUES)))
        got = conn.execute(f"select n, {duckdb_version} from v order by n").fetchall()
        expected = conn.execute(f"select n, {portable} from v order by n").fetchall()
    assert got == expected
    by_value = dict(zip(VALUES, (value for _, value in got)))
    assert by_value["Mary \t Ann"] == "Mary Ann" and by_value["Order  Completed "] == "Order Completed"
    assert by_value["\t \n"] is None and by_value["\x0bAnn\x0b"] == "\x0bAnn\x0b"


@pytest.mark.parametrize("value", ["Mary  Ann", "Mary\tAnn", "Mary\nAnn", "Mary\fAnn", "Mary\rAnn"])
def test_every_kind_of_inner_whitespace_run_is_collapsed(compile_inline: CompileInline, value: str) -> None:
    squish = _compiled(compile_inline, "cdp_squish")
    with duckdb.connect() as conn:
        assert conn.execute(f"select {squish} from (select ? as value)", [value]).fetchone()[0] == "Mary Ann"
