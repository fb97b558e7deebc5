"""A gate target validated in the worker process gives what validating it here gives.

Runs the real worker (a spawned process) on a small DuckDB file written here.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import duckdb
import pytest

from dagster_project.quality import build_data_docs, load_gate_config, targets
from dagster_project.quality.targets import TargetCheck

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """customers: three sound rows; customers_duplicated: one id twice."""
    path = tmp_path_factory.mktemp("warehouse") / "work.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        conn.execute(
            """create table marts.customers as
               select * from (values
                   ('c1', true, 'ann@example.com', timestamp '2024-01-01', timestamp '2024-03-01'),
                   ('c2', true, null, timestamp '2024-02-01', timestamp '2024-02-01'),
                   ('c3', false, null, timestamp '2025-05-01', timestamp '2025-05-02')
               ) as t(customer_id, is_known, email, first_seen_at, last_seen_at)"""
        )
        conn.execute("create table marts.customers_duplicated as select * from marts.customers union all select * from marts.customers where customer_id = 'c2'")
    return str(path)


def _check(table: str) -> TargetCheck:
    return TargetCheck(name=f"marts/{table}", suite="customers", query=f"select * from marts.{table}", min_rows=1)


@pytest.mark.parametrize("table", ["customers", "customers_duplicated"])
def test_the_worker_validates_as_this_process_does(database: str, tmp_path: Path, table: str) -> None:
    config = load_gate_config()
    future = targets.submit(database, "1GB", _check(table), now=NOW, config=config, docs_dir=tmp_path / "worker_run", run_name="r")
    rows, in_worker = targets.collect(future, tmp_path / "worker_run")
    with duckdb.connect(database, read_only=True) as conn:
        here_rows, here = targets.check_target(conn, _check(table), now=NOW, config=config, docs_dir=tmp_path / "here", run_name="r")
    assert rows == here_rows == (3 if table == "customers" else 4)
    assert in_worker.success == here.success == (table == "customers")
    assert [f.expectation_type for f in in_worker.failures] == [f.expectation_type for f in here.failures]
    assert in_worker.failures == here.failures  # the same samples, found in the other process
    # its validation is in the run's stores (and so in the run's Data Docs), the worker's are gone
    assert in_worker.docs_index == (tmp_path / "worker_run").resolve() / "index.html"
    assert not (tmp_path / "worker_run" / ".worker").exists()
    assert "customers" in build_data_docs(tmp_path / "worker_run").read_text()


def test_a_worker_that_died_is_replaced(database: str, tmp_path: Path) -> None:
    config = load_gate_config()
    targets.start_worker()
    pids = list(targets._running_worker()._processes)  # noqa: SLF001 - the pool's own record of its process
    assert len(pids) == 1
    os.kill(pids[0], signal.SIGKILL)
    with pytest.raises(BrokenProcessPool):
        future = targets.submit(database, "1GB", _check("customers"), now=NOW, config=config, docs_dir=tmp_path, run_name="r")
        targets.collect(future, tmp_path)
    targets.stop_worker()
    future = targets.submit(database, "1GB", _check("customers"), now=NOW, config=config, docs_dir=tmp_path, run_name="r")
    assert targets.collect(future, tmp_path)[1].success


def test_where_no_process_can_start_the_worker_is_reported_missing_not_half_made(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No /dev/shm, a process limit: the spawn fails with OSError. start_worker says so (the dbt
    step carries on), submit raises it (the gate validates here), and nothing broken is kept: once
    processes can start again, the next submit spawns a sound worker."""
    targets.stop_worker()
    real_context = targets.multiprocessing.get_context

    class NoProcesses:
        def __getattr__(self, name: str) -> object:
            return getattr(real_context("spawn"), name)

        def Process(self, *args: object, **kwargs: object) -> object:  # noqa: N802 - the context's API
            raise OSError(38, "Function not implemented")

    monkeypatch.setattr(targets.multiprocessing, "get_context", lambda method: NoProcesses())
    assert targets.start_worker() is False
    with pytest.raises(OSError):
        targets.submit(database, "1GB", _check("customers"), now=NOW, config=load_gate_config(), docs_dir=tmp_path, run_name="r")
    assert targets._worker is None  # noqa: SLF001 - nothing half-made kept for the next run

    monkeypatch.undo()
    future = targets.submit(database, "1GB", _check("customers"), now=NOW, config=load_gate_config(), docs_dir=tmp_path, run_name="r")
    assert targets.collect(future, tmp_path)[1].success
    targets.stop_worker()
