"""The one Definitions object: assets per layer, resources, job and schedule."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from dagster_project.assets.activation import activation_assets
from dagster_project.assets.extract import extract_assets
from dagster_project.assets.quality import quality_gate
from dagster_project.assets.transform import cdp_dbt_models
from dagster_project.jobs import cdp_activation_job, cdp_nightly_schedule, cdp_pipeline_job
from dagster_project.resources import build_resources

defs = Definitions(
    assets=[*extract_assets, cdp_dbt_models, *activation_assets],
    asset_checks=[quality_gate],
    jobs=[cdp_pipeline_job, cdp_activation_job],
    schedules=[cdp_nightly_schedule],
    resources=build_resources(),
    # DuckDB takes one writer process per file: steps must run one after another in one process.
    executor=in_process_executor,
)
