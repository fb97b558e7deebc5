"""dbt models as assets: staging, intermediate and marts, with dbt tests as asset checks."""


import os
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey
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


@dbt_assets(manifest=cdp_dbt_project.manifest_path, dagster_dbt_translator=CdpDbtTranslator())
def cdp_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource) -> Iterator[Any]:
    """Build (run and test) the selected dbt models against the configured warehouse."""
    # dbt runs in a subprocess that reads the warehouse path from profiles.yml's env var.
    os.environ["CDP_WAREHOUSE"] = warehouse.warehouse_path
    yield from dbt.cli(["build"], context=context).stream().fetch_row_counts()
