"""cdp_select_json_fields: DuckDB's single-pass json_transform gives what the portable path lists give.

stg_web__events reads every Segment payload through the DuckDB version; the portable version
(cdp_json_strings / cdp_json_extracts, one path at a time) is the definition it must match, on
the documents real event streams carry: numbers and objects where strings are expected, a parent
that is not an object, keys that differ only in case, duplicate keys, nulls.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pytest
from dbt.cli.main import dbtRunnerResult

CompileInline = Callable[..., dbtRunnerResult]  # the compile_inline fixture (conftest.py)

DOCUMENTS = [
    '{"userId": 123, "context": {"ip": "1.2.3.4", "traits": {"email": "a@b.c"}}}',
    '{"userId": {"a": 1}, "context": {"ip": [1, 2]}, "traits": {"address": {"country": "DE"}}}',
    '{"context": "not an object", "traits": [1]}',
    '{"UserId": "other case", "context": {"IP": "other case", "traits": null}}',
    '{"userId": "first", "userId": "second", "traits": {"email": 5, "address": "flat"}}',
    '{"userId": null, "traits": {"email": " padded ", "first name": "x"}}',
    '{"userId": true, "context": {"ip": 1.5e3, "traits": {"email": "é\\"q"}}}',
    '{}',
]

ARGUMENTS = (
    "'payload', "
    "{'user_id': '$.userId', 'ip': '$.context.ip', 'email': '$.traits.email', "
    "'country': '$.traits.address.country', 'context_email': '$.context.traits.email'}, "
    "{'traits': '$.traits', 'context_traits': '$.context.traits'}, ['n']"
)


def test_json_transform_reads_what_the_paths_read(compile_inline: CompileInline) -> None:
    inline = (
        f"{{{{ duckdb__cdp_select_json_fields('docs', {ARGUMENTS}) }}}} /* portable */ "
        f"{{{{ default__cdp_select_json_fields('docs', {ARGUMENTS}) }}}}"
    )
    result = compile_inline(inline)
    assert result.success, result.exception
    single_pass, portable = result.result.results[0].node.compiled_code.split("/* portable */")
    assert "json_transform" in single_pass and "json_transform" not in portable

    with duckdb.connect() as conn:
        rows = ", ".join("(?, ?)" for _ in DOCUMENTS)
        conn.execute(f"create table docs as select * from (values {rows}) as v(payload, n)",
                     [value for n, document in enumerate(DOCUMENTS) for value in (document, n)])
        fast = conn.execute(f"select * from ({single_pass}) order by n").fetchall()
        expected = conn.execute(f"select * from ({portable}) order by n").fetchall()
    assert fast == expected
    assert len(fast) == len(DOCUMENTS)
    assert fast[0][:2] == ("123", "1.2.3.4")  # a number read as a string, as json_extract_string does
    assert fast[3][0] is None  # "UserId" is not userId: keys match case-sensitively
    assert fast[3][-2] is None  # context.traits is an explicit JSON null: SQL null, as a missing one
    assert fast[1][-3] == '{"address":{"country":"DE"}}'  # a document is its JSON text


@pytest.mark.parametrize("fields", [
    "{'a': '$.a', 'b': '$.a.b'}",  # a value, then a field under it
    "{'b': '$.a.b', 'a': '$.a'}",  # a field, then its parent as a value
])
def test_a_path_read_both_as_a_value_and_as_a_parent_fails_to_compile(fields: str, compile_inline: CompileInline) -> None:
    messages: list[str] = []
    result = compile_inline(f"{{{{ duckdb__cdp_select_json_fields('docs', 'payload', {fields}, {{}}, ['n']) }}}}", messages)
    assert not result.success
    assert any("cdp_select_json_fields: $.a" in m and "as a document" in m for m in messages), messages
