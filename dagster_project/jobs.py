"""The pipeline job and its nightly schedule."""

from __future__ import annotations

import os

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from dagster_project.assets.activation import activation_assets
from dagster_project.assets.quality import quality_gate

cdp_pipeline_job = define_asset_job(
    name="cdp_pipeline",
    selection=AssetSelection.all(),
    description=(
        "Extract every source, build and test every dbt model, gate the marts and segments with "
        "Great Expectations, then record segment memberships and publish the exports."
    ),
)

cdp_activation_job = define_asset_job(
    name="cdp_activation",
    selection=AssetSelection.checks(quality_gate) | AssetSelection.assets(*activation_assets),
    description=(
        "Re-run the quality gate on the warehouse as it is, then memberships and exports: after "
        "fixing a gate failure by hand, or to re-publish without rebuilding."
    ),
)

cdp_nightly_schedule = ScheduleDefinition(
    name="cdp_nightly",
    job=cdp_pipeline_job,
    cron_schedule=os.environ.get("CDP_SCHEDULE_CRON", "0 2 * * *"),
    execution_timezone=os.environ.get("CDP_SCHEDULE_TIMEZONE", "UTC"),
    # On by default so `make dev` (webserver + daemon) runs it; CDP_SCHEDULE_ENABLED=false turns it off.
    default_status=(
        DefaultScheduleStatus.STOPPED
        if os.environ.get("CDP_SCHEDULE_ENABLED", "true").lower() in {"0", "false", "no"}
        else DefaultScheduleStatus.RUNNING
    ),
    description="The nightly run of the whole pipeline.",
)
