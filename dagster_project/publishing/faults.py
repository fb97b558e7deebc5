"""Named points where a test can kill the run, to prove recovery works from each of them.

``CDP_FAULT_AT=<point>`` makes the process kill itself with SIGKILL (no clean-up, no ``finally``,
as a power cut or the OOM killer would) when it reaches that point. Unset, this is a no-op; the
points are listed in docs/operations.md with what a run killed there leaves behind.
"""

from __future__ import annotations

import os
import signal

POINTS = ("after_extract", "after_dbt", "after_gate", "after_exports", "before_switch", "after_switch")


def kill_if_requested(point: str) -> None:
    if point not in POINTS:
        raise ValueError(f"unknown fault point {point!r}")
    if os.environ.get("CDP_FAULT_AT") == point:
        os.kill(os.getpid(), signal.SIGKILL)
