"""cdp_combine_picks gives what arg_min / arg_max over both sets of rows would have picked.

int_web__sessions picks a session's first view, first campaign and last event from the device's
events and from the server-side calls that joined the session separately, then combines the two
picks: the earlier (or later) time wins, a tie goes to the smaller (or larger) id, and a side
with nothing to pick (null) loses.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pytest
from dbt.cli.main import dbtRunnerResult

CompileInline = Callable[..., dbtRunnerResult]  # the compile_inline fixture (conftest.py)

# (time_a, value_a, time_b, value_b)
PAIRS = [
    (1, "m1", 2, "m2"), (2, "m2", 1, "m1"),
    (1, "m2", 1, "m1"), (1, "m1", 1, "m2"),    # the same time: the id decides
    (None, None, 3, "m3"), (3, "m3", None, None), (None, None, None, None),
]


@pytest.mark.parametrize("keep", ["earliest", "latest"])
def test_the_combined_pick_is_the_pick_over_both_sides(compile_inline: CompileInline, keep: str) -> None:
    result = compile_inline(f"{{{{ cdp_combine_picks('time_a', 'value_a', 'time_b', 'value_b', keep='{keep}') }}}}")
    assert result.success, result.exception
    combined = result.result.results[0].node.compiled_code
    with duckdb.connect() as conn:
        conn.execute("create table picks (n integer, time_a integer, value_a varchar, time_b integer, value_b varchar)")
        conn.executemany("insert into picks values (?, ?, ?, ?, ?)", [(n, *pair) for n, pair in enumerate(PAIRS)])
        got = dict(conn.execute(f"select n, {combined} from picks").fetchall())
        aggregate = "arg_min" if keep == "earliest" else "arg_max"
        expected = dict(conn.execute(
            f"""select n, {aggregate}(value, (time, value)) filter (where time is not null) from (
                    select n, time_a as time, value_a as value from picks
                    union all select n, time_b, value_b from picks
                ) group by n"""
        ).fetchall())
    assert got == expected
    assert got[2] == ("m1" if keep == "earliest" else "m2") and got[6] is None


def test_an_unknown_keep_is_a_compile_error(compile_inline: CompileInline) -> None:
    messages: list[str] = []
    result = compile_inline("{{ cdp_combine_picks('a', 'b', 'c', 'd', keep='first') }}", messages)
    assert not result.success
    assert any("keep must be 'earliest' or 'latest', not 'first'" in message for message in messages)
