"""The quality gate: Great Expectations suites as blocking Dagster asset checks.

One check, ``great_expectations``, on the customer table, the customer metrics, the identity
graph's health and every segment. All are blocking: if any fails, no membership is recorded
and no export is written, so an over-merge or a consent slip never reaches a destination. The
tables are read from DuckDB into pandas (GX cannot validate DuckDB through SQLAlchemy), the
suites come from ``data_quality/suites/`` and the limits from ``data_quality/gate.yml``; the
run-dependent expectations (volume against the last passing run, no future timestamps, consent
per segment) are added here. Each run's Data Docs site is written beside the warehouse.

The row counts of a passing gate are kept in the identity registry file
(``quality_baselines``) as the baseline of the next run's volume checks.
"""


import shutil
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from dagster_project.publishing.faults import kill_if_requested
from dagster_project.activation.segments import Segment
from dagster_project.assets.activation import SEGMENTS
from dagster_project.resources import WarehouseResource
from dagster_project.warehouse import table_exists

if TYPE_CHECKING:  # the quality package is imported when the gate runs (it brings pandas)
    from dagster_project.quality.gate import GateResult
    from dagster_project.quality.targets import TargetCheck

CHECK_NAME = "great_expectations"
BASELINES = "registry.main.quality_baselines"
#: Data Docs sites kept (one per run) beside the warehouse.
DATA_DOCS_KEPT = 10


@dataclass(frozen=True)
class GateTarget:
    """A table the gate validates: its asset, the suite, and how to read it."""

    asset_key: AssetKey
    suite: str
    query: str
    volume_checked: bool = True
    min_rows: int = 0
    consent_channel: str | None = None
    #: Validated in the gate's worker process, beside the others (dagster_project/quality/targets.py).
    in_worker: bool = False

    @property
    def name(self) -> str:
        return "/".join(self.asset_key.path)


def _segment_target(segment: Segment) -> GateTarget:
    """A segment's members with their consent for its channel, as recorded in customer_metrics.

    Consent comes from the metrics table, not from the segment's own columns: the gate must not
    trust the definition it is checking.
    """
    consent = (
        f", metrics.{segment.consent_column} as {segment.consent_column}" if segment.consent_column else ""
    )
    return GateTarget(
        asset_key=segment.asset_key,
        suite="segment",
        query=f"""select members.*{consent}
                  from {segment.relation} as members
                  left join marts.customer_metrics as metrics using (customer_id)""",
        consent_channel=None if segment.consent_channel == "none" else segment.consent_channel,
    )


GATE_TARGETS = [
    GateTarget(AssetKey(["marts", "customers"]), "customers", "select * from marts.customers", min_rows=1),
    # The largest validation (one row per customer, fifteen columns checked) runs in the worker
    # while this process validates the customers and the rest: about the same time each.
    GateTarget(
        AssetKey(["marts", "customer_metrics"]), "customer_metrics", "select * from marts.customer_metrics",
        min_rows=1, in_worker=True,
    ),
    GateTarget(
        AssetKey(["marts", "identity_graph_health"]), "identity_graph_health",
        "select * from marts.identity_graph_health", volume_checked=False,
    ),
    *(_segment_target(segment) for segment in SEGMENTS),
]


def _target_check(target: GateTarget, previous_rows: int | None) -> "TargetCheck":
    from dagster_project.quality.targets import TargetCheck

    return TargetCheck(
        name=target.name, suite=target.suite, query=target.query,
        validation_name=f"{target.suite}.{target.asset_key.path[-1]}" if target.suite == "segment" else None,
        volume_checked=target.volume_checked, min_rows=target.min_rows, previous_rows=previous_rows,
        consent_channel=target.consent_channel,
    )


def _previous_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    if not table_exists(conn, "registry", "quality_baselines"):
        return {}
    rows = conn.execute(
        f"select target, row_count from {BASELINES} qualify row_number() over (partition by target order by recorded_at desc) = 1"
    ).fetchall()
    return dict(rows)


def _record_baselines(registry_path: str, counts: dict[str, int], run_id: str) -> None:
    with duckdb.connect(registry_path) as conn:
        conn.execute(
            """create table if not exists quality_baselines (
                target varchar not null, row_count bigint not null, run_id varchar not null,
                recorded_at timestamptz not null)"""
        )
        recorded_at = datetime.now(timezone.utc)
        conn.executemany(
            "insert into quality_baselines values (?, ?, ?, ?)",
            [(target, count, run_id, recorded_at) for target, count in counts.items()],
        )


def _prune_docs(root: Path, keep: int) -> None:
    sites = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in sites[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            CHECK_NAME, asset=target.asset_key, blocking=True,
            description=f"Great Expectations suite `{target.suite}` (data_quality/suites/{target.suite}.json) plus volume, freshness and consent checks.",
        )
        for target in GATE_TARGETS
    ],
)
def quality_gate(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[AssetCheckResult]:
    """Validate every gate target; record the row counts as the next baseline only if all pass."""
    from dagster_project.quality import build_data_docs, load_gate_config, targets

    config = load_gate_config()
    now = datetime.now(timezone.utc)
    docs_dir = warehouse.data_docs_path / f"{now:%Y%m%dT%H%M%SZ}-{context.op_execution_context.run_id[:8]}"
    run_name = context.op_execution_context.run_id
    outcomes: dict[str, tuple[int, "GateResult"]] = {}
    with warehouse.read() as conn:
        previous = _previous_counts(conn)
        checks = {target.name: _target_check(target, previous.get(target.name)) for target in GATE_TARGETS}

        def check_here(name: str) -> tuple[int, "GateResult"]:
            return targets.check_target(conn, checks[name], now=now, config=config, docs_dir=docs_dir, run_name=run_name)

        try:
            try:
                in_worker = {
                    target.name: targets.submit(warehouse.work_path, warehouse.memory_limit, checks[target.name],
                                                now=now, config=config, docs_dir=docs_dir, run_name=run_name)
                    for target in GATE_TARGETS if target.in_worker
                }
            except OSError as error:
                context.log.warning(f"the gate's worker process could not start ({error}); validating every target here")
                in_worker = {}
            for target in GATE_TARGETS:
                if target.name not in in_worker:
                    outcomes[target.name] = check_here(target.name)
            for name, future in in_worker.items():
                try:
                    outcomes[name] = targets.collect(future, docs_dir)
                except BrokenProcessPool:
                    context.log.warning(f"the gate's worker process died; validating {name} here instead")
                    targets.stop_worker()
                    outcomes[name] = check_here(name)
        finally:
            targets.stop_worker()  # not needed until the next run's gate
    results = [(target, outcomes[target.name][1]) for target in GATE_TARGETS]
    counts = {name: rows for name, (rows, _) in outcomes.items()}
    build_data_docs(docs_dir)  # once for every suite: see dagster_project/quality/gate.py
    _prune_docs(warehouse.data_docs_path, DATA_DOCS_KEPT)
    if all(result.success for _, result in results):
        _record_baselines(warehouse.registry_path, counts, context.op_execution_context.run_id)
    kill_if_requested("after_gate")
    for target, result in results:
        if not result.success:
            context.log.error(f"quality gate failed on {target.name}:\n{result.to_markdown()}")
        yield AssetCheckResult(
            asset_key=target.asset_key,
            check_name=CHECK_NAME,
            passed=result.success,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "rows": counts[target.name],
                "expectations_evaluated": result.evaluated,
                "expectations_failed": len(result.failures),
                "failures": MetadataValue.md(result.to_markdown()),
                "data_docs": MetadataValue.path(str(result.docs_index)) if result.docs_index else None,
                "previous_rows": previous.get(target.name),
            },
        )
