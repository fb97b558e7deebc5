"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

from dagster_project.settings import DBT_PROJECT_DIR, environment


@pytest.fixture(scope="session")
def compile_inline(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., dbtRunnerResult]:
    """``compile_inline(jinja, messages=None)``: dbt compiles ``jinja`` in the project (its macros
    rendered as the models render them) against a throwaway warehouse; ``messages`` collects the
    log lines. The compiled SQL is ``result.result.results[0].node.compiled_code``."""
    work = tmp_path_factory.mktemp("dbt_inline")

    def compile_(inline: str, messages: list[str] | None = None) -> dbtRunnerResult:
        log = (lambda event: messages.append(str(event.info.msg))) if messages is not None else None
        paths = {"CDP_WORK_DATABASE": str(work / "work.duckdb"), "CDP_IDENTITY_REGISTRY": str(work / "registry.duckdb")}
        with environment(paths):
            return dbtRunner(callbacks=[log] if log else None).invoke([
                "compile", "--inline", inline, "--project-dir", str(DBT_PROJECT_DIR),
                "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(work / "target"), "--quiet",
            ])

    return compile_
