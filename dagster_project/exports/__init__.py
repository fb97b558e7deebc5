"""Segment exports for downstream tools: files written by DuckDB, published atomically, with deltas.

Modules (each small and usable on its own):

* :mod:`.publish` -- versioned directories and the atomic symlink switch;
* :mod:`.files`   -- CSV/Parquet writers via DuckDB ``COPY``, checksums, manifest.json;
* :mod:`.delta`   -- adds/removes against the previously published version (SQL anti-joins);
* :mod:`.ads`     -- Google Customer Match / Meta Custom Audiences normalisation and hashing;
* :mod:`.export`  -- :func:`export_members`, the one call an asset makes.

Consumer-facing documentation: docs/exports.md.
"""

from dagster_project.exports.delta import Delta, check_key, write_delta
from dagster_project.exports.export import ExportResult, export_members
from dagster_project.exports.files import (
    FileInfo,
    build_manifest,
    verify_manifest,
    write_csv,
    write_manifest,
    write_parquet,
)
from dagster_project.exports.publish import PublishResult, Staging, previous_version, publish, public_path

__all__ = [
    "Delta",
    "ExportResult",
    "FileInfo",
    "PublishResult",
    "Staging",
    "build_manifest",
    "check_key",
    "export_members",
    "previous_version",
    "public_path",
    "publish",
    "verify_manifest",
    "write_csv",
    "write_delta",
    "write_manifest",
    "write_parquet",
]
