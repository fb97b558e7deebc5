"""The dbt project as Dagster sees it, with its manifest ready before definitions load."""

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.publishing.layout import work_database_of
from dagster_project.settings import DBT_PROJECT_DIR, Settings, environment

# dagster-dbt looks dbt up on PATH, also when it parses the project itself; use the dbt
# installed beside this interpreter so an un-activated virtual environment works.
_interpreter_bin = str(Path(sys.executable).parent)
if _interpreter_bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _interpreter_bin + os.pathsep + os.environ.get("PATH", "")

#: What the manifest is parsed from: a change to any of these makes it stale.
_PROJECT_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")


def _manifest_is_stale(project: DbtProject) -> bool:
    """True when there is no manifest or a project file changed since it was written.

    This is what lets an analyst drop a new segment model into ``models/segments/`` and see it
    as assets on the next ``make run`` or schedule tick, without a separate parse step.
    """
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    written = manifest.stat().st_mtime
    for name in _PROJECT_SOURCES:
        source = project.project_dir / name
        paths = source.rglob("*") if source.is_dir() else [source]
        if any(path.is_file() and path.stat().st_mtime > written for path in paths):
            return True
    return False


cdp_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# Parse with the paths runs use by default (set for the parse only): dbt re-parses the whole
# project (no partial parsing) whenever the rendered profile differs from the one it parsed with.
_settings = Settings.from_env()
with environment({
    "CDP_WORK_DATABASE": os.environ.get("CDP_WORK_DATABASE") or str(work_database_of(_settings.warehouse_path)),
    "CDP_IDENTITY_REGISTRY": str(_settings.identity_registry_path),
}):
    # `dagster dev` re-parses on every load; elsewhere (the CLI, tests, a fresh clone) parse when the
    # manifest is missing or older than the project, so no separate build step is ever needed.
    cdp_dbt_project.prepare_if_dev()
    if _manifest_is_stale(cdp_dbt_project):
        cdp_dbt_project.preparer.prepare(cdp_dbt_project)
