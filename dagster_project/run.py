"""Run the whole pipeline once, in this process, and print what it did.

``make run`` calls this. It executes the same Dagster job the nightly schedule launches, on
the landing directory and warehouse configured by environment variables (or the flags
below), records the run in ``$DAGSTER_HOME`` when set so it shows in the UI, and exits
non-zero with the failing steps' messages when anything fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.run", description=__doc__.splitlines()[0])
    parser.add_argument("--landing-dir", type=Path, help="landing directory (default: $CDP_LANDING_DIR or the bundled sample)")
    parser.add_argument("--warehouse", type=Path, help="DuckDB file (default: $CDP_WAREHOUSE or warehouse/cdp.duckdb)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    # Definitions read their configuration from the environment when imported.
    if args.landing_dir:
        os.environ["CDP_LANDING_DIR"] = str(args.landing_dir.resolve())
    if args.warehouse:
        os.environ["CDP_WAREHOUSE"] = str(args.warehouse.resolve())

    from dagster import DagsterInstance, DagsterEventType

    from dagster_project.definitions import defs
    from dagster_project.settings import Settings
    from dagster_project.summary import build_summary, format_summary

    settings = Settings.from_env()
    print(f"Landing directory: {settings.landing_dir}\nWarehouse:         {settings.warehouse_path}\n")
    started_at, start = datetime.now(timezone.utc), time.monotonic()
    instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
    result = defs.resolve_job_def("cdp_pipeline").execute_in_process(instance=instance, raise_on_error=False)
    elapsed = time.monotonic() - start

    if settings.warehouse_path.exists():
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
            print(format_summary(build_summary(conn, started_at), elapsed))
    if result.success:
        print(f"\nRun {result.run_id} succeeded.")
        return 0
    print(f"\nRun {result.run_id} FAILED:", file=sys.stderr)
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            print(f"  step {event.step_key}: {error.message.strip() if error else 'failed'}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
