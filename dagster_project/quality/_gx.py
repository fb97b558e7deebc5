"""Importing Great Expectations the quiet way.

Great Expectations takes several seconds to import, so nothing in this package imports it at
module level: importing ``dagster_project.quality`` (e.g. from the Dagster definitions) stays
cheap, and the cost is paid once per process, at the first suite load or validation. Usage
statistics are switched off before the first import (``GX_ANALYTICS_ENABLED=false``); progress
bars are switched off in every context the gate creates, and so is the hashing of every
in-memory batch (see below).
"""

from __future__ import annotations

import logging
import os
import threading
from types import ModuleType


def gx() -> ModuleType:
    """The ``great_expectations`` module, imported with analytics disabled."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations

    # GX logs an INFO/WARNING line per store and per docs page; the gate reports for itself.
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    # GX 1.24 fingerprints every in-memory batch under 1 GB by hashing all of its values, for a
    # batch marker (pandas_data_fingerprint) that nothing validates: 10 of the gate's 40 s at
    # 2.4 million customers. A threshold of 0 skips the fingerprint; the results are the same.
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0
    return great_expectations


def import_in_background() -> None:
    """Start importing Great Expectations in a daemon thread, to be ready when the gate runs.

    The dbt step calls this as dbt builds its last models (``assets/transform.py``): its process
    only waits for dbt's, and the 5 to 6 s of the import overlap the end of the build instead of
    delaying the gate that follows it in the same process (``make run``, the benchmark). A step in
    a process of its own only loses a thread's idle import.
    """
    threading.Thread(target=gx, name="import-great-expectations", daemon=True).start()
