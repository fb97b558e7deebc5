"""Adds and removes since the last successful export, computed in SQL.

Ad platforms and ESPs take incremental updates ("add these people, remove those") far more
cheaply than full replacements, and a removal is the only way to stop targeting someone who
left a segment or withdrew consent. The delta compares the new members with the *previous
published version's* ``members.parquet`` -- what the destination was actually given -- rather
than with yesterday's warehouse table, so a failed or skipped export never loses a change.

Both sides are matched on one key column (e.g. ``customer_id`` or a hashed email) with anti-joins:

* adds    = new rows whose key is not among the previous keys (full new rows);
* removes = previous rows whose key is not among the new keys: the key, plus only the columns
  named in ``remove_columns`` (the hashed identifiers an ad platform needs to remove someone).
  Never the plain personal data: a person leaves a segment, withdraws consent or asks to be
  erased, and their e-mail must not travel again in the file that removes them.

On the first export there is no previous version: every member is an add and removes.csv holds
only the header.
"""

from __future__ import annotations

import json

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.exports.ads import quote_ident
from dagster_project.exports.files import FileInfo, as_query, sql_string, write_csv

MEMBERS_PARQUET = "members.parquet"
ADDS_CSV = "adds.csv"
REMOVES_CSV = "removes.csv"


@dataclass(frozen=True)
class Delta:
    """Counts and files of one delta."""

    key: str
    adds: int
    removes: int
    unchanged: int
    previous_version_id: str | None
    adds_file: FileInfo
    removes_file: FileInfo

    @property
    def first_export(self) -> bool:
        return self.previous_version_id is None

    def manifest_entry(self) -> dict[str, Any]:
        """The ``delta`` object of manifest.json."""
        return {
            "key": self.key,
            "previous_version_id": self.previous_version_id,
            "first_export": self.first_export,
            "adds": self.adds,
            "removes": self.removes,
            "unchanged": self.unchanged,
            "adds_file": self.adds_file.name,
            "removes_file": self.removes_file.name,
        }


def check_key(conn: duckdb.DuckDBPyConnection, source: str, key: str) -> None:
    """Raise ValueError if ``key`` has NULLs or duplicates in ``source``.

    A NULL key never equals anything, so it would be re-added on every export and never
    removed; a duplicated key makes "is this person new?" ambiguous. Both are bugs upstream.
    """
    column = quote_ident(key)
    rows, nulls, distinct = conn.execute(
        f"SELECT count(*), count(*) - count({column}), count(DISTINCT {column}) FROM ({as_query(source)})"
    ).fetchone()
    if nulls:
        raise ValueError(f"key column {key!r} has {nulls} NULL value(s)")
    if distinct != rows:
        raise ValueError(f"key column {key!r} is not unique: {rows - distinct} duplicate row(s)")


def previous_members_file(previous_dir: Path | None) -> Path | None:
    """The members Parquet file of the previous version, or None on the first export."""
    if previous_dir is None:
        return None
    path = previous_dir / MEMBERS_PARQUET
    if not path.is_file():
        # Guessing "first export" here would silently drop every removal; better to stop.
        raise FileNotFoundError(f"previous export version {previous_dir} has no {MEMBERS_PARQUET}")
    return path


def _version_of(previous_dir: Path | None) -> str | None:
    """The previous export's version id, from its manifest (its directory name if it has none)."""
    if previous_dir is None:
        return None
    manifest = previous_dir / "manifest.json"
    return json.loads(manifest.read_text())["version_id"] if manifest.is_file() else previous_dir.name


def write_delta(
    conn: duckdb.DuckDBPyConnection,
    new_source: str,
    previous_dir: Path | None,
    key: str,
    out_dir: Path,
    remove_columns: tuple[str, ...] = (),
) -> Delta:
    """Write ``adds.csv`` and ``removes.csv`` into ``out_dir`` and return their counts.

    ``new_source`` is a query or relation name for the new members (the export passes the
    freshly written members.parquet, so the delta describes exactly the delivered file);
    ``previous_dir`` is the previously published version directory, or None.
    Rows are ordered by key so two runs over the same data produce identical files.
    """
    column = quote_ident(key)
    removed = [quote_ident(c) for c in (key, *remove_columns)]
    new = f"({as_query(new_source)})"
    previous_file = previous_members_file(previous_dir)
    if previous_file is None:
        adds_sql = f"SELECT * FROM {new} ORDER BY {column}"
        removes_sql = f"SELECT {', '.join(removed)} FROM {new} WHERE false"
    else:
        old = f"read_parquet({sql_string(previous_file)})"
        adds_sql = f"SELECT n.* FROM {new} AS n ANTI JOIN {old} AS p ON n.{column} = p.{column} ORDER BY n.{column}"
        removes_sql = (
            f"SELECT {', '.join('p.' + c for c in removed)} FROM {old} AS p "
            f"ANTI JOIN {new} AS n ON p.{column} = n.{column} ORDER BY p.{column}"
        )
    adds = write_csv(conn, adds_sql, out_dir / ADDS_CSV)
    removes = write_csv(conn, removes_sql, out_dir / REMOVES_CSV)
    (new_rows,) = conn.execute(f"SELECT count(*) FROM {new}").fetchone()
    return Delta(
        key=key,
        adds=adds.rows or 0,
        removes=removes.rows or 0,
        unchanged=int(new_rows) - (adds.rows or 0),
        previous_version_id=_version_of(previous_dir),
        adds_file=adds,
        removes_file=removes,
    )
