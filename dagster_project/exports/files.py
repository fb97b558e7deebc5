"""Write export files straight from DuckDB and describe them in a manifest.

Files are produced with DuckDB's ``COPY (query) TO ...`` so rows never pass through Python:
a segment of millions of members costs one statement, not a loop. Each writer returns the
row count DuckDB reports plus the file's size and SHA-256, which go into ``manifest.json`` so
that a consumer (or a later audit) can prove which bytes were delivered.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT_VERSION = 1

_RELATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}")


@dataclass(frozen=True)
class FileInfo:
    """One written file: what the manifest records about it."""

    name: str
    path: Path
    bytes: int
    sha256: str
    rows: int | None = None

    def manifest_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": self.name, "bytes": self.bytes, "sha256": self.sha256}
        if self.rows is not None:
            entry["rows"] = self.rows
        return entry


def as_query(source: str) -> str:
    """A SELECT for ``source``: a bare (optionally schema-qualified) relation name is wrapped, SQL is kept.

    Callers pass either ``"marts.segment_members"`` or a full query; both must end up as the
    ``(query)`` of a COPY statement.
    """
    text = source.strip().rstrip(";").strip()
    if _RELATION_NAME.fullmatch(text):
        return "SELECT * FROM " + ".".join('"' + part + '"' for part in text.split("."))
    return text


def sql_string(value: str | Path) -> str:
    """A single-quoted SQL string literal (COPY targets cannot be bound as parameters)."""
    return "'" + str(value).replace("'", "''") + "'"


def file_sha256(path: Path) -> str:
    """Lowercase hex SHA-256 of a file's bytes, read in chunks so large files stay cheap."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def describe_file(path: Path, rows: int | None = None) -> FileInfo:
    """Size and checksum of a file that is already on disk."""
    return FileInfo(name=path.name, path=path, bytes=path.stat().st_size, sha256=file_sha256(path), rows=rows)


def _copy(conn: duckdb.DuckDBPyConnection, source: str, path: Path, options: str) -> FileInfo:
    path.parent.mkdir(parents=True, exist_ok=True)
    result = conn.execute(f"COPY ({as_query(source)}) TO {sql_string(path)} ({options})").fetchone()
    rows = int(result[0]) if result else 0
    return describe_file(path, rows)


def write_csv(conn: duckdb.DuckDBPyConnection, source: str, path: Path) -> FileInfo:
    """Write ``source`` (query or relation name) as UTF-8 CSV with a header row.

    NULL is written as an empty field; values are quoted only when they need to be.
    """
    return _copy(conn, source, path, "FORMAT csv, HEADER true, DELIMITER ','")


def write_parquet(conn: duckdb.DuckDBPyConnection, source: str, path: Path) -> FileInfo:
    """Write ``source`` (query or relation name) as a single Parquet file (zstd-compressed).

    Parquet keeps column types, which is why deltas read the previous version's Parquet file
    and not its CSV.
    """
    return _copy(conn, source, path, "FORMAT parquet, COMPRESSION zstd")


def utc_now_iso() -> str:
    """The current time as ISO-8601 UTC with a 'Z' suffix, e.g. 2026-05-01T02:03:04.123456Z."""
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def build_manifest(
    *,
    destination: str,
    name: str,
    run_id: str,
    version_id: str,
    row_count: int,
    files: Iterable[FileInfo],
    delta: Mapping[str, Any] | None = None,
    generated_at: str | None = None,
) -> dict[str, Any]:
    """The manifest document for one export version (see docs/exports.md for the fields)."""
    return {
        "format_version": MANIFEST_FORMAT_VERSION,
        "destination": destination,
        "name": name,
        "run_id": run_id,
        "version_id": version_id,
        "generated_at": generated_at or utc_now_iso(),
        "row_count": row_count,
        "files": [info.manifest_entry() for info in sorted(files, key=lambda info: info.name)],
        "delta": dict(delta) if delta is not None else None,
    }


def write_manifest(directory: Path, manifest: Mapping[str, Any]) -> FileInfo:
    """Write ``manifest.json`` into ``directory``; it lists every other file but not itself."""
    path = directory / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return describe_file(path)


def verify_manifest(directory: Path) -> list[str]:
    """Problems found when checking a directory against its manifest; empty means intact.

    Consumers can call this (or do the same in their language) before uploading a version.
    """
    manifest = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
    problems = []
    for entry in manifest["files"]:
        path = directory / entry["name"]
        if not path.is_file():
            problems.append(f"{entry['name']}: missing")
            continue
        info = describe_file(path)
        if info.bytes != entry["bytes"]:
            problems.append(f"{entry['name']}: {info.bytes} bytes, manifest says {entry['bytes']}")
        if info.sha256 != entry["sha256"]:
            problems.append(f"{entry['name']}: sha256 differs from the manifest")
    return problems
