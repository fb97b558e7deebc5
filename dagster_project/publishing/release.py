"""Build a release (analyst warehouse, PII warehouse, exports) and publish it in one switch.

Called by the last asset of a run, after the quality gate passed and every export was written
into the run's directory. The databases are new files built from the working database
(``CREATE TABLE ... AS SELECT`` through an ``ATTACH``, then ``CHECKPOINT``; the tables without PII
are written once and the file copied, see ``_build_warehouses``), so a release never shares a
file with a run that is still writing. Publishing is
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


@dataclass(frozen=True)
class ReleaseContents:
    """What went into a release: tables per database and the exports directory."""

    tables: dict[str, int]
    masked_columns: list[str]
    exports: bool


def _published_tables(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str, list[str]]]:
    """(schema, table, columns) of every published table in the attached working database."""
    return conn.execute(
        f"""select table_schema, table_name, list(column_name order by ordinal_position)
            from information_schema.columns
            where table_catalog = 'work' and table_schema in ({', '.join('?' * len(PUBLISHED_SCHEMAS))})
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


def _copy_tables(conn: duckdb.DuckDBPyConnection, tables: list[tuple[str, str, list[str]]], *, mask: bool) -> dict[str, int]:
    """Copy ``tables`` from the attached working database (masked if asked); rows per table."""
    rows = {}
    for schema, table, columns in tables:
        select = pii.select_list(table, columns) if mask else "*"
        conn.execute(f'create schema if not exists "{schema}"').fetchall()
        conn.execute(f'create table "{schema}"."{table}" as select {select} from work."{schema}"."{table}"').fetchall()
        rows[f"{schema}.{table}"] = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
    return rows


def _build_warehouses(work_database: Path, analyst: Path, full: Path, memory_limit: str) -> tuple[dict[str, int], list[str]]:
    """Create the analyst warehouse (masked) and the PII warehouse (in full) as new files.

    The tables without a masked column (orders, metrics, consent, segment memberships) are the
    same in both: they are written once, and the file holding only them is copied before each
    warehouse gets its own version of the other tables. Copying them as file blocks instead of
    compressing every row again took building both files from 37.0 to 31.6 s at 1,000,000 people
    (docs/performance.md). Nothing is dropped or replaced in either file: a DuckDB file keeps
    the blocks of a dropped table, so the analyst file never holds a block of unmasked data.
    Returns the rows per table and the masked columns."""
    with _attached(analyst, work_database, memory_limit) as conn:
        tables = _published_tables(conn)
        masked = [f"{schema}.{table}.{c}" for schema, table, columns in tables for c in columns if pii.rule_for(table, c)]
        with_pii = [t for t in tables if any(pii.rule_for(t[1], c) for c in t[2])]
        rows = _copy_tables(conn, [t for t in tables if t not in with_pii], mask=False)
    shutil.copyfile(analyst, full)
    with _attached(analyst, work_database, memory_limit) as conn:
        rows |= _copy_tables(conn, with_pii, mask=True)
    with _attached(full, work_database, memory_limit) as conn:
        _copy_tables(conn, with_pii, mask=False)
    return dict(sorted(rows.items())), masked


def publish_release(
    layout: Layout, run_id: str, staged_exports: Path | None, memory_limit: str, keep: int = RELEASES_KEPT
) -> PublishResult[ReleaseContents]:
    """Build the release from the working database and ``staged_exports``, then switch to it."""

    def build(staging: Staging) -> ReleaseContents:
        tables, masked = _build_warehouses(
            layout.work_database, staging.directory / ANALYST_DB, staging.directory / PII_DB, memory_limit
        )
        has_exports = staged_exports is not None and staged_exports.is_dir()
        if has_exports:
            os.rename(staged_exports, staging.directory / EXPORTS)
        else:
            (staging.directory / EXPORTS).mkdir()
        (staging.directory / RELEASE_MANIFEST).write_text(json.dumps({"run_id": run_id, "tables": tables}, indent=2))
        kill_if_requested("before_switch")
        return ReleaseContents(tables, masked, has_exports)

    result = publish(layout.root, RELEASE_GROUP, RELEASE_NAME, build, run_id=run_id, keep=keep)
    layout.link_public_paths()
    return result


def published_run_id(layout: Layout) -> str | None:
    """The run whose release analysts see now."""
    manifest = layout.current_release / RELEASE_MANIFEST
    return json.loads(manifest.read_text())["run_id"] if manifest.is_file() else None
