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
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

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
    GateTarget(AssetKey(["marts", "customer_metrics"]), "customer_metrics", "select * from marts.customer_metrics", min_rows=1),
    GateTarget(
        AssetKey(["marts", "identity_graph_health"]), "identity_graph_health",
        "select * from marts.identity_graph_health", volume_checked=False,
    ),
    *(_segment_target(segment) for segment in SEGMENTS),
]


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
    from dagster_project.quality import (
        KEY_COLUMNS, build_data_docs, consent_expectations, expectation_columns, load_gate_config,
        load_suite, not_in_future_expectations, validate, volume_expectation,
    )

    config = load_gate_config()
    now = datetime.now(timezone.utc)
    docs_dir = warehouse.data_docs_path / f"{now:%Y%m%dT%H%M%SZ}-{context.op_execution_context.run_id[:8]}"
    results, counts = [], {}
    with warehouse.read() as conn:
        previous = _previous_counts(conn)
        for target in GATE_TARGETS:
            relation = conn.sql(target.query)
            suite = load_suite(target.suite)
            # the timestamp columns are known from the query's types, before any row is read
            extra = not_in_future_expectations(relation.limit(0).df(), now)
            if target.volume_checked:
                extra.append(volume_expectation(
                    previous.get(target.name), config.volume_tolerance,
                    min_rows=target.min_rows, slack_rows=config.volume_slack_rows,
                ))
            if target.consent_channel:
                extra += consent_expectations(target.consent_channel)
            # only the columns some expectation reads (and the key, for failure samples)
            read = [c for c in dict.fromkeys([*KEY_COLUMNS, *expectation_columns([*suite.expectations, *extra])])
                    if c in relation.columns]
            df = relation.select(*(duckdb.ColumnExpression(c) for c in read)).df() if read else relation.df()
            result = validate(
                df, suite, parameters=config.suite_parameters, extra_expectations=extra,
                docs_dir=docs_dir, name=f"{target.suite}.{target.asset_key.path[-1]}" if target.suite == "segment" else None,
                run_name=context.op_execution_context.run_id, build_docs=False,
            )
            counts[target.name] = len(df)
            results.append((target, result))
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
