"""dbt models as assets: staging, intermediate and marts, with dbt tests as asset checks."""


import os
from collections.abc import Iterator, Mapping
from typing import Any

import duckdb
from dagster import AssetExecutionContext, AssetKey, AssetMaterialization, Output
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project.assets.dbt_project import cdp_dbt_project
from dagster_project.resources import WarehouseResource


class CdpDbtTranslator(DagsterDbtTranslator):
    """Models are keyed ``<schema>/<model>`` and grouped by layer folder; sources keep ``raw/<table>``.

    Keeping the source keys equal to the extract assets' keys is what makes each staging
    model downstream of the extract asset that lands its data.
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "seeds" if dbt_resource_props["resource_type"] == "seed" else None


def _with_row_counts(events: list[Any], warehouse_path: str) -> Iterator[Any]:
    """Attach ``dagster/row_count`` to each built model's event.

    Counted after dbt has exited, on one short read-only connection: dagster-dbt's own
    ``fetch_row_counts`` keeps a dbt adapter connection open in this process, which would
    hold the DuckDB file and block the next writer.
    """
    with duckdb.connect(warehouse_path, read_only=True) as conn:
        for event in events:
            if isinstance(event, (Output, AssetMaterialization)) and event.metadata.get("materialization_type"):
                key = event.asset_key if isinstance(event, AssetMaterialization) else None
                schema, table = (key.path if key else _output_relation(event))[-2:]
                rows = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
                event = event.with_metadata({**event.metadata, "dagster/row_count": rows})
            yield event


def _output_relation(event: Output) -> list[str]:
    """``[schema, table]`` of a dbt model from its output name (``<schema>_<model>`` is not reliable)."""
    identifier = str(event.metadata["dagster/relation_identifier"].value)
    return identifier.replace('"', "").split(".")[-2:]


@dbt_assets(manifest=cdp_dbt_project.manifest_path, dagster_dbt_translator=CdpDbtTranslator())
def cdp_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource) -> Iterator[Any]:
    """Build (run and test) the selected dbt models against the configured warehouse."""
    # dbt runs in a subprocess that reads the warehouse path from profiles.yml's env var.
    os.environ["CDP_WAREHOUSE"] = warehouse.warehouse_path
    events = list(dbt.cli(["build"], context=context).stream())
    yield from _with_row_counts(events, warehouse.warehouse_path)
