"""Running independent parts of a run in forked worker processes.

Web days are rendered from a plan that took seconds to build; forking lets workers share
it without pickling it. Where ``fork`` is unavailable (Windows, macOS defaults) or unsafe
(the caller already runs threads, as a Dagster or web server might), everything runs in
process instead. The output is the same either way: every part draws only from its own
random streams.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Generic, TypeVar

T = TypeVar("T")
MAX_AUTO_WORKERS = 4


def can_fork() -> bool:
    """``fork`` exists here and no other thread could be holding a lock when we fork."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def default_workers() -> int:
    """Worker processes to use when the caller does not say: the usable CPUs (up to 4),
    or 1 when forking is not possible."""
    if not can_fork():
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_AUTO_WORKERS, cpus))


def _run_child(job: Callable[[], object], conn: Connection) -> None:
    try:
        conn.send((True, job()))
    except BaseException:  # report everything, the parent re-raises
        conn.send((False, traceback.format_exc()))
    finally:
        conn.close()


class Forked(Generic[T]):
    """A job running in a forked child; ``result()`` waits for it."""

    def __init__(self, job: Callable[[], T]) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process: BaseProcess = context.Process(target=_run_child, args=(job, send), daemon=True)
        self._process.start()
        send.close()

    def result(self) -> T:
        try:
            ok, value = self._receive.recv()
        except EOFError:
            ok, value = False, "worker exited without a result"
        self._process.join()
        if not ok:
            raise RuntimeError(f"generator worker failed:\n{value}")
        return value  # type: ignore[no-any-return]
