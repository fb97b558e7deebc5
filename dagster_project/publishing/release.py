"""Build a release (analyst warehouse, PII warehouse, exports) and publish it in one switch.

Called by the last asset of a run, after the quality gate passed and every export was written
into the run's directory. The databases are new files built from the working database
(``CREATE TABLE ... AS SELECT`` through an ``ATTACH``, then ``CHECKPOINT``), so a release never
shares a file with a run that is still writing. Publishing is
:func:`dagster_project.publishing.versions.publish`: the release directory is complete and
synced before ``releases/current`` is switched to it, and a failure or a kill before the switch
leaves the previous release exactly as it was.
"""

from __future__ import annotations

import json
import os
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


def _copy_tables(work_database: Path, target: Path, memory_limit: str, *, mask: bool) -> tuple[dict[str, int], list[str]]:
    """Create ``target`` with every published table of the working database (masked if asked)."""
    tables, masked = {}, []
    with duckdb.connect(str(target)) as conn:
        conn.execute(f"set memory_limit = '{memory_limit}'").fetchall()
        conn.execute(f"attach '{work_database}' as work (read_only)").fetchall()
        listing = conn.execute(
            f"""select table_schema, table_name, list(column_name order by ordinal_position)
                from information_schema.columns
                where table_catalog = 'work' and table_schema in ({', '.join('?' * len(PUBLISHED_SCHEMAS))})
                group by all order by all""",
            list(PUBLISHED_SCHEMAS),
        ).fetchall()
        for schema, table, columns in listing:
            select = pii.select_list(table, columns) if mask else "*"
            masked += [f"{schema}.{table}.{c}" for c in columns if mask and pii.rule_for(table, c)]
            conn.execute(f'create schema if not exists "{schema}"').fetchall()
            conn.execute(f'create table "{schema}"."{table}" as select {select} from work."{schema}"."{table}"').fetchall()
            tables[f"{schema}.{table}"] = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
        conn.execute("detach work").fetchall()
        conn.execute("checkpoint").fetchall()
    return tables, masked


def publish_release(
    layout: Layout, run_id: str, staged_exports: Path | None, memory_limit: str, keep: int = RELEASES_KEPT
) -> PublishResult[ReleaseContents]:
    """Build the release from the working database and ``staged_exports``, then switch to it."""

    def build(staging: Staging) -> ReleaseContents:
        tables, masked = _copy_tables(layout.work_database, staging.directory / ANALYST_DB, memory_limit, mask=True)
        _copy_tables(layout.work_database, staging.directory / PII_DB, memory_limit, mask=False)
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
