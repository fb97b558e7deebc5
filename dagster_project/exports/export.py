"""One call per (segment, destination): write members, delta and manifest, then publish atomically.

This is the function the Dagster assets call. It runs the segment query exactly once (into
members.parquet) and derives everything else from that file, so members.csv, adds.csv,
removes.csv and the manifest all describe the same snapshot even if the warehouse changes
while the export runs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.exports.delta import MEMBERS_PARQUET, Delta, check_key, write_delta
from dagster_project.exports.files import FileInfo, build_manifest, sql_string, write_csv, write_manifest, write_parquet
from dagster_project.exports.publish import DEFAULT_KEEP, Staging, publish

MEMBERS_CSV = "members.csv"


@dataclass(frozen=True)
class ExportResult:
    """What one export produced (also what an asset would report as metadata)."""

    destination: str
    name: str
    version_id: str
    version_dir: Path
    public_path: Path
    row_count: int
    delta: Delta
    files: list[FileInfo]
    manifest: dict[str, Any]
    deleted_versions: list[Path]


def export_members(
    conn: duckdb.DuckDBPyConnection,
    exports_dir: Path,
    destination: str,
    name: str,
    source: str,
    *,
    key: str,
    run_id: str,
    keep: int = DEFAULT_KEEP,
    now: datetime | None = None,
) -> ExportResult:
    """Export ``source`` (query or relation name) as a new published version of (destination, name).

    Writes members.parquet, members.csv, adds.csv, removes.csv and manifest.json; the public
    path ``<exports_dir>/<destination>/<name>`` switches to them only when all are written.
    Raises ValueError (and publishes nothing) if ``key`` is NULL or duplicated.
    """

    def write(staging: Staging) -> tuple[int, Delta, list[FileInfo], dict[str, Any]]:
        parquet = write_parquet(conn, source, staging.directory / MEMBERS_PARQUET)
        members = f"SELECT * FROM read_parquet({sql_string(parquet.path)})"
        check_key(conn, members, key)
        csv = write_csv(conn, members, staging.directory / MEMBERS_CSV)
        delta = write_delta(conn, members, staging.previous, key, staging.directory)
        files = [parquet, csv, delta.adds_file, delta.removes_file]
        row_count = parquet.rows or 0
        manifest = build_manifest(
            destination=destination,
            name=name,
            run_id=run_id,
            version_id=staging.version_id,
            row_count=row_count,
            files=files,
            delta=delta.manifest_entry(),
        )
        write_manifest(staging.directory, manifest)
        return row_count, delta, files, manifest

    result = publish(exports_dir, destination, name, write, run_id=run_id, keep=keep, now=now)
    row_count, delta, files, manifest = result.value
    # Paths in FileInfo point into the staging directory, which was renamed: re-point them.
    files = [replace(f, path=result.version_dir / f.name) for f in files]
    delta = replace(
        delta,
        adds_file=replace(delta.adds_file, path=result.version_dir / delta.adds_file.name),
        removes_file=replace(delta.removes_file, path=result.version_dir / delta.removes_file.name),
    )
    return ExportResult(
        destination=destination,
        name=name,
        version_id=result.version_id,
        version_dir=result.version_dir,
        public_path=result.public_path,
        row_count=row_count,
        delta=delta,
        files=files,
        manifest=manifest,
        deleted_versions=result.deleted_versions,
    )
