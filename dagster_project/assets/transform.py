"""dbt models as assets: staging, intermediate, marts and the identity registry, with dbt tests as checks."""

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import duckdb
from dagster import AssetExecutionContext, AssetKey, AssetMaterialization, Config, MetadataValue, Output
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project.publishing.faults import kill_if_requested
from dagster_project.quality._gx import import_in_background
from dagster_project.quality.targets import start_worker
from dagster_project.assets.dbt_project import cdp_dbt_project
from dagster_project.resources import WarehouseResource
from dagster_project.settings import environment

#: The attached database that holds the identity registry (see dbt/profiles.yml).
REGISTRY_DATABASE = "registry"


class CdpDbtTranslator(DagsterDbtTranslator):
    """Models are keyed ``<schema>/<model>`` (``registry/<model>`` for the registry) and grouped by
    layer folder; sources keep ``<source>/<table>``.

    Keeping the source keys equal to the extract assets' keys is what makes each staging
    model downstream of the extract asset that lands its data.
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        if dbt_resource_props.get("database") == REGISTRY_DATABASE:
            return AssetKey([REGISTRY_DATABASE, dbt_resource_props["name"]])
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "seeds" if dbt_resource_props["resource_type"] == "seed" else None


@dataclass(frozen=True)
class _ModelTable:
    """Where a dbt model's table lives, its asset key and what extra metadata its ``meta.cdp`` asks for."""

    qualifier: str  # '"schema"' or 'registry.main'
    name: str
    settings: dict[str, Any]
    asset_key: AssetKey

    @property
    def is_segment(self) -> bool:
        return self.qualifier == '"segments"'


@cache
def _model_tables() -> dict[str, _ModelTable]:
    """Every model's table by dbt unique_id, from the manifest."""
    manifest = json.loads(cdp_dbt_project.manifest_path.read_text())
    translator = CdpDbtTranslator()
    tables = {}
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model":
            continue
        in_registry = node.get("database") == REGISTRY_DATABASE
        qualifier = f"{REGISTRY_DATABASE}.main" if in_registry else f'"{node["schema"]}"'
        tables[unique_id] = _ModelTable(qualifier, node["alias"] or node["name"],
                                        node["config"].get("meta", {}).get("cdp", {}), translator.get_asset_key(node))
    return tables


def _model_metadata(conn: duckdb.DuckDBPyConnection, table: _ModelTable) -> dict[str, Any]:
    """Row count, plus what the model's ``meta.cdp`` asks for.

    ``deduplicates: <model>`` reports how many rows deduplication dropped from that model;
    ``metadata_from_row: true`` reports every column of a one-row model (graph health).
    """
    relation = f'{table.qualifier}."{table.name}"'
    rows = conn.execute(f"select count(*) from {relation}").fetchone()[0]
    metadata: dict[str, Any] = {"dagster/row_count": rows}
    if upstream := table.settings.get("deduplicates"):
        upstream_rows = conn.execute(f'select count(*) from "staging"."{upstream}"').fetchone()[0]
        metadata["duplicates_dropped"] = upstream_rows - rows
    if table.settings.get("metadata_from_row") and rows == 1:
        cursor = conn.execute(f"select * from {relation}")
        values = cursor.fetchone()
        for (name, *_), value in zip(cursor.description, values):
            metadata[name] = MetadataValue.float(float(value)) if isinstance(value, float) else value
    return metadata


def _with_row_counts(built: list[Output | AssetMaterialization], warehouse_path: str,
                     registry_path: str) -> Iterator[Output | AssetMaterialization]:
    """Attach row counts (and meta-driven figures) to each built model's materialization.

    Counted after dbt has exited, on one short read-only connection: dagster-dbt's own
    ``fetch_row_counts`` keeps a dbt adapter connection open in this process, which would
    hold the DuckDB file and block the next writer.
    """
    with duckdb.connect(warehouse_path, read_only=True) as conn:
        conn.execute(f"attach '{registry_path}' as {REGISTRY_DATABASE} (read_only)")
        for event in built:
            table = _built_table(event)
            if table is not None:
                event = event.with_metadata({**event.metadata, **_model_metadata(conn, table)})
            yield event


def _built_table(event: Output | AssetMaterialization) -> _ModelTable | None:
    """The table of the model a materialization is for (None for anything else dbt built)."""
    unique_id = event.metadata.get("unique_id")
    return _model_tables().get(str(unique_id.value)) if unique_id is not None else None


class _GateStart:
    """When the dbt step starts the quality gate's import and worker (``_prepare_quality_gate``):
    once every model the build selected has been built except the segments.

    What is left of the build then (the segments, the tests of the last marts and the segments,
    dbt's checkpoint and exit: about 10 s at 1,000,000 people, much of it on one core) hides the 4
    to 5 CPU seconds the import and the worker's start take. Started with dbt, they took that time
    from dbt's start and first models, which keep both cores busy, and the worker's memory came on
    top of the build's peak. Started at the first segment built, they took it from the last marts:
    dbt builds ``anonymous_high_intent_visitors`` (web events and sessions only) before
    ``customer_metrics``, which then took 8.0 to 9.1 s against 5.0 to 5.5 s alone at 1,000,000
    people. A build without segments leaves both to the gate.
    """

    def __init__(self, selected: set[AssetKey]):
        tables = [t for t in _model_tables().values() if t.asset_key in selected]
        self._waiting_for = {t.asset_key for t in tables if not t.is_segment}
        self._pending = any(t.is_segment for t in tables)

    def is_due(self, event: Output | AssetMaterialization) -> bool:
        """True once: for the built model that leaves only segments to build."""
        table = _built_table(event)
        if not self._pending or table is None:
            return False
        self._waiting_for.discard(table.asset_key)
        if self._waiting_for:
            return False
        self._pending = False
        return True


def _prepare_quality_gate() -> None:
    """Import the quality gate's library (GX) and start its worker process while dbt finishes
    (when: ``_GateStart``)."""
    import_in_background()
    start_worker()  # dagster_project/quality/targets.py; where it cannot start, the gate says so and works alone


class DbtBuildConfig(Config):
    """How the dbt models are built (set in the launchpad, or ``python -m dagster_project.run --full-refresh``)."""

    full_refresh: bool = False
    """Rebuild incremental models (staging, deduplication) from all landed rows instead of adding the
    new loads: needed after a staging rule or one of its vars changes (docs/performance.md)."""


@dbt_assets(manifest=cdp_dbt_project.manifest_path, dagster_dbt_translator=CdpDbtTranslator())
def cdp_dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, config: DbtBuildConfig
) -> Iterator[Any]:
    """Build (run and test) the selected dbt models against the configured warehouse.

    Staging and deduplication are incremental (only new loads and the keys they touch); the
    identity registry is never rebuilt, even by a full refresh (its models set full_refresh: false).
    """
    # dbt's subprocess reads the paths (profiles.yml) and the run id (macros/identity/cdp_run_id.sql)
    # from env vars. They are set only while dagster-dbt copies this process's environment and
    # starts dbt: held while the events stream, they stayed set across this generator's yields, the
    # gate's import thread and worker start, and one left set points the next run in this process
    # (the CLI and the tests run many) at this run's files.
    variables = {
        "CDP_WORK_DATABASE": warehouse.work_path,
        "CDP_IDENTITY_REGISTRY": warehouse.registry_path,
        "CDP_RUN_ID": context.run.run_id,
    }
    with environment(variables):
        invocation = dbt.cli(["build", "--full-refresh"] if config.full_refresh else ["build"], context=context)
    built: list[Output | AssetMaterialization] = []
    gate_start = _GateStart(set(context.selected_asset_keys))
    for event in invocation.stream():
        if isinstance(event, (Output, AssetMaterialization)):
            built.append(event)  # gets its row count once dbt has let go of the file
            if gate_start.is_due(event):
                _prepare_quality_gate()
        else:
            # test results are recorded while dbt works: held to the end, writing the 183
            # events to Dagster's event log took 3 s after dbt had finished
            yield event
    kill_if_requested("after_dbt")
    yield from _with_row_counts(built, warehouse.work_path, warehouse.registry_path)
