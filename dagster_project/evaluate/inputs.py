"""The two inputs of a scoring run, as the ``truth`` and ``resolved`` tables ``metrics`` reads.

Both are checked before any work is done, with messages that name the file and what is
wrong, because the person reading them is usually pointing the command at their own data.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

#: the table the identity-resolution models build, one row per deduplicated source record
RESOLVED_TABLE = "marts.customer_records"
RESOLVED_COLUMNS = ("source", "record_key", "customer_id")
#: the truth's person column may carry either name
TRUTH_ID_COLUMNS = ("person_id", "true_id")


class InputError(ValueError):
    """An input file or table is missing or not shaped as required."""


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_truth(conn: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Read the truth CSV into table ``truth(source, record_key, person_id)``; return its rows.

    Every value is read as text (keys like ``007`` must stay keys) and ``source`` is trimmed
    and lower-cased, so ``CRM`` in a hand-made file still meets ``crm`` in the warehouse.
    """
    if not path.is_file():
        raise InputError(f"{path}: truth file not found")
    reader = f"read_csv({_sql_string(str(path))}, header = true, all_varchar = true)"
    try:
        columns = [row[0] for row in conn.execute(f"describe select * from {reader}").fetchall()]
    except duckdb.Error as error:
        raise InputError(f"{path}: not a readable CSV file ({error})") from error
    by_name = {name.strip().lower(): name for name in columns}
    missing = [name for name in ("source", "record_key") if name not in by_name]
    id_column = next((by_name[name] for name in TRUTH_ID_COLUMNS if name in by_name), None)
    if id_column is None:
        missing.append(" or ".join(TRUTH_ID_COLUMNS))
    if missing:
        raise InputError(
            f"{path}: missing required column(s) {', '.join(missing)} (found: {', '.join(columns) or 'none'})"
        )
    conn.execute(
        f"""create or replace table truth as
            select lower(trim({_identifier(by_name['source'])})) as source,
                   {_identifier(by_name['record_key'])} as record_key, {_identifier(id_column)} as person_id
            from {reader}"""
    )
    return conn.execute("select count(*) from truth").fetchone()[0]


def attach_resolved(conn: duckdb.DuckDBPyConnection, warehouse: Path) -> int:
    """Attach the warehouse read-only and expose ``marts.customer_records`` as view
    ``resolved``; return its rows."""
    if not warehouse.is_file():
        raise InputError(f"{warehouse}: no warehouse file (did the pipeline run?)")
    conn.execute(f"attach {_sql_string(str(warehouse))} as wh (read_only)")
    schema, table = RESOLVED_TABLE.split(".")
    columns = {
        row[0]
        for row in conn.execute(
            """select column_name from information_schema.columns
               where table_catalog = 'wh' and table_schema = ? and table_name = ?""",
            [schema, table],
        ).fetchall()
    }
    if not columns:
        raise InputError(
            f"{warehouse}: has no table {RESOLVED_TABLE}; the identity-resolution models "
            "(dbt/models/marts/identity/) have not been built"
        )
    missing = [name for name in RESOLVED_COLUMNS if name not in columns]
    if missing:
        raise InputError(f"{warehouse}: {RESOLVED_TABLE} is missing column(s) {', '.join(missing)}")
    conn.execute(
        f"create or replace temp view resolved as select {', '.join(RESOLVED_COLUMNS)} from wh.{RESOLVED_TABLE}"
    )
    return conn.execute("select count(*) from resolved").fetchone()[0]
