"""The Dagster definitions: one job over every asset, a nightly schedule, dbt lineage and checks."""

from __future__ import annotations

import importlib
import subprocess
import sys

from dagster import AssetKey, DefaultScheduleStatus

from dagster_project.definitions import defs


def test_definitions_validate_with_the_dagster_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "dagster_project.definitions"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_job_runs_every_asset() -> None:
    job = defs.resolve_job_def("cdp_pipeline")
    all_keys = set(defs.resolve_asset_graph().get_all_asset_keys())
    job_keys = set(job.asset_layer.selected_asset_keys)
    assert job_keys == {k for k in all_keys if defs.resolve_asset_graph().get(k).is_materializable}


def test_nightly_schedule_defaults_to_two_am_utc_and_running() -> None:
    schedule = defs.resolve_schedule_def("cdp_nightly")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.job_name == "cdp_pipeline"
    assert schedule.default_status == DefaultScheduleStatus.RUNNING


def test_schedule_timezone_and_time_are_configurable(monkeypatch) -> None:
    monkeypatch.setenv("CDP_SCHEDULE_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("CDP_SCHEDULE_CRON", "30 3 * * *")
    monkeypatch.setenv("CDP_SCHEDULE_ENABLED", "false")
    import dagster_project.jobs as jobs

    try:
        reloaded = importlib.reload(jobs)
        assert reloaded.cdp_nightly_schedule.execution_timezone == "Europe/Berlin"
        assert reloaded.cdp_nightly_schedule.cron_schedule == "30 3 * * *"
        assert reloaded.cdp_nightly_schedule.default_status == DefaultScheduleStatus.STOPPED
    finally:
        monkeypatch.undo()
        importlib.reload(jobs)


def test_each_staging_model_is_downstream_of_its_extract_asset() -> None:
    graph = defs.resolve_asset_graph()
    expected = {
        "stg_crm__contacts": "crm_contacts",
        "stg_web__events": "web_events",
        "stg_pos__transactions": "pos_transactions",
    }
    for model, raw_table in expected.items():
        parents = graph.get(AssetKey(["staging", model])).parent_keys
        assert AssetKey(["raw", raw_table]) in parents, (model, parents)
        assert graph.get(AssetKey(["staging", model])).group_name == "staging"


def test_dbt_tests_are_asset_checks() -> None:
    graph = defs.resolve_asset_graph()
    checks = graph.asset_check_keys
    staged = {c.asset_key for c in checks}
    assert {AssetKey(["staging", m]) for m in ("stg_crm__contacts", "stg_web__events", "stg_pos__transactions")} <= staged
