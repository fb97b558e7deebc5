"""Settings read from the environment: defaults, and clear errors for bad values."""

from __future__ import annotations

import pytest

from dagster_project.resources import build_resources
from dagster_project.settings import DEFAULT_EXTRACT_WORKERS, Settings


def test_extract_workers_default_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CDP_EXTRACT_WORKERS", raising=False)
    assert Settings.from_env().extract_workers == DEFAULT_EXTRACT_WORKERS == 2
    monkeypatch.setenv("CDP_EXTRACT_WORKERS", " 3 ")
    settings = Settings.from_env()
    assert settings.extract_workers == 3
    assert build_resources(settings)["warehouse"].extract_workers == 3


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_extract_workers_must_be_a_whole_number_of_at_least_one(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CDP_EXTRACT_WORKERS", value)
    with pytest.raises(ValueError, match=f"CDP_EXTRACT_WORKERS='{value}'.*at least 1"):
        Settings.from_env()
