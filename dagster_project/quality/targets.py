"""Validating one gate target, in this process or in a worker process beside it.

pandas and Great Expectations keep one core busy: validating the gate's targets one after another
took 11 to 12 s at 1,000,000 people at 1.03 cores busy, while the other core waited. Threads do not
help (GX holds the interpreter lock), so the gate hands one large target to a worker process
(``submit``), validates the others itself, then takes the worker's result (``collect``).

The worker is spawned, not forked: the Dagster process has threads of its own (and DuckDB's), and
a forked child may inherit a lock one of them held. Spawning and importing GX takes 4 s, so the
dbt step starts the worker (``start_worker``) as dbt builds its last models, when it starts
importing GX (``import_in_background``); a gate in a process of its own (``dagster dev``) spawns it
on its first target, still in parallel with its own work.

The worker writes its validation into Data Docs stores of its own (every validation holds the
stores' lock while it runs, which would put the two processes back in line); they are merged into
the run's stores before the site is built.
"""

from __future__ import annotations

import multiprocessing
import shutil
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import duckdb

from dagster_project.quality._gx import gx
from dagster_project.quality.config import GateConfig
from dagster_project.quality.expectations import (
    consent_expectations,
    expectation_columns,
    not_in_future_expectations,
    volume_expectation,
)
from dagster_project.quality.gate import KEY_COLUMNS, GateResult, merge_stores, validate
from dagster_project.quality.suites import load_suite

#: Where, inside a run's Data Docs folder, the worker keeps its stores until they are merged.
_WORKER_DOCS = ".worker"


@dataclass(frozen=True)
class TargetCheck:
    """One gate target as a validation needs it: plain values, so it can go to another process."""

    name: str
    suite: str
    query: str
    validation_name: str | None = None  # stored under this name instead of the suite's
    volume_checked: bool = True
    min_rows: int = 0
    previous_rows: int | None = None  # the last passing run's count, for the volume check
    consent_channel: str | None = None


def check_target(conn: duckdb.DuckDBPyConnection, check: TargetCheck, *, now: datetime, config: GateConfig,
                 docs_dir: Path, run_name: str) -> tuple[int, GateResult]:
    """Validate ``check``'s rows against its suite plus the run-dependent expectations (no future
    timestamps, volume against the last passing run, consent); returns the rows read and the result."""
    relation = conn.sql(check.query)
    suite = load_suite(check.suite)
    # the timestamp columns are known from the query's types, before any row is read
    extra = not_in_future_expectations(relation.limit(0).df(), now)
    if check.volume_checked:
        extra.append(volume_expectation(
            check.previous_rows, config.volume_tolerance, min_rows=check.min_rows, slack_rows=config.volume_slack_rows,
        ))
    if check.consent_channel:
        extra += consent_expectations(check.consent_channel)
    # only the columns some expectation reads (and the key, for failure samples)
    read = [c for c in dict.fromkeys([*KEY_COLUMNS, *expectation_columns([*suite.expectations, *extra])])
            if c in relation.columns]
    df = relation.select(*(duckdb.ColumnExpression(c) for c in read)).df() if read else relation.df()
    result = validate(
        df, suite, parameters=config.suite_parameters, extra_expectations=extra, docs_dir=docs_dir,
        name=check.validation_name, run_name=run_name, build_docs=False,
    )
    return len(df), result


def _check_in_worker(database: str, memory_limit: str, check: TargetCheck, now: datetime, config: GateConfig,
                     docs_dir: Path, run_name: str) -> tuple[int, GateResult]:
    with duckdb.connect(database, read_only=True) as conn:
        conn.execute(f"set memory_limit = '{memory_limit}'").fetchall()
        return check_target(conn, check, now=now, config=config, docs_dir=docs_dir, run_name=run_name)


_worker: ProcessPoolExecutor | None = None
_worker_lock = threading.Lock()


def _running_worker() -> ProcessPoolExecutor:
    """The worker, spawned if none is running. Raises OSError where no process can be started
    (no ``/dev/shm`` for its queue's semaphore, a process limit reached): callers then validate
    in their own process, as they do when the worker dies."""
    global _worker
    with _worker_lock:
        if _worker is None:
            worker = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            try:
                worker.submit(gx)  # its first task: import GX, so the first target does not wait for it
            except OSError:
                worker.shutdown(wait=False, cancel_futures=True)
                raise
            _worker = worker
        return _worker


def start_worker() -> bool:
    """Spawn the worker process and have it import GX, unless it is running already; False if no
    process can be started here (the gate then validates every target itself)."""
    try:
        _running_worker()
    except OSError:
        return False
    return True


def stop_worker() -> None:
    """Let the worker process go: it exits in the background (a broken one is gone already), and
    the next ``submit`` spawns a new one. The gate stops it once it has its results: left running
    to the end of the process, its exit added 1.7 s to the end of every run."""
    global _worker
    with _worker_lock:
        if _worker is not None:
            _worker.shutdown(wait=False, cancel_futures=True)
        _worker = None


def submit(database: str, memory_limit: str, check: TargetCheck, *, now: datetime, config: GateConfig,
           docs_dir: Path, run_name: str) -> Future[tuple[int, GateResult]]:
    """Validate ``check`` in the worker process, reading ``database`` on a connection of its own."""
    return _running_worker().submit(
        _check_in_worker, database, memory_limit, check, now, config, Path(docs_dir) / _WORKER_DOCS, run_name,
    )


def collect(future: Future[tuple[int, GateResult]], docs_dir: Path) -> tuple[int, GateResult]:
    """The worker's result, with its validation merged into ``docs_dir``'s stores (raises what the
    validation raised, or ``BrokenProcessPool`` if the worker died)."""
    rows, result = future.result()
    worker_docs = Path(docs_dir) / _WORKER_DOCS
    merge_stores(worker_docs, Path(docs_dir))
    shutil.rmtree(worker_docs, ignore_errors=True)
    return rows, replace(result, docs_index=Path(docs_dir).resolve() / "index.html") if result.docs_index else result
