"""Run the whole pipeline once, in this process, and print what it did.

``make run`` calls this. It executes the same Dagster job the nightly schedule launches, on
the landing directory and warehouse configured by environment variables (or the flags
below), records the run in ``$DAGSTER_HOME`` when set so it shows in the UI, and exits
non-zero with the failing steps' messages when anything fails.
"""

from __future__ import annotations

import argparse
import contextlib
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
    parser.add_argument(
        "--verbose", action="store_true",
        help="show Dagster's debug log and dbt's output here instead of in <warehouse dir>/logs/last_run.log",
    )
    parser.add_argument(
        "--identity-registry", type=Path,
        help="identity registry file (default: $CDP_IDENTITY_REGISTRY, else identity_registry.duckdb beside the warehouse)",
    )
    parser.add_argument(
        "--exports-dir", type=Path,
        help="where segment exports are published (default: $CDP_EXPORTS_DIR, else exports/ beside the warehouse)",
    )
    parser.add_argument(
        "--job", choices=["cdp_pipeline", "cdp_activation"], default="cdp_pipeline",
        help="cdp_pipeline: everything (default); cdp_activation: only the quality gate, memberships and exports",
    )
    parser.add_argument(
        "--full-refresh", action="store_true",
        help="rebuild the incremental dbt models (staging, deduplication) from every landed row, "
             "e.g. after changing a staging rule or var; the identity registry is kept",
    )
    parser.add_argument(
        "--report-json", type=Path,
        help="also write each step's start and end and the row counts as JSON here (for benchmarks/bench.py)",
    )
    return parser.parse_args(argv)


def _companion_path(given: Path | None, warehouse_given: Path | None, env_var: str, beside: Path, configured: Path) -> Path:
    """A path that belongs with the warehouse (registry, exports): the flag, else beside a warehouse
    given by flag (unless its env var is set), else the configured default."""
    if given:
        return given.absolute()
    if warehouse_given and not os.environ.get(env_var):
        return beside
    return configured


def _activation_outcomes(result) -> tuple[list, list]:
    """The gate's verdicts and the exports' figures, from the run's events."""
    from dagster_project.summary import ExportOutcome, GateOutcome

    gate = [
        GateOutcome(
            "/".join(evaluation.asset_key.path), evaluation.passed,
            evaluation.metadata["rows"].value if "rows" in evaluation.metadata else None,
            evaluation.metadata["failures"].value if "failures" in evaluation.metadata else "",
        )
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.check_name == "great_expectations"
    ]
    materializations = [event.event_specific_data.materialization for event in result.get_asset_materialization_events()]
    exports = [
        ExportOutcome(
            "/".join(m.asset_key.path[1:]), m.metadata["dagster/row_count"].value,
            m.metadata["members_added"].value, m.metadata["members_removed"].value,
        )
        for m in materializations
        if m.asset_key.path[0] == "exports"
    ]
    return gate, exports


def _instance():
    """Dagster's run history: kept under $DAGSTER_HOME (created if missing) when set, else a throwaway one."""
    from dagster import DagsterInstance

    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return DagsterInstance.ephemeral()
    Path(home).mkdir(parents=True, exist_ok=True)
    return DagsterInstance.get()


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    from dagster import DagsterEventType

    from dagster_project.definitions import defs
    from dagster_project.run_report import write_run_report
    from dagster_project.publishing.layout import work_database_of
    from dagster_project.settings import Settings, exports_beside, registry_beside
    from dagster_project.summary import build_summary, format_activation, format_summary

    settings = Settings.from_env()
    landing_dir = args.landing_dir.resolve() if args.landing_dir else settings.landing_dir
    warehouse_path = args.warehouse.absolute() if args.warehouse else settings.warehouse_path
    registry_path = _companion_path(args.identity_registry, args.warehouse, "CDP_IDENTITY_REGISTRY",
                                    registry_beside(warehouse_path), settings.identity_registry_path)
    exports_dir = _companion_path(args.exports_dir, args.warehouse, "CDP_EXPORTS_DIR",
                                  exports_beside(warehouse_path), settings.exports_dir)
    print(f"Landing directory: {landing_dir}\nWarehouse:         {warehouse_path}\nIdentity registry: {registry_path}\nExports:           {exports_dir}\n")
    # Paths go in as run config, so they hold whatever the definitions were built with.
    run_config = {
        "resources": {
            "warehouse": {
                "config": {
                    "warehouse_path": str(warehouse_path),
                    "landing_dir": str(landing_dir),
                    "identity_registry_path": str(registry_path),
                    "memory_limit": settings.duckdb_memory_limit,
                    "exports_dir": str(exports_dir),
                }
            }
        }
    }
    if args.full_refresh and args.job == "cdp_pipeline":
        run_config["ops"] = {"cdp_dbt_models": {"config": {"full_refresh": True}}}
    if not args.verbose:
        run_config["loggers"] = {"console": {"config": {"log_level": "INFO"}}}
    log_path = warehouse_path.parent / "logs" / "last_run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started_at, start = datetime.now(timezone.utc), time.monotonic()
    instance = _instance()
    # dagster-dbt echoes every dbt log line to stdout: keep it in a file unless asked for.
    with open(log_path, "w", encoding="utf-8") as log, (
        contextlib.nullcontext() if args.verbose else contextlib.redirect_stdout(log)
    ):
        result = defs.resolve_job_def(args.job).execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False
        )
    elapsed = time.monotonic() - start
    write_run_report(args.report_json, result, instance)
    if not args.verbose:
        print(f"dbt's output: {log_path}\n")

    work_database = work_database_of(warehouse_path)
    if work_database.exists():
        with duckdb.connect(str(work_database), read_only=True) as conn:
            print(format_summary(build_summary(conn, started_at), elapsed))
    print("\n" + format_activation(*_activation_outcomes(result)))
    if result.success:
        print(f"\nRun {result.run_id} succeeded.")
        return 0
    print(f"\nRun {result.run_id} FAILED:", file=sys.stderr)
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            print(f"  step {event.step_key}: {error.message.strip() if error else 'failed'}", file=sys.stderr)
    print(f"dbt's full output: {log_path}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
