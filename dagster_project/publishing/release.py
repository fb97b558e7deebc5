"""Build a release (analyst warehouse, PII warehouse, exports) and publish it in one switch.

Called by the last asset of a run, after the quality gate passed and every export was written
into the run's directory. The databases are new files built from the working database
(``CREATE TABLE ... AS SELECT`` through an ``ATTACH``, then ``CHECKPOINT``; the tables without PII
are written once and the file copied, see ``_build_warehouses``), so a release never shares a
file with a run that is still writing. A nightly release starts from copies of the previous
release's files and patches the tables whose model rewrites only changed rows (``PATCHED_TABLES``)
instead of writing them again. Publishing is
:func:`dagster_project.publishing.versions.publish`: the release directory is complete and
synced before ``releases/current`` is switched to it, and a failure or a kill before the switch
leaves the previous release exactly as it was.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.publishing.faults import kill_if_requested
from dagster_project.publishing import pii
from dagster_project.publishing.layout import ANALYST_DB, EXPORTS, PII_DB, RELEASE_GROUP, RELEASE_NAME, Layout
from dagster_project.publishing.versions import PublishResult, Staging, publish

#: Schemas a release publishes: what analysts query. raw, staging and intermediate stay in the
#: working database (they hold every landed value, erased or not yet deduplicated).
PUBLISHED_SCHEMAS = ("marts", "segments", "activation")
#: Releases kept on disk (an analyst may still be reading an older one).
RELEASES_KEPT = 3
RELEASE_MANIFEST = "release.json"
#: Published tables whose model rewrites only the rows that changed and stamps every row with the
#: build that wrote it (``BUILD_COLUMN``), with their key. A nightly release copies the previous
#: release's files and patches these tables there: it replaces the rows written by builds the
#: previous release had not seen (on day 366 of a year at 100,000 people, 56,000 of
#: customer_records' 14 million rows, 17,000 of 1.4 million profiles), masked in the analyst file,
#: and deletes the keys the working table no longer has.
PATCHED_TABLES: dict[str, tuple[str, ...]] = {
    "marts.customers": ("customer_id",),
    "marts.customer_consent": ("customer_id",),
    "marts.customer_records": ("source", "record_key"),
    "marts.customer_orders": ("order_key",),
    "marts.web_sessions": ("session_id",),
}
#: When the build that wrote a row of a patched table started: bookkeeping, not published.
BUILD_COLUMN = "_built_at"
#: Releases patched in a row before one is written whole again: a copied DuckDB file keeps the
#: blocks its dropped tables and deleted rows freed until it reuses them, so it is rewritten
#: from nothing now and then, and always after an erasure (no trace of an erased person may stay).
MAX_PATCHES_IN_A_ROW = 6


@dataclass(frozen=True)
class ReleaseContents:
    """What went into a release: tables per database and the exports directory."""

    tables: dict[str, int]
    masked_columns: list[str]
    exports: bool
    patched: bool = False


@dataclass(frozen=True)
class PatchBase:
    """The previous release a new one starts from: its two files, the builds whose rows each of
    its patched tables holds, and how many releases in a row were patched."""

    analyst: Path
    full: Path
    builds: dict[str, list[str]]
    patches_in_a_row: int


def _published_tables(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str, list[str]]]:
    """(schema, table, columns) of every published table in the attached working database; a
    column whose name starts with ``_`` is bookkeeping (``BUILD_COLUMN``) and not published."""
    return conn.execute(
        f"""select table_schema, table_name, list(column_name order by ordinal_position)
            from information_schema.columns
            where table_catalog = 'work' and table_schema in ({', '.join('?' * len(PUBLISHED_SCHEMAS))})
                and not starts_with(column_name, '_')
            group by all order by all""",
        list(PUBLISHED_SCHEMAS),
    ).fetchall()


@contextmanager
def _attached(target: Path, work_database: Path, memory_limit: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to ``target`` with the working database attached read-only as ``work``;
    checkpointed on the way out, so the file is complete when closed."""
    with duckdb.connect(str(target)) as conn:
        conn.execute(f"set memory_limit = '{memory_limit}'").fetchall()
        conn.execute(f"attach '{work_database}' as work (read_only)").fetchall()
        yield conn
        conn.execute("detach work").fetchall()
        conn.execute("checkpoint").fetchall()


def _copy_table(conn: duckdb.DuckDBPyConnection, schema: str, table: str, columns: list[str], *, mask: bool) -> int:
    """Copy one table from the attached working database (masked if asked); its rows."""
    conn.execute(f'create schema if not exists "{schema}"').fetchall()
    conn.execute(f'create table "{schema}"."{table}" as select {_select_list(table, columns, mask)} from work."{schema}"."{table}"').fetchall()
    return conn.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]


def _select_list(table: str, columns: list[str], mask: bool) -> str:
    return pii.select_list(table, columns) if mask else ", ".join(f'"{c}"' for c in columns)


def _builds_in(conn: duckdb.DuckDBPyConnection, name: str) -> list[str] | None:
    """The builds that wrote the rows of the working database's patched table ``name``; None when
    its rows carry no build (a table built before its model stamped them): it is written whole."""
    schema, table = name.split(".")
    if not conn.execute(
        """select count(*) from information_schema.columns
           where table_catalog = 'work' and table_schema = ? and table_name = ? and column_name = ?""",
        [schema, table, BUILD_COLUMN],
    ).fetchall()[0][0]:
        return None
    return sorted(b for (b,) in conn.execute(f"select distinct cast({BUILD_COLUMN} as varchar) from work.{name}").fetchall())


def _patch_table(
    conn: duckdb.DuckDBPyConnection, name: str, columns: list[str], seen_builds: list[str], *, mask: bool
) -> int | None:
    """Bring the copied table ``name`` up to the working database's (masked if asked): replace, by
    key, the rows that builds not in ``seen_builds`` wrote, and delete the keys the working table
    no longer has (a customer merged into another). Its rows, or None (and the table dropped)
    when more than half the rows are new (a table its model rebuilt: written anew is faster), or
    when the result still does not have the working table's row count."""
    key = PATCHED_TABLES[name]
    written = f"(select * from work.{name} where not list_contains(?, cast({BUILD_COLUMN} as varchar)))"
    new_rows = conn.execute(f"select count(*) from {written}", [seen_builds]).fetchall()[0][0]
    if new_rows <= conn.execute(f"select count(*) from {name}").fetchall()[0][0] / 2:
        matches = " and ".join(f'{name}."{k}" = written."{k}"' for k in key)
        conn.execute(f"delete from {name} using {written} as written where {matches}", [seen_builds]).fetchall()
        select = _select_list(name.split(".")[1], columns, mask)
        conn.execute(f"insert into {name} select {select} from {written}", [seen_builds]).fetchall()
        rows = conn.execute(f"select count(*) from {name}").fetchall()[0][0]
        working_rows = conn.execute(f"select count(*) from work.{name}").fetchall()[0][0]
        if rows != working_rows:  # only then: the anti-join reads every key of both tables
            kept = " and ".join(f'{name}."{k}" = kept."{k}"' for k in key)
            conn.execute(f"delete from {name} where not exists (select 1 from work.{name} as kept where {kept})").fetchall()
            rows = conn.execute(f"select count(*) from {name}").fetchall()[0][0]
        if rows == working_rows:
            return rows
    conn.execute(f"drop table {name}").fetchall()
    return None


def _write_tables(
    conn: duckdb.DuckDBPyConnection,
    tables: list[tuple[str, str, list[str]]],
    *,
    mask: bool,
    patch: dict[str, list[str]] | None = None,
) -> dict[str, int]:
    """Write ``tables`` from the attached working database into the file (masked if asked); rows
    per table. With ``patch`` (the file is a copy of the previous release's; per table to patch,
    the builds whose rows that copy holds), those tables are kept and patched and every other
    table in the file is dropped and written anew."""
    if patch is not None:
        for (name,) in conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables where table_catalog = current_database()"
        ).fetchall():
            if name not in patch:
                conn.execute(f"drop table {name}").fetchall()
        conn.execute("checkpoint").fetchall()  # frees the dropped tables' blocks for the new ones
    rows = {}
    for schema, table, columns in tables:
        name = f"{schema}.{table}"
        patched = _patch_table(conn, name, columns, patch[name], mask=mask) if patch and name in patch else None
        rows[name] = patched if patched is not None else _copy_table(conn, schema, table, columns, mask=mask)
    return rows


def _build_warehouses(
    work_database: Path, analyst: Path, full: Path, memory_limit: str, base: PatchBase | None = None
) -> tuple[dict[str, int], list[str], dict[str, list[str]]]:
    """Create the analyst warehouse (masked) and the PII warehouse (in full) as new files.

    Written whole, the tables without a masked column (orders, metrics, consent, segment
    memberships) are the same in both: they are written once, and the file holding only them is
    copied before each warehouse gets its own version of the other tables. Copying them as file
    blocks instead of compressing every row again took building both files from 37.0 to 31.6 s at
    1,000,000 people (docs/performance.md). Patched (``base``), each file starts as a copy of the
    previous release's, its patched tables patched and the other tables written anew. Nothing with
    PII is dropped or replaced in the analyst file: a DuckDB file keeps the blocks of a dropped
    table, so the analyst file never holds a block of unmasked data.
    Returns the rows per table, the masked columns and the builds each patched table holds rows of."""
    if base is not None:
        shutil.copyfile(base.analyst, analyst)
        shutil.copyfile(base.full, full)
    with _attached(analyst, work_database, memory_limit) as conn:
        tables = _published_tables(conn)
        masked = [f"{schema}.{table}.{c}" for schema, table, columns in tables for c in columns if pii.rule_for(table, c)]
        with_pii = [t for t in tables if any(pii.rule_for(t[1], c) for c in t[2])]
        names = {f"{schema}.{table}" for schema, table, _ in tables} & set(PATCHED_TABLES)
        builds = {name: found for name in names if (found := _builds_in(conn, name)) is not None}
        # the tables both copies hold and whose rows carry their builds, with the builds copied
        patch = {name: base.builds[name] for name in builds if name in base.builds} if base is not None else None
        if patch is not None:
            rows = _write_tables(conn, tables, mask=True, patch=patch)
        else:
            rows = _write_tables(conn, [t for t in tables if t not in with_pii], mask=False)
    if patch is None:
        shutil.copyfile(analyst, full)
        with _attached(analyst, work_database, memory_limit) as conn:
            rows |= _write_tables(conn, with_pii, mask=True)
    with _attached(full, work_database, memory_limit) as conn:
        _write_tables(conn, tables if patch is not None else with_pii, mask=False, patch=patch)
    return dict(sorted(rows.items())), masked, builds


def _patch_base(previous: Path | None, erased: bool) -> PatchBase | None:
    """The previous release to start from, or None for a release written whole: the first one,
    one after an erasure, one after ``MAX_PATCHES_IN_A_ROW`` patched ones, or when the previous
    release does not say which builds its patched tables hold."""
    if previous is None or erased or not (previous / RELEASE_MANIFEST).is_file():
        return None
    manifest = json.loads((previous / RELEASE_MANIFEST).read_text())
    patches_in_a_row = manifest.get("patches_in_a_row", 0)
    if "builds" not in manifest or patches_in_a_row >= MAX_PATCHES_IN_A_ROW:
        return None
    return PatchBase(previous / ANALYST_DB, previous / PII_DB, manifest["builds"], patches_in_a_row)


def publish_release(
    layout: Layout, run_id: str, staged_exports: Path | None, memory_limit: str, keep: int = RELEASES_KEPT, erased: bool = False
) -> PublishResult[ReleaseContents]:
    """Build the release from the working database and ``staged_exports``, then switch to it;
    written whole when ``erased`` (this run processed an erasure request), else patched where it can."""

    def build(staging: Staging) -> ReleaseContents:
        base = _patch_base(staging.previous, erased)
        tables, masked, builds = _build_warehouses(
            layout.work_database, staging.directory / ANALYST_DB, staging.directory / PII_DB, memory_limit, base
        )
        has_exports = staged_exports is not None and staged_exports.is_dir()
        if has_exports:
            os.rename(staged_exports, staging.directory / EXPORTS)
        else:
            (staging.directory / EXPORTS).mkdir()
        manifest = {
            "run_id": run_id,
            "tables": tables,
            "builds": builds,
            "patches_in_a_row": base.patches_in_a_row + 1 if base is not None else 0,
        }
        (staging.directory / RELEASE_MANIFEST).write_text(json.dumps(manifest, indent=2))
        kill_if_requested("before_switch")
        return ReleaseContents(tables, masked, has_exports, patched=base is not None)

    result = publish(layout.root, RELEASE_GROUP, RELEASE_NAME, build, run_id=run_id, keep=keep)
    layout.link_public_paths()
    return result


def published_run_id(layout: Layout) -> str | None:
    """The run whose release analysts see now."""
    manifest = layout.current_release / RELEASE_MANIFEST
    return json.loads(manifest.read_text())["run_id"] if manifest.is_file() else None
