"""Resident memory and CPU time of a whole process tree, sampled from /proc (Linux only, no dependency).

Every ``interval`` seconds a thread lists the root process and all its descendants (by
parent pid, from ``/proc/<pid>/stat``) and adds up their ``VmRSS`` (``/proc/<pid>/status``)
and the CPU time they have used (user + system, every thread, from ``/proc/<pid>/stat``). A
process's CPU time is kept as last seen when it exits, so the tree's total only grows; the
CPU a process uses in its last interval is missed.
For the pipeline the tree is the Dagster process plus dbt's subprocess. A sum of RSS counts
pages shared between processes (shared libraries) once per process, so it slightly
overstates; a spike shorter than the interval can be missed (``ru_maxrss`` from ``wait4``
is kept beside it as a cross-check for the largest single process).
"""

from __future__ import annotations

import os
import resource
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name, from the state (field 3 of
    proc(5)) on; empty once the process has gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return []
    # "pid (comm) state ppid ...": comm may contain spaces and parentheses.
    return stat[stat.rfind(")") + 2:].split()


def _parent_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if len(fields) > 1 else None


def process_tree(root: int) -> list[int]:
    """``root`` and every process descended from it."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir(PROC):
        if entry.name.isdigit():
            parent = _parent_of(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def rss_bytes(pid: int) -> int:
    """A process's resident set size (0 once it has gone)."""
    try:
        with open(PROC / str(pid) / "status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system, all threads) a process has used so far; None once it has gone."""
    fields = _stat_fields(pid)  # utime and stime are fields 14 and 15 of proc(5)
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS if len(fields) > 12 else None


class TreeSampler:
    """Samples ``root``'s process tree on a thread: ``samples`` is ``[(epoch seconds, RSS bytes)]``,
    ``cpu_samples`` ``[(epoch seconds, CPU seconds the tree has used so far)]``."""

    def __init__(self, root: int, interval: float = 0.15) -> None:
        self.root = root
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self.cpu_samples: list[tuple[float, float]] = []
        self.max_processes = 0
        self._cpu_by_pid: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            when = time.time()
            pids = process_tree(self.root)
            rss = sum(rss_bytes(pid) for pid in pids)
            for pid in pids:
                used = cpu_seconds(pid)
                if used is not None:
                    self._cpu_by_pid[pid] = used
            if pids and rss:
                self.samples.append((when, rss))
                self.cpu_samples.append((when, sum(self._cpu_by_pid.values())))
                self.max_processes = max(self.max_processes, len(pids))
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def machine_busy_seconds() -> float:
    """CPU time the whole machine has spent busy since boot, summed over its CPUs (the first line
    of ``/proc/stat``: user, nice, system, irq, softirq and steal; guest time is inside user)."""
    fields = (PROC / "stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _CLOCK_TICKS


@dataclass(frozen=True)
class MachineLoad:
    """What the rest of the machine did while a run was measured: the CPU time spent outside the
    benchmark and the processes it reaped (the pipeline and everything it started), against the
    CPU time the machine had. A test suite or a second benchmark beside a run takes CPU from it,
    and its figures are then not comparable with a quiet run's."""

    wall_seconds: float
    cpus: int
    other_cpu_seconds: float

    @property
    def share(self) -> float:
        """The share of the machine's CPU time that went to other processes."""
        capacity = self.wall_seconds * self.cpus
        return self.other_cpu_seconds / capacity if capacity > 0 else 0.0


class MachineLoadMeter:
    """Measures :class:`MachineLoad` over a ``with`` block in which the benchmark starts and reaps
    the process it measures: the machine's busy time (``/proc/stat``) minus this process's own
    CPU time and that of the children it reaped (``getrusage``), which covers their descendants
    as long as each was reaped by its parent (dbt by the pipeline, the gate's worker by its pool)."""

    def __init__(self) -> None:
        self.load: MachineLoad | None = None
        self._start = (0.0, 0.0, 0.0)

    @staticmethod
    def _readings() -> tuple[float, float, float]:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return (machine_busy_seconds(), own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime,
                time.monotonic())

    def __enter__(self) -> MachineLoadMeter:
        self._start = self._readings()
        return self

    def __exit__(self, *exc: object) -> None:
        (busy_before, ours_before, started), (busy_after, ours_after, ended) = self._start, self._readings()
        other = (busy_after - busy_before) - (ours_after - ours_before)
        # /proc/stat and getrusage count in different units (ticks, microseconds): never below zero
        self.load = MachineLoad(ended - started, os.cpu_count() or 1, max(0.0, other))


def available() -> bool:
    return (PROC / "self" / "status").is_file()
