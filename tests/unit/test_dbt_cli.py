"""The dbt CLI resource starts dbt without a `dbt --version` subprocess or an in-process adapter."""

from __future__ import annotations

from importlib.metadata import version

import dagster_dbt.core.resource as dagster_dbt_resource
import pytest
from dagster_dbt import DbtCliResource
from packaging.version import Version

from dagster_project.assets.dbt_project import cdp_dbt_project
from dagster_project.dbt_cli import CdpDbtCliResource
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
