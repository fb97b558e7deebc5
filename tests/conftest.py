"""Shared fixtures: every test that runs the pipeline gets its own warehouse and landing copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dagster_project.settings import SAMPLE_LANDING_DIR


@pytest.fixture
def sample_landing(tmp_path: Path) -> Path:
    """A private copy of the bundled sample's landing directory."""
    target = tmp_path / "landing"
    shutil.copytree(SAMPLE_LANDING_DIR, target)
    return target


@pytest.fixture(autouse=True)
def _throwaway_dagster_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests keep no run history: without DAGSTER_HOME every run uses a throwaway Dagster instance."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)

