"""One call per (segment, destination): members, delta and manifest, written into a directory.

This is the function the Dagster export assets call. It runs the segment query exactly once
(into members.parquet) and derives everything else from that file, so members.csv, adds.csv,
removes.csv and the manifest all describe the same snapshot even if the warehouse changes
while the export runs. The directory belongs to the run's release, which is published as a
whole (every export with the warehouse, in one switch: ``dagster_project/publishing``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.exports.delta import MEMBERS_PARQUET, Delta, check_key, write_delta
from dagster_project.exports.files import FileInfo, build_manifest, sql_string, write_csv, write_manifest, write_parquet

MEMBERS_CSV = "members.csv"


@dataclass(frozen=True)
class ExportResult:
    """What one export produced (also what its asset reports as metadata)."""

    destination: str
    name: str
    directory: Path
    row_count: int
    delta: Delta
    files: list[FileInfo]
    manifest: dict[str, Any]


def write_export(
    conn: duckdb.DuckDBPyConnection,
    directory: Path,
    previous: Path | None,
    *,
    destination: str,
    name: str,
    source: str,
    key: str,
    run_id: str,
    remove_columns: tuple[str, ...] = (),
) -> ExportResult:
    """Write ``source`` (query or relation name) into ``directory`` as one export of (destination, name).

    Writes members.parquet, members.csv, adds.csv and removes.csv (against ``previous``, the
    directory of the last published export, or None on the first; removes.csv carries the key
    and ``remove_columns`` only) and manifest.json. Raises
    ValueError if ``key`` is NULL or duplicated; the caller's release is then not published.
    """
    directory.mkdir(parents=True, exist_ok=True)
    parquet = write_parquet(conn, source, directory / MEMBERS_PARQUET)
    members = f"SELECT * FROM read_parquet({sql_string(parquet.path)})"
    check_key(conn, members, key)
    csv = write_csv(conn, members, directory / MEMBERS_CSV)
    delta = write_delta(conn, members, previous, key, directory, remove_columns)
    files = [parquet, csv, delta.adds_file, delta.removes_file]
    row_count = parquet.rows or 0
    manifest = build_manifest(
        destination=destination,
        name=name,
        run_id=run_id,
        version_id=run_id,
        row_count=row_count,
        files=files,
        delta=delta.manifest_entry(),
    )
    write_manifest(directory, manifest)
    return ExportResult(destination, name, directory, row_count, delta, files, manifest)
