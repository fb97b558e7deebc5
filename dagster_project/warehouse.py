"""Connections to the DuckDB warehouse and the raw-layer tables the extract writes.

DuckDB allows one writing process per file, so every writer opens the file for the shortest
time it needs and closes it again (the dbt step that follows opens it in its own process).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from dagster_project.contracts import ALL_SOURCES, CsvSource, JsonLinesSource
from dagster_project.settings import DEFAULT_DUCKDB_MEMORY_LIMIT

#: Columns every raw table carries besides the contract's own.
LINEAGE_COLUMNS = {
    "_source_file": "varchar",
    "_source_line": "bigint",
    "_load_id": "varchar",
    "_loaded_at": "timestamptz",
}

_RAW_DDL = [
    "create schema if not exists raw",
    """create table if not exists raw.load_log (
        load_id varchar primary key,
        source varchar not null,
        file_name varchar not null,
        file_path varchar not null,
        checksum varchar not null,
        size_bytes bigint not null,
        status varchar not null,       -- loaded | failed | changed | duplicate
        rows_loaded bigint not null,
        rows_rejected bigint not null,
        message varchar,
        started_at timestamptz not null,
        finished_at timestamptz not null,
        modified_ns bigint             -- the file's mtime (ns) when logged: the extract's quick check
    )""",
    # A warehouse from before the quick check gets the column empty: its files are hashed once more.
    "alter table raw.load_log add column if not exists modified_ns bigint",
    """create table if not exists raw.rejects (
        load_id varchar not null,
        source varchar not null,
        file_name varchar not null,
        line bigint,
        field varchar,
        reason varchar not null,
        raw_record varchar,
        rejected_at timestamptz not null
    )""",
]


#: How the landed values are stored. The raw layer keeps every landed row for good and each row is
#: read once more (by staging), so it is stored small: ZSTD holds a day of web events (258 MB of
#: JSON lines at 1,000,000 people) in 34 MB, where DuckDB's default (DICT_FSST) takes 130 MB and
#: 2.4 times as long to write. Lineage columns repeat one value per file and keep the default.
#: A warehouse created before keeps the compression its raw tables were created with.
_LANDED_TEXT_COMPRESSION = "using compression zstd"


#: Write-ahead log kept before DuckDB checkpoints a writer's connection (see ``connect``).
_CHECKPOINT_THRESHOLD = "1GB"


def raw_table_ddl(source: CsvSource | JsonLinesSource) -> list[str]:
    """``create table`` for a source's raw table (contract columns as landed, plus lineage), and
    ``add column`` for contract columns added since an existing warehouse created it."""
    if isinstance(source, CsvSource):
        columns = {name: f"varchar {_LANDED_TEXT_COMPRESSION}" for name in source.column_names}
    else:
        columns = {"payload": f"json {_LANDED_TEXT_COMPRESSION}"}
    columns |= LINEAGE_COLUMNS
    body = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in columns.items())
    return [
        f"create table if not exists {source.raw_table} (\n    {body}\n)",
        *(f"alter table {source.raw_table} add column if not exists {name} {sql_type}" for name, sql_type in columns.items()),
    ]


@contextmanager
def connect(path: Path, memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse for writing, with the raw layer in place, and always close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(path))
    try:
        _set_session(conn)
        conn.execute(f"set memory_limit = '{memory_limit}'")
        # The extract commits once per landed file. Past DuckDB's default threshold (16 MB of
        # write-ahead log) every commit of a day's file checkpointed, compressing the table's
        # last, still partial row group again each time: 0.25 s of a 0.6 s load of 21 MB of web
        # events. The log is durable at commit either way; it is checkpointed every 1 GB and when
        # the connection closes.
        conn.execute(f"set checkpoint_threshold = '{_CHECKPOINT_THRESHOLD}'")
        for statement in [*_RAW_DDL, *(ddl for s in ALL_SOURCES for ddl in raw_table_ddl(s))]:
            conn.execute(statement)
        yield conn
    finally:
        conn.close()


def _set_session(conn: duckdb.DuckDBPyConnection) -> None:
    """Settings DuckDB keeps per connection (the rest, such as the memory limit, are per database)."""
    conn.execute("set TimeZone = 'UTC'")


def another_connection(conn: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A second connection to the database ``conn`` has open, with the same session settings: its
    own transactions and temp tables, for work run beside ``conn`` in another thread. The caller
    closes it."""
    other = conn.cursor()
    _set_session(other)
    return other


def table_exists(conn: duckdb.DuckDBPyConnection, database: str, table: str) -> bool:
    """Whether ``database`` (an attached catalog, e.g. ``registry``) has ``table`` yet: registry
    tables appear only once a run has written them."""
    return bool(
        conn.execute(
            "select count(*) from duckdb_tables() where database_name = ? and table_name = ?", [database, table]
        ).fetchall()[0][0]
    )
