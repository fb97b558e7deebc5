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
