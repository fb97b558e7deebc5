"""The dbt project as Dagster sees it, with its manifest ready before definitions load."""

from __future__ import annotations

from dagster_dbt import DbtProject

from dagster_project.settings import DBT_PROJECT_DIR

cdp_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# `dagster dev` re-parses on every load; elsewhere (the CLI, tests, a fresh clone) parse once
# when no manifest exists yet, so no separate build step is needed before first use.
cdp_dbt_project.prepare_if_dev()
if not cdp_dbt_project.manifest_path.exists():
    cdp_dbt_project.preparer.prepare(cdp_dbt_project)
