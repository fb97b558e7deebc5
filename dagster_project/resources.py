"""Dagster resources: the warehouse every asset reads and writes, configured from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from dagster_project import warehouse
from dagster_project.assets.dbt_project import cdp_dbt_project
from dagster_project.settings import Settings, exports_beside, registry_beside


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse file, its identity registry, and the landing directory.

    Defaults come from ``CDP_WAREHOUSE``, ``CDP_IDENTITY_REGISTRY`` and ``CDP_LANDING_DIR`` (see
    ``settings.py``), so the UI, the CLI and the nightly schedule all use the same paths unless
    a run overrides them. An empty registry path means "beside the warehouse".
    """

    warehouse_path: str
    landing_dir: str
    identity_registry_path: str = ""
    memory_limit: str = "8GB"
    exports_dir: str = ""

    @property
    def exports_path(self) -> Path:
        """Where segment exports are published (``CDP_EXPORTS_DIR``); empty = ``exports/`` beside the warehouse."""
        return Path(self.exports_dir) if self.exports_dir else exports_beside(Path(self.warehouse_path))

    @property
    def data_docs_path(self) -> Path:
        """Great Expectations' Data Docs site for the quality gate, beside the warehouse."""
        return Path(self.warehouse_path).parent / "data_docs"

    @property
    def registry_path(self) -> str:
        return self.identity_registry_path or str(registry_beside(Path(self.warehouse_path)))

    @contextmanager
    def connect(self, *, with_registry: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writable warehouse connection; ``with_registry`` attaches the registry as ``registry``."""
        with warehouse.connect(Path(self.warehouse_path), self.memory_limit) as conn:
            if with_registry:
                conn.execute(f"attach '{self.registry_path}' as registry").fetchall()
            yield conn

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only warehouse connection with the registry attached read-only as ``registry``."""
        with duckdb.connect(self.warehouse_path, read_only=True) as conn:
            conn.execute(f"set memory_limit = '{self.memory_limit}'").fetchall()
            conn.execute(f"attach '{self.registry_path}' as registry (read_only)").fetchall()
            yield conn


def build_resources(settings: Settings | None = None) -> dict[str, object]:
    settings = settings or Settings.from_env()
    return {
        "warehouse": WarehouseResource(
            warehouse_path=str(settings.warehouse_path),
            landing_dir=str(settings.landing_dir),
            identity_registry_path=str(settings.identity_registry_path),
            memory_limit=settings.duckdb_memory_limit,
            exports_dir=str(settings.exports_dir),
        ),
        "dbt": DbtCliResource(project_dir=cdp_dbt_project),
    }
