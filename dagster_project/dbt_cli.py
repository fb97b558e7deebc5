"""The dbt CLI resource, without two start-up costs of dagster-dbt that this project does not use,
and without the unbounded growth of its per-run folders."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster import AssetExecutionContext, OpExecutionContext
from dagster_dbt import DbtCliResource
from packaging.version import Version

from dagster_project.settings import DEFAULT_KEPT_DBT_RUNS

#: dagster-dbt's name for one invocation's folder: ``<op>-<run id[:7]>-<random[:7]>``.
_RUN_FOLDER_NAME = re.compile(r"-[0-9a-f]{7}-[0-9a-f]{7}$")


def prune_run_folders(target_dir: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest dbt run folders in ``target_dir``; return the deleted.

    dagster-dbt gives every ``dbt build`` its own folder under the project's ``target/`` (its
    compiled SQL, ``run_results.json`` and ``dbt.log``: about 10 MB here) and never removes one:
    a year of nightly runs would leave 3.6 GB beside the project. Only folders named as
    dagster-dbt names them are touched; anything else a user keeps in ``target/`` stays.
    """
    if not target_dir.is_dir():
        return []
    runs = [path for path in target_dir.iterdir() if path.is_dir() and _RUN_FOLDER_NAME.search(path.name)]
    runs.sort(key=lambda path: path.stat().st_mtime, reverse=True)
    deleted = runs[keep:]
    for folder in deleted:
        shutil.rmtree(folder, ignore_errors=True)  # a folder another process is removing is fine
    return deleted


class CdpDbtCliResource(DbtCliResource):
    """dagster-dbt's ``DbtCliResource``, started faster for every ``dbt build``.

    Before it starts dbt, dagster-dbt (0.29) does two things in the Dagster process:

    * it runs ``dbt --version`` in a subprocess to learn whether it drives dbt Core or the Fusion
      engine: a whole dbt start-up (3 s here) for one line of output;
    * it builds a dbt adapter (1.7 s: the profile, the project and every macro) that only its
      optional row-count and column-metadata fetchers use.

    This project runs the dbt Core installed beside its interpreter (``assets/dbt_project.py`` puts
    that ``bin`` first on ``PATH``), so the version is the installed package's; and it counts rows
    itself once dbt has exited (``assets/transform.py``), because the adapter's connection would
    hold the DuckDB file. Both are skipped: 5 s of every run's start-up, nightly runs included.

    Each new run folder is made after the oldest are pruned, so at most ``kept_runs`` remain
    (``CDP_DBT_KEPT_RUNS``; the newest hold the dbt logs of recent runs for debugging).
    """

    kept_runs: int = DEFAULT_KEPT_DBT_RUNS

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None

    def _get_unique_target_path(self, *, context: OpExecutionContext | AssetExecutionContext | None) -> Path:
        path = super()._get_unique_target_path(context=context)
        target_dir = path.parent if path.is_absolute() else Path(self.project_dir) / path.parent
        prune_run_folders(target_dir, keep=self.kept_runs - 1)  # the new run's folder is the last
        return path
