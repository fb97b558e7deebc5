"""The benchmark's pure parts (benchmarks/stages.py, benchmarks/report.py) on hand-made inputs."""

from __future__ import annotations

import pytest

from benchmarks.report import figures_to_dict, format_table
from benchmarks.stages import (
    EXPORTS, EXTRACT, IDENTITY, MARTS, OVERHEAD, QUALITY_GATE, SEGMENTS, STAGES, STAGING, TOTAL, Interval,
    RunFigures, StageFigures, build_timeline, cpu_per_stage, dbt_node_intervals, median_figures, overhead_breakdown,
    peak_per_stage, run_figures, stage_for_dbt_node, stage_seconds, stage_for_fqn, stage_for_step, stage_rows,
)


@pytest.mark.parametrize(
    ("fqn", "stage"),
    [
        (["cdp", "staging", "crm", "stg_crm__contacts"], STAGING),
        (["cdp", "intermediate", "deduplicated", "int_web__events_deduplicated"], STAGING),
        (["cdp", "intermediate", "identity", "int_identity__record_nodes"], IDENTITY),
        (["cdp", "registry", "customer_id_assignments"], IDENTITY),
        (["cdp", "marts", "identity", "customers"], MARTS),
        (["cdp", "marts", "metrics", "customer_metrics"], MARTS),
        (["cdp", "segments", "cart_abandoners"], SEGMENTS),
        (["cdp", "analyst_sandbox", "something"], MARTS),
    ],
)
def test_models_are_attributed_by_folder(fqn, stage):
    assert stage_for_fqn(fqn) == stage


def test_seeds_count_as_staging():
    assert stage_for_fqn(["cdp", "phone_country_codes"], "seed") == STAGING


NODES = {
    "model.cdp.stg_web__events": {"resource_type": "model", "fqn": ["cdp", "staging", "web", "stg_web__events"]},
    "model.cdp.int_identity__links": {"resource_type": "model",
                                      "fqn": ["cdp", "intermediate", "identity", "int_identity__links"]},
    "model.cdp.customers": {"resource_type": "model", "fqn": ["cdp", "marts", "identity", "customers"]},
    "seed.cdp.phone_country_codes": {"resource_type": "seed", "fqn": ["cdp", "phone_country_codes"]},
    # a generic test's fqn names the YAML's folder only; its attached model decides
    "test.cdp.not_null_links.1": {"resource_type": "test", "fqn": ["cdp", "intermediate", "not_null_links"],
                                  "attached_node": "model.cdp.int_identity__links",
                                  "depends_on": {"nodes": ["model.cdp.int_identity__links"]}},
    # a relationships-style test without an attached node: the latest parent's stage
    "test.cdp.rel.2": {"resource_type": "test", "fqn": ["cdp", "rel"], "attached_node": None,
                       "depends_on": {"nodes": ["model.cdp.stg_web__events", "model.cdp.customers"]}},
    "test.cdp.singular": {"resource_type": "test", "fqn": ["cdp", "singular"],
                          "depends_on": {"nodes": ["seed.cdp.phone_country_codes"]}},
}


@pytest.mark.parametrize(
    ("unique_id", "stage"),
    [
        ("model.cdp.stg_web__events", STAGING),
        ("test.cdp.not_null_links.1", IDENTITY),
        ("test.cdp.rel.2", MARTS),
        ("test.cdp.singular", STAGING),
        ("model.cdp.not_in_manifest", MARTS),
    ],
)
def test_dbt_nodes_and_tests(unique_id, stage):
    assert stage_for_dbt_node(unique_id, NODES) == stage


def test_steps():
    assert stage_for_step("raw__web_events") == EXTRACT
    assert stage_for_step("quality_gate") == QUALITY_GATE
    assert stage_for_step("activation__segment_memberships") == EXPORTS
    assert stage_for_step("exports__google_ads__cart_abandoners") == EXPORTS
    assert stage_for_step("publish__release") == EXPORTS
    assert stage_for_step("cdp_dbt_models") is None


def _timing(start: str, end: str) -> list[dict]:
    return [{"name": "compile", "started_at": start, "completed_at": start},
            {"name": "execute", "started_at": start, "completed_at": end}]


def test_run_results_become_node_intervals():
    run_results = {"results": [
        {"unique_id": "model.cdp.customers", "timing": _timing("1970-01-01T00:00:20Z", "1970-01-01T00:00:24.5Z")},
        {"unique_id": "model.cdp.stg_web__events", "timing": _timing("1970-01-01T00:00:12Z", "1970-01-01T00:00:15Z")},
        {"unique_id": "model.cdp.skipped", "timing": []},
    ]}
    intervals = dbt_node_intervals(run_results, NODES)
    assert intervals == [Interval(12.0, 15.0, STAGING, "model.cdp.stg_web__events"),
                         Interval(20.0, 24.5, MARTS, "model.cdp.customers")]


# A run from t=0 to t=40: start-up, extract 2-5, dbt 5-30 (nodes 12-15 staging, 16-18 identity,
# 20-24 marts), quality gate 30-34, exports 34-36, then the summary until 40.
STEPS = [
    {"key": "raw__crm_contacts", "start": 2.0, "end": 3.0},
    {"key": "raw__web_events", "start": 3.0, "end": 5.0},
    {"key": "cdp_dbt_models", "start": 5.0, "end": 30.0},
    {"key": "quality_gate", "start": 30.0, "end": 34.0},
    {"key": "exports__files__cart_abandoners", "start": 34.0, "end": 36.0},
]
DBT_NODES = [Interval(12.0, 15.0, STAGING, "a"), Interval(16.0, 18.0, IDENTITY, "b"), Interval(20.0, 24.0, MARTS, "c")]


def test_stage_seconds_add_up_to_the_total():
    timeline = build_timeline(STEPS, DBT_NODES)
    figures = run_figures(timeline, [], {}, 0.0, 40.0)
    seconds = {stage: figures.stages[stage].seconds for stage in STAGES}
    assert seconds == {EXTRACT: 3.0, STAGING: 3.0, IDENTITY: 2.0, MARTS: 4.0, SEGMENTS: 0.0,
                       QUALITY_GATE: 4.0, EXPORTS: 2.0, OVERHEAD: 22.0}
    assert sum(seconds.values()) == figures.stages[TOTAL].seconds == 40.0


def test_overhead_is_broken_down():
    breakdown = overhead_breakdown(STEPS, DBT_NODES, 0.0, 40.0)
    assert breakdown == {"before_first_step": 2.0, "dbt_startup": 7.0, "dbt_between_nodes": 3.0,
                         "dbt_after_last_node": 6.0, "between_steps": 0.0, "after_last_step": 4.0}
    assert sum(breakdown.values()) == 22.0
    unknown = overhead_breakdown([*STEPS, {"key": "new_step", "start": 36.0, "end": 37.0}], DBT_NODES, 0.0, 40.0)
    assert unknown["steps_without_a_stage"] == 1.0 and unknown["after_last_step"] == 3.0


def test_peak_per_stage_attributes_samples_by_time():
    timeline = build_timeline(STEPS, DBT_NODES)
    gb = 1024**3
    samples = [(1.0, 1 * gb), (4.0, 2 * gb), (10.0, 3 * gb), (13.0, 5 * gb), (14.0, 4 * gb),
               (17.0, 6 * gb), (22.0, 2 * gb), (31.0, 1 * gb), (35.0, 1 * gb), (39.0, 1 * gb)]
    assert peak_per_stage(samples, timeline) == {
        OVERHEAD: 3 * gb, EXTRACT: 2 * gb, STAGING: 5 * gb, IDENTITY: 6 * gb, MARTS: 2 * gb,
        QUALITY_GATE: 1 * gb, EXPORTS: 1 * gb, TOTAL: 6 * gb,
    }


def _cpu_samples(cores_at) -> list[tuple[float, float]]:
    """Samples every half second of a tree that keeps ``cores_at(t)`` cores busy at time t."""
    samples, used = [(0.0, 0.0)], 0.0
    for tick in range(1, 81):
        when = tick / 2
        used += 0.5 * cores_at(when - 0.25)
        samples.append((when, used))
    return samples


def test_cpu_per_stage_counts_what_was_used_between_samples_for_the_stage_then_running():
    timeline = build_timeline(STEPS, DBT_NODES)
    # both cores through the extract (2-5), half a core in the gate (30-34), one core otherwise
    samples = _cpu_samples(lambda t: 2.0 if 2 <= t < 5 else 0.5 if 30 <= t < 34 else 1.0)
    used = cpu_per_stage(samples, timeline)
    assert used[EXTRACT] == pytest.approx(6.0) and used[QUALITY_GATE] == pytest.approx(2.0)
    assert used[STAGING] == pytest.approx(3.0) and used[OVERHEAD] == pytest.approx(22.0)
    assert used[TOTAL] == pytest.approx(samples[-1][1])
    figures = run_figures(timeline, [], {}, 0.0, 40.0, cpu_samples=samples)
    assert figures.stages[EXTRACT].cores_busy == pytest.approx(2.0)
    assert figures.stages[QUALITY_GATE].cores_busy == pytest.approx(0.5)
    assert figures.stages[SEGMENTS].cores_busy is None  # no time, no figure
    assert figures.stages[TOTAL].cores_busy == pytest.approx(samples[-1][1] / 40.0)
    assert cpu_per_stage(samples[:1], timeline) == {}  # one sample: nothing measured


def test_overlapping_nodes_share_their_time_and_are_clipped_to_their_step():
    timeline = build_timeline([{"key": "cdp_dbt_models", "start": 0.0, "end": 10.0}],
                              [Interval(1.0, 5.0, STAGING, "a"), Interval(4.0, 12.0, MARTS, "b")])
    assert [(i.start, i.end, i.stage) for i in timeline] == [
        (1.0, 4.5, STAGING), (4.5, 10.0, MARTS)]  # 4-5 ran both: half a second each
    # two threads: identity models run beside a long marts model, then a test of the same stage
    timeline = build_timeline([{"key": "cdp_dbt_models", "start": 0.0, "end": 20.0}],
                              [Interval(0.0, 4.0, IDENTITY, "i1"), Interval(4.0, 10.0, IDENTITY, "i2"),
                               Interval(2.0, 12.0, MARTS, "m"), Interval(12.0, 14.0, MARTS, "t")])
    seconds = stage_seconds(timeline, 20.0)
    assert (seconds[IDENTITY], seconds[MARTS], seconds[OVERHEAD]) == (6.0, 8.0, 6.0)
    assert [(i.label, i.start, i.end) for i in timeline][:3] == [("i1", 0.0, 3.0), ("m", 3.0, 4.0), ("i2", 4.0, 7.0)]


def test_rows_per_stage_from_a_run_report():
    report = {
        "materializations": [
            {"asset": "raw/crm_contacts", "row_count": 120, "rows_loaded": 100},
            {"asset": "raw/web_events", "row_count": 1000, "rows_loaded": 1000},
            {"asset": "staging/stg_crm__contacts", "row_count": 100},
            {"asset": "staging/stg_web__events", "row_count": 990},
            {"asset": "intermediate/int_identity__record_nodes", "row_count": 1500},
            {"asset": "intermediate/int_identity__links", "row_count": 999},
            {"asset": "marts/customers", "row_count": 50},
            {"asset": "marts/customer_records", "row_count": 1090},
            {"asset": "segments/cart_abandoners", "row_count": 7},
            {"asset": "activation/segment_memberships", "row_count": 7},
            {"asset": "exports/files/cart_abandoners", "row_count": 7},
        ],
        "asset_checks": [
            {"check": "great_expectations", "rows": 50},
            {"check": "not_null_x", "rows": None},
        ],
    }
    assert stage_rows(report) == {EXTRACT: 1100, STAGING: 1090, IDENTITY: 1500, MARTS: 1140, SEGMENTS: 7,
                                  QUALITY_GATE: 50, EXPORTS: 14, TOTAL: 1100}


def _figures(extract_seconds: float, peak: int) -> RunFigures:
    stages = {stage: StageFigures(1.0, None, None) for stage in STAGES}
    stages[EXTRACT] = StageFigures(extract_seconds, peak, 1000)
    stages[TOTAL] = StageFigures(extract_seconds + 7.0, peak, 1000)
    return RunFigures(stages, {"before_first_step": extract_seconds})


def test_median_of_repeats():
    median = median_figures([_figures(2.0, 10), _figures(4.0, 30), _figures(9.0, 20)])
    assert median.stages[EXTRACT].seconds == 4.0
    assert median.stages[EXTRACT].peak_rss_bytes == 20
    assert median.stages[EXTRACT].rows == 1000
    assert median.stages[TOTAL].seconds == 11.0
    assert median.overhead == {"before_first_step": 4.0}


def test_table_formatting():
    timeline = build_timeline(STEPS, DBT_NODES)
    gb = 1024**3
    figures = run_figures(timeline, [(4.0, 2 * gb), (13.0, gb // 2)], {EXTRACT: 3000, STAGING: 1500, TOTAL: 3000},
                          0.0, 40.0, cpu_samples=_cpu_samples(lambda t: 1.5 if 2 <= t < 5 else 1.0))
    lines = format_table(figures).splitlines()
    assert lines[0].split() == ["stage", "wall", "s", "share", "cores", "busy", "peak", "RSS", "GB", "rows", "rows",
                                "measured", "rows/s"]
    assert [line.split()[0] for line in lines if not line.startswith("-")][1:] == [
        "extract", "staging", "identity", "marts", "segments", "quality", "exports", "overhead", "total"]
    assert lines[2].split() == ["extract", "3.0", "7.5%", "1.50", "2.00", "3,000", "raw", "rows", "landed", "1,000"]
    assert lines[3].split() == ["staging", "3.0", "7.5%", "1.00", "0.50", "1,500", "rows", "staged", "(stg_*)", "500"]
    assert lines[6].split() == ["segments", "0.0", "0.0%", "-", "-"]  # no rows given: blank
    assert lines[9].split() == ["overhead", "22.0", "55.0%", "1.00", "-"]
    assert lines[-1].split() == ["total", "40.0", "100.0%", "1.04", "2.00", "3,000", "source", "rows", "landed", "75"]
    assert len({len(line) for line in lines if line.startswith("-")}) == 1  # rules as wide as the table

    document = figures_to_dict(figures)
    assert document["stages"][EXTRACT] == {"wall_seconds": 3.0, "share": 0.075, "cpu_seconds": 4.5, "cores_busy": 1.5,
                                           "peak_rss_bytes": 2 * gb, "peak_rss_gb": 2.0, "rows": 3000,
                                           "rows_measured": "raw rows landed", "rows_per_second": 1000.0}
    assert document["stages"][OVERHEAD]["rows"] is None
    assert list(document["stages"]) == [*STAGES, TOTAL]


def test_long_data_sets_start_early_enough_to_stay_in_the_past() -> None:
    from datetime import date, timedelta

    from benchmarks.bench import start_date_for

    today = date(2026, 11, 25)
    assert start_date_for(30, today) == date(2026, 1, 1)
    start = start_date_for(365, today)
    assert start == date(2025, 1, 1)
    assert start + timedelta(days=366) <= today  # the data set and the day an incremental run adds
