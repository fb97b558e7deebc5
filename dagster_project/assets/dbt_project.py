"""The dbt project as Dagster sees it, with its manifest ready before definitions load."""

import json
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


#: The database paths the manifest was parsed with, beside it.
_PARSED_WITH = "cdp_parsed_with.json"


def _manifest_is_stale(project: DbtProject, paths: dict[str, str]) -> bool:
    """True when there is no manifest, it was parsed with other database paths, or a project
    file changed since it was written.

    This is what lets an analyst drop a new segment model into ``models/segments/`` and see it
    as assets on the next ``make run`` or schedule tick, without a separate parse step. The
    paths matter because dbt re-parses the whole project (2 to 3 s, no partial parsing) in every
    run whose rendered profile differs from the one the manifest was parsed with.
    """
    manifest = project.manifest_path
    parsed_with = manifest.parent / _PARSED_WITH
    if not manifest.exists() or not parsed_with.exists() or json.loads(parsed_with.read_text()) != paths:
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
_paths = {
    "CDP_WORK_DATABASE": os.environ.get("CDP_WORK_DATABASE") or str(work_database_of(_settings.warehouse_path)),
    "CDP_IDENTITY_REGISTRY": str(_settings.identity_registry_path),
}
with environment(_paths):
    # `dagster dev` re-parses on every load; elsewhere (the CLI, tests, a fresh clone) parse when the
    # manifest is missing, older than the project or parsed for other paths, so no separate build
    # step is ever needed.
    cdp_dbt_project.prepare_if_dev()
    if _manifest_is_stale(cdp_dbt_project, _paths):
        cdp_dbt_project.preparer.prepare(cdp_dbt_project)
        (cdp_dbt_project.manifest_path.parent / _PARSED_WITH).write_text(json.dumps(_paths, indent=2) + "\n")
