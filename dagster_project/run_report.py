"""A machine-readable record of one pipeline run: each step's start and end, and row counts.

``python -m dagster_project.run --report-json PATH`` writes it after the run; the benchmark
(``benchmarks/bench.py``) reads it to split the run into stages. Times are UNIX epoch
seconds (UTC), taken from Dagster's event log. The dbt step's per-model timing is not
copied here: it is in ``run_results.json`` in the dbt target folder named under
``dbt_target_dirs``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: dagster-dbt names each invocation's target folder ``<op name>-<run id[:7]>-<uuid[:7]>``.
DBT_OP_NAME = "cdp_dbt_models"


def _value(metadata: dict[str, Any], name: str) -> Any:
    entry = metadata.get(name)
    value = getattr(entry, "value", entry)
    return value if isinstance(value, (int, float, str, bool)) or value is None else str(value)


def build_run_report(result: Any, instance: Any) -> dict[str, Any]:
    """Steps (key, status, start, end) and per-asset row counts of the run behind ``result``."""
    from dagster import DagsterEventType

    from dagster_project.settings import DBT_PROJECT_DIR

    steps: dict[str, dict[str, Any]] = {}
    materializations: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    for record in instance.all_logs(result.run_id):
        event = record.dagster_event
        if event is None:
            continue
        kind = event.event_type
        if kind == DagsterEventType.STEP_START:
            steps.setdefault(event.step_key, {"key": event.step_key})["start"] = record.timestamp
        elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            step = steps.setdefault(event.step_key, {"key": event.step_key})
            step["end"] = record.timestamp
            step["status"] = "success" if kind == DagsterEventType.STEP_SUCCESS else "failure"
        elif kind == DagsterEventType.STEP_SKIPPED:
            steps.setdefault(event.step_key, {"key": event.step_key})["status"] = "skipped"
        elif kind == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            metadata = dict(materialization.metadata)
            materializations.append({
                "asset": "/".join(materialization.asset_key.path),
                "step_key": event.step_key,
                "timestamp": record.timestamp,
                "row_count": _value(metadata, "dagster/row_count"),
                "rows_loaded": _value(metadata, "rows_loaded"),
                "unique_id": _value(metadata, "unique_id"),
            })
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            metadata = dict(evaluation.metadata)
            checks.append({
                "asset": "/".join(evaluation.asset_key.path),
                "check": evaluation.check_name,
                "step_key": event.step_key,
                "passed": evaluation.passed,
                "rows": _value(metadata, "rows"),
            })
    target_root = DBT_PROJECT_DIR / "target"
    dbt_dirs = sorted(str(path) for path in target_root.glob(f"{DBT_OP_NAME}-{result.run_id[:7]}-*") if path.is_dir())
    return {
        "run_id": result.run_id,
        "success": result.success,
        "steps": sorted(steps.values(), key=lambda step: step.get("start") or float("inf")),
        "materializations": materializations,
        "asset_checks": checks,
        "dbt_target_dirs": dbt_dirs,
    }


def write_run_report(path: Path | None, result: Any, instance: Any) -> None:
    """Write the run report to ``path`` (nothing when ``path`` is ``None``)."""
    if path is None:
        return
    report = build_run_report(result, instance)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
