"""Where things live, read from environment variables with defaults that work from a clone.

Every path the platform touches is resolved here so that the CLI, the Dagster definitions
and the tests agree. Relative paths in variables are taken relative to the working directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_LANDING_DIR = PROJECT_ROOT / "seeds" / "landing"


def _path_from_env(name: str, default: Path) -> Path:
    # absolute(), not resolve(): the published warehouse is a symlink that must stay one.
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().absolute() if value else default


def _flag_from_env(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ValueError(f"{name}={os.environ[name]!r}: expected true or false")


#: The dbt project: models, segments, macros. ``CDP_DBT_PROJECT_DIR`` points Dagster at a copy
#: (a fork with a team's own segments, or a test's scratch project).
DBT_PROJECT_DIR = _path_from_env("CDP_DBT_PROJECT_DIR", PROJECT_ROOT / "dbt")


def registry_beside(warehouse_path: Path) -> Path:
    """The default identity registry file: next to the warehouse it belongs to."""
    return warehouse_path.parent / "identity_registry.duckdb"


def exports_beside(warehouse_path: Path) -> Path:
    """The default exports directory: next to the warehouse whose segments it publishes."""
    return warehouse_path.parent / "exports"


#: DuckDB's memory limit for the extract and every dbt model (CDP_DUCKDB_MEMORY_LIMIT; also the
#: fallback in dbt/profiles.yml). DuckDB spills to disk beyond it. 6 GB keeps the whole run (DuckDB
#: plus the Dagster and dbt processes around it) under 8 GB at 1,000,000 people.
DEFAULT_DUCKDB_MEMORY_LIMIT = "6GB"


#: Landing files of one source loaded at once (CDP_EXTRACT_WORKERS). One load keeps 1.2 to 1.7 of
#: 2 cores busy (reading and splitting a file is single-threaded); two fill them.
DEFAULT_EXTRACT_WORKERS = 2


#: dbt run folders (compiled SQL, run results and dbt's log of one ``dbt build``) kept under
#: ``dbt/target/`` (CDP_DBT_KEPT_RUNS); older ones are deleted as each run starts.
DEFAULT_KEPT_DBT_RUNS = 20


def _positive_int_from_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={os.environ[name]!r}: expected a whole number of at least 1")
    return int(value)


@dataclass(frozen=True)
class Settings:
    """Run-time configuration of one deployment."""

    landing_dir: Path
    warehouse_path: Path
    identity_registry_path: Path
    duckdb_memory_limit: str
    exports_dir: Path
    #: Hash every landing file on every run, not only new or touched ones (see the extract's quick check).
    verify_checksums: bool = False
    #: Landing files of one source loaded at once.
    extract_workers: int = DEFAULT_EXTRACT_WORKERS
    #: dbt run folders kept under the dbt project's ``target/``.
    dbt_kept_runs: int = DEFAULT_KEPT_DBT_RUNS

    @classmethod
    def from_env(cls) -> "Settings":
        warehouse_path = _path_from_env("CDP_WAREHOUSE", PROJECT_ROOT / "warehouse" / "cdp.duckdb")
        return cls(
            landing_dir=_path_from_env("CDP_LANDING_DIR", SAMPLE_LANDING_DIR),
            warehouse_path=warehouse_path,
            # Stable customer ids live in their own file, so a rebuilt warehouse keeps them.
            identity_registry_path=_path_from_env("CDP_IDENTITY_REGISTRY", registry_beside(warehouse_path)),
            duckdb_memory_limit=os.environ.get("CDP_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT),
            exports_dir=_path_from_env("CDP_EXPORTS_DIR", exports_beside(warehouse_path)),
            verify_checksums=_flag_from_env("CDP_EXTRACT_VERIFY_CHECKSUMS"),
            extract_workers=_positive_int_from_env("CDP_EXTRACT_WORKERS", DEFAULT_EXTRACT_WORKERS),
            dbt_kept_runs=_positive_int_from_env("CDP_DBT_KEPT_RUNS", DEFAULT_KEPT_DBT_RUNS),
        )


@contextmanager
def environment(variables: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for None, remove) environment variables for the duration, then restore them."""
    saved = {name: os.environ.get(name) for name in variables}

    def apply(values: Mapping[str, str | None]) -> None:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    apply(variables)
    try:
        yield
    finally:
        apply(saved)
