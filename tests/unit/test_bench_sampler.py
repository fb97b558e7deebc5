"""The benchmark's sampler (benchmarks/memory.py) on real processes: a child that burns CPU."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from benchmarks import memory

pytestmark = pytest.mark.skipif(not memory.available(), reason="reads /proc (Linux)")

BURN = "import time\nend = time.process_time() + 1.0\nwhile time.process_time() < end: pass\n"


def test_cpu_seconds_of_a_process_and_of_one_that_has_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", BURN])
    child.wait()
    assert memory.cpu_seconds(child.pid) is None  # reaped: gone from /proc
    start = memory.cpu_seconds(os.getpid())
    end = time.process_time() + 0.3
    while time.process_time() < end:
        pass
    assert memory.cpu_seconds(os.getpid()) - start == pytest.approx(0.3, abs=0.1)


def test_the_sampler_counts_the_cpu_of_a_child_that_exits() -> None:
    """A tree of this test's shell and a Python child burning one CPU second: the tree's CPU
    time grows by about that second and never falls when the child exits."""
    parent = subprocess.Popen(["/bin/sh", "-c", f"{sys.executable} -c '{BURN}'; sleep 0.5"])
    with memory.TreeSampler(parent.pid, interval=0.05) as sampler:
        parent.wait()
    used = [cpu for _, cpu in sampler.cpu_samples]
    assert used == sorted(used)
    assert used[-1] - used[0] == pytest.approx(1.0, abs=0.35)
    assert sampler.max_processes >= 2


def test_machine_load_counts_a_process_the_benchmark_did_not_start_and_reap() -> None:
    """A CPU burner orphaned by its shell (so not this process's child when it exits) is the
    "other process" a benchmark must report: its second of CPU time shows as other load, the
    shell's own CPU does not."""
    with memory.MachineLoadMeter() as meter:
        shell = subprocess.Popen(["/bin/sh", "-c", f"{sys.executable} -c '{BURN}' &"])
        shell.wait()
        time.sleep(2.0)  # the orphan's second of CPU, and its start-up, inside the window
    load = meter.load
    assert load is not None
    assert load.other_cpu_seconds >= 0.8
    assert load.wall_seconds >= 2.0
    assert 0 < load.share <= 1


def test_machine_load_share_and_flag() -> None:
    from benchmarks.report import NOISY_SHARE, format_machine_load, machine_load_to_dict

    quiet = memory.MachineLoad(wall_seconds=100.0, cpus=2, other_cpu_seconds=4.0)
    busy = memory.MachineLoad(wall_seconds=100.0, cpus=2, other_cpu_seconds=60.0)
    assert quiet.share == pytest.approx(0.02) and quiet.share < NOISY_SHARE < busy.share
    assert machine_load_to_dict(busy) == {"cpu_seconds": 60.0, "share_of_machine": 0.3, "noisy": True}
    assert "quiet" in format_machine_load([("full run 1", quiet)])
    warning = format_machine_load([("full run 1", quiet), ("incremental run 1", busy)])
    assert warning.startswith("WARNING") and "incremental run 1: 60 CPU s, 30.0%" in warning
    assert "full run 1" not in warning
