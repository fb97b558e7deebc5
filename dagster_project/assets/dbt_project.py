"""The dbt project as Dagster sees it, with its manifest ready before definitions load."""

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.settings import DBT_PROJECT_DIR

# dagster-dbt looks dbt up on PATH, also when it parses the project itself; use the dbt
# installed beside this interpreter so an un-activated virtual environment works.
_interpreter_bin = str(Path(sys.executable).parent)
if _interpreter_bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _interpreter_bin + os.pathsep + os.environ.get("PATH", "")

cdp_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# `dagster dev` re-parses on every load; elsewhere (the CLI, tests, a fresh clone) parse once
# when no manifest exists yet, so no separate build step is needed before first use.
cdp_dbt_project.prepare_if_dev()
if not cdp_dbt_project.manifest_path.exists():
    cdp_dbt_project.preparer.prepare(cdp_dbt_project)
