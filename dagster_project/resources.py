"""Dagster resources: the warehouse every asset reads and writes, configured from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, InitResourceContext

from dagster_project import warehouse
from dagster_project.assets.dbt_project import cdp_dbt_project
from dagster_project.dbt_cli import CdpDbtCliResource
from dagster_project.publishing.journal import RegistryJournal
from dagster_project.publishing.layout import Layout
from dagster_project.publishing.release import published_run_id
from dagster_project.settings import (
    DEFAULT_DUCKDB_MEMORY_LIMIT, DEFAULT_EXTRACT_WORKERS, Settings, exports_beside, registry_beside,
)


class WarehouseResource(ConfigurableResource):
    """The warehouse: the published files, the working database, the registry, the landing directory.

    ``warehouse_path`` is the published analysts' warehouse; every step of a run reads and writes
    the working database beside it (``publishing/layout.py``) and only the last step publishes.
    Defaults come from ``CDP_WAREHOUSE``, ``CDP_IDENTITY_REGISTRY``, ``CDP_EXPORTS_DIR``,
    ``CDP_LANDING_DIR``, ``CDP_EXTRACT_VERIFY_CHECKSUMS`` and ``CDP_EXTRACT_WORKERS`` (see ``settings.py``), so the UI, the
    CLI and the nightly schedule all use the same paths unless a run overrides them. An empty
    registry or exports path means "beside the warehouse".
    """

    warehouse_path: str
    landing_dir: str
    identity_registry_path: str = ""
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    exports_dir: str = ""
    verify_checksums: bool = False
    extract_workers: int = DEFAULT_EXTRACT_WORKERS

    @property
    def layout(self) -> Layout:
        exports = Path(self.exports_dir) if self.exports_dir else exports_beside(Path(self.warehouse_path))
        return Layout(warehouse=Path(self.warehouse_path), exports=exports)

    @property
    def work_path(self) -> str:
        """The working database every step writes (the analysts' file is only ever replaced)."""
        return str(self.layout.work_database)

    @property
    def journal(self) -> RegistryJournal:
        return RegistryJournal(registry=Path(self.registry_path), directory=self.layout.work_dir)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """At the start of every run: undo what an unpublished previous run left in the registry,
        then snapshot it, so this run's registry changes stand only if it publishes."""
        if self.layout.adopt_legacy_warehouse() and context.log:
            context.log.info(f"moved the pre-release warehouse to {self.work_path}; it is the working database now")
        dead = self.journal.recover(published_run_id(self.layout))
        if dead and context.log:
            context.log.warning(
                f"run {dead['run_id']} (started {dead['started_at']}) never published: "
                "the identity registry is back as the last published run left it"
            )
        self.journal.begin(context.run_id)

    @property
    def data_docs_path(self) -> Path:
        """Great Expectations' Data Docs site for the quality gate, beside the warehouse."""
        return Path(self.warehouse_path).parent / "data_docs"

    @property
    def registry_path(self) -> str:
        return self.identity_registry_path or str(registry_beside(Path(self.warehouse_path)))

    @contextmanager
    def connect(self, *, with_registry: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writable connection to the working database; ``with_registry`` attaches the registry as ``registry``."""
        with warehouse.connect(Path(self.work_path), self.memory_limit) as conn:
            if with_registry:
                conn.execute(f"attach '{self.registry_path}' as registry").fetchall()
            yield conn

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the working database, with the registry attached read-only as ``registry``."""
        with duckdb.connect(self.work_path, read_only=True) as conn:
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
            verify_checksums=settings.verify_checksums,
            extract_workers=settings.extract_workers,
        ),
        "dbt": CdpDbtCliResource(project_dir=cdp_dbt_project, kept_runs=settings.dbt_kept_runs),
    }
