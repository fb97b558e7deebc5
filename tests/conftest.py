"""Shared fixtures: every test that runs the pipeline gets its own warehouse and landing copy."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagster_project.settings import SAMPLE_LANDING_DIR, environment


def pytest_configure(config: pytest.Config) -> None:
    """With worker processes (``make test`` runs ``pytest -n``), parse the dbt manifest once here,
    before they start: each would otherwise find it missing or stale on a fresh clone and write it
    while the other reads it (``dagster_project/assets/dbt_project.py`` parses on import)."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        import dagster_project.assets.dbt_project  # noqa: F401


#: The test files that take longest (``pytest --durations``, two workers: test_publishing's runs
#: killed at each fault point about 400 s, the incremental and stability fixtures 140 and 100 s).
#: With a file per worker they go first, so the others fill the second core beside them instead
#: of one of them running alone at the end.
_LONGEST_FIRST = ("test_publishing.py", "test_incremental.py", "test_identity_stability.py", "test_bad_inputs.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the longest files first, each file's tests still together and in order (module
    fixtures are built once per file)."""
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return _LONGEST_FIRST.index(name) if name in _LONGEST_FIRST else len(_LONGEST_FIRST)

    items.sort(key=rank)  # stable: every other file keeps its place


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


#: Variables the pipeline sets for its dbt subprocess only: one left set after a test would point
#: every later run at that test's files.
_RUN_SCOPED_VARIABLES = ("CDP_WORK_DATABASE", "CDP_IDENTITY_REGISTRY", "CDP_RUN_ID", "CDP_WAREHOUSE", "CDP_EXPORTS_DIR")
_AT_START = {name: os.environ.get(name) for name in _RUN_SCOPED_VARIABLES}


@pytest.fixture(autouse=True)
def _no_path_variable_outlives_a_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test (or the module fixture it set up) after which a path variable differs from
    the session's start, and put it back: left, it would send every later run to that test's files."""
    with environment(_AT_START):  # puts the session's values back on the way out
        yield
        now = {name: os.environ.get(name) for name in _RUN_SCOPED_VARIABLES}
        changed = {name: value for name, value in now.items() if value != _AT_START[name]}
    assert not changed, f"{request.node.nodeid} left environment variables changed: {changed}"
