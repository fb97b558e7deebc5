"""Segment exports for downstream tools: files written by DuckDB, with deltas and manifests.

Modules (each small and usable on its own):

* :mod:`.files`   -- CSV/Parquet writers via DuckDB ``COPY``, checksums, manifest.json;
* :mod:`.delta`   -- adds/removes against the previously published export (SQL anti-joins);
* :mod:`.ads`     -- Google Customer Match / Meta Custom Audiences normalisation and hashing;
* :mod:`.export`  -- :func:`write_export`, the one call an asset makes.

The exports of a run are published together with the warehouse, atomically
(:mod:`dagster_project.publishing`).

Consumer-facing documentation: docs/exports.md.
"""

from dagster_project.exports.delta import Delta, check_key, write_delta
from dagster_project.exports.export import ExportResult, write_export
from dagster_project.exports.files import (
    FileInfo,
    build_manifest,
    verify_manifest,
    write_csv,
    write_manifest,
    write_parquet,
)

__all__ = [
    "Delta",
    "ExportResult",
    "FileInfo",
    "build_manifest",
    "check_key",
    "verify_manifest",
    "write_csv",
    "write_delta",
    "write_export",
    "write_manifest",
    "write_parquet",
]
