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
from dagster_project.settings import Settings, registry_beside


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

    @property
    def registry_path(self) -> str:
        return self.identity_registry_path or str(registry_beside(Path(self.warehouse_path)))

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(Path(self.warehouse_path), self.memory_limit) as conn:
            yield conn


def build_resources(settings: Settings | None = None) -> dict[str, object]:
    settings = settings or Settings.from_env()
    return {
        "warehouse": WarehouseResource(
            warehouse_path=str(settings.warehouse_path),
            landing_dir=str(settings.landing_dir),
            identity_registry_path=str(settings.identity_registry_path),
            memory_limit=settings.duckdb_memory_limit,
        ),
        "dbt": DbtCliResource(project_dir=cdp_dbt_project),
    }
