"""The `make run` entry point's choice of Dagster instance (CI starts from a clone without .dagster/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_project import run


def test_missing_dagster_home_is_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "not" / "yet" / "there"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    instance = run._instance()
    assert home.is_dir() and not instance.is_ephemeral


def test_without_dagster_home_runs_are_not_kept() -> None:
    assert run._instance().is_ephemeral
