"""The dbt CLI resource starts dbt without a `dbt --version` subprocess or an in-process adapter."""

from __future__ import annotations

import os
from importlib.metadata import version
from pathlib import Path

import dagster_dbt.core.resource as dagster_dbt_resource
import pytest
from dagster_dbt import DbtCliResource
from packaging.version import Version

from dagster_project.assets.dbt_project import cdp_dbt_project
from dagster_project.dbt_cli import CdpDbtCliResource, prune_run_folders
from dagster_project.resources import build_resources


def test_the_pipeline_uses_the_fast_resource() -> None:
    assert isinstance(build_resources()["dbt"], CdpDbtCliResource)


def test_the_dbt_version_is_the_installed_package_without_running_dbt(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_subprocess(*args: object, **kwargs: object) -> bytes:
        raise AssertionError(f"dbt was started to ask its version: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    resource = CdpDbtCliResource(project_dir=cdp_dbt_project)
    assert resource._cli_version == Version(version("dbt-core"))
    assert resource._cli_version.major < 2  # dbt Core, not the Fusion engine: dagster-dbt's Core path


def test_no_adapter_is_built_in_the_dagster_process() -> None:
    assert CdpDbtCliResource(project_dir=cdp_dbt_project)._initialize_dbt_core_adapter(["build"]) is None


def test_dagster_dbt_still_has_the_hooks_it_overrides() -> None:
    # An upgrade that renames them would leave both costs silently back in every run.
    assert isinstance(DbtCliResource.__dict__.get("_cli_version"), type(CdpDbtCliResource.__dict__["_cli_version"]))
    assert callable(DbtCliResource.__dict__.get("_initialize_dbt_core_adapter"))
    assert callable(DbtCliResource.__dict__.get("_get_unique_target_path"))


def _run_folders(target: Path, count: int) -> list[Path]:
    """``count`` folders named as dagster-dbt names a run's, oldest first (mtimes a minute apart)."""
    folders = []
    for index in range(count):
        folder = target / f"cdp_dbt_models-{index:07x}-abcdef0"
        (folder / "run").mkdir(parents=True)
        (folder / "run_results.json").write_text("{}")
        os.utime(folder, (1_800_000_000 + 60 * index,) * 2)
        folders.append(folder)
    return folders


def test_pruning_keeps_the_newest_run_folders_and_nothing_else_is_touched(tmp_path: Path) -> None:
    folders = _run_folders(tmp_path, 5)
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "my_notes").mkdir()  # a user's folder, not named as a run's

    deleted = prune_run_folders(tmp_path, keep=2)

    assert sorted(deleted) == sorted(folders[:3])
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == sorted([folders[3].name, folders[4].name, "manifest.json", "my_notes"])


def test_pruning_a_missing_target_folder_does_nothing(tmp_path: Path) -> None:
    assert prune_run_folders(tmp_path / "target", keep=3) == []


def test_each_new_run_folder_leaves_at_most_kept_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "dbt_project.yml").write_text("name: scratch\n")
    target = tmp_path / "target"
    folders = _run_folders(target, 4)
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)  # dagster-dbt's default: target/ in the project

    new = CdpDbtCliResource(project_dir=str(tmp_path), kept_runs=3)._get_unique_target_path(context=None)

    assert not new.is_absolute() and new.parent == Path("target")
    # two old folders stay; with the new run's, three
    assert sorted(p for p in target.iterdir()) == sorted(folders[2:])


def test_the_kept_runs_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDP_DBT_KEPT_RUNS", "7")
    assert build_resources()["dbt"].kept_runs == 7
