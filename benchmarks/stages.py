"""Pure logic of the benchmark: which stage each Dagster step and dbt node belongs to, the
timeline of one run, stage times, peak memory per stage from samples, rows per stage.

No I/O here (the unit tests feed it hand-made inputs); ``bench.py`` reads the files.
All times are UNIX epoch seconds.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

EXTRACT = "extract"
STAGING = "staging"
IDENTITY = "identity resolution"
MARTS = "marts"
SEGMENTS = "segments"
QUALITY_GATE = "quality gate"
EXPORTS = "exports"
OVERHEAD = "overhead"
TOTAL = "total"

#: The table's rows, in pipeline order. ``overhead`` is whatever no stage accounts for.
STAGES = (EXTRACT, STAGING, IDENTITY, MARTS, SEGMENTS, QUALITY_GATE, EXPORTS, OVERHEAD)

#: dbt model folders (fqn after the project name) → stage. Longest prefix wins.
#: intermediate/deduplicated (one cleaned table per source, duplicates dropped) counts as staging:
#: it is per-source cleaning, before any record is linked to another. intermediate/sessions (web
#: sessions before their customer is looked up) counts as marts: it builds marts.web_sessions.
DBT_FOLDER_STAGES: dict[tuple[str, ...], str] = {
    ("staging",): STAGING,
    ("intermediate", "deduplicated"): STAGING,
    ("intermediate", "sessions"): MARTS,
    ("intermediate", "identity"): IDENTITY,
    ("intermediate",): IDENTITY,
    ("registry",): IDENTITY,
    ("marts",): MARTS,
    ("segments",): SEGMENTS,
}


def stage_for_fqn(fqn: Sequence[str], resource_type: str = "model") -> str:
    """The stage of a dbt model or seed from its fqn (``[project, folder, ..., name]``).

    Seeds (reference tables the staging models join) count as staging; a model in a folder
    not listed above counts as marts (where new analyst models usually go).
    """
    if resource_type == "seed":
        return STAGING
    folders = tuple(fqn[1:-1])
    for length in range(len(folders), 0, -1):
        if folders[:length] in DBT_FOLDER_STAGES:
            return DBT_FOLDER_STAGES[folders[:length]]
    return MARTS


def stage_for_dbt_node(unique_id: str, nodes: Mapping[str, Mapping[str, Any]]) -> str:
    """The stage of any node in a dbt manifest's ``nodes``: a model or seed by its folder, a test
    by the model it is attached to (else the latest stage among the nodes it depends on)."""
    node = nodes.get(unique_id)
    if node is None:
        return STAGING if unique_id.startswith("seed.") else MARTS
    kind = node.get("resource_type", "model")
    if kind in ("model", "seed", "snapshot"):
        return stage_for_fqn(node.get("fqn", []), kind)
    attached = node.get("attached_node")
    parents = [attached] if attached else [p for p in node.get("depends_on", {}).get("nodes", []) if p in nodes]
    stages = [stage_for_dbt_node(parent, nodes) for parent in parents if parent != unique_id]
    return max(stages, key=STAGES.index) if stages else STAGING


def stage_for_step(step_key: str) -> str | None:
    """The stage of a Dagster step; ``None`` for the dbt step (split by node) and unknown steps
    (which then count as overhead: add new steps here)."""
    if step_key.startswith("raw__"):
        return EXTRACT
    if step_key == "quality_gate":
        return QUALITY_GATE
    if step_key.startswith(("activation__", "exports__", "publish__")):
        return EXPORTS  # memberships, exports and the release that publishes them
    return None


def parse_dbt_time(value: str) -> float:
    """dbt's ``2026-01-01T00:00:00.123456Z`` as epoch seconds."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


@dataclass(frozen=True)
class Interval:
    start: float
    end: float
    stage: str
    label: str = ""  # step key or dbt unique_id

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


def dbt_node_intervals(run_results: Mapping[str, Any], nodes: Mapping[str, Mapping[str, Any]]) -> list[Interval]:
    """Each executed dbt node's span (first ``started_at`` to last ``completed_at`` of its timing)."""
    intervals = []
    for result in run_results.get("results", []):
        timing = [t for t in result.get("timing", []) if t.get("started_at") and t.get("completed_at")]
        if not timing:
            continue
        start = min(parse_dbt_time(t["started_at"]) for t in timing)
        end = max(parse_dbt_time(t["completed_at"]) for t in timing)
        intervals.append(Interval(start, end, stage_for_dbt_node(result["unique_id"], nodes), result["unique_id"]))
    return sorted(intervals, key=lambda i: i.start)


def build_timeline(steps: Iterable[Mapping[str, Any]], dbt_nodes: Sequence[Interval]) -> list[Interval]:
    """Non-overlapping stage intervals of one run, sorted by start.

    Steps run one after another (in-process executor). A step with a known stage is one
    interval; the dbt step contributes its nodes (clipped to the step) and nothing else, so
    dbt's start-up and the row counting after it fall to overhead. With more than one dbt thread
    nodes of different stages overlap: each stretch of time is then shared equally between the
    stages running in it (two stages for 4 s: 2 s each, one after the other), so the stages still
    add up to the wall time and none is charged for another's.
    """
    pieces: list[Interval] = []
    for step in steps:
        if step.get("start") is None or step.get("end") is None:
            continue
        stage = stage_for_step(step["key"])
        if stage is not None:
            pieces.append(Interval(step["start"], step["end"], stage, step["key"]))
        elif step["key"] == "cdp_dbt_models":
            for node in dbt_nodes:
                start, end = max(node.start, step["start"]), min(node.end, step["end"])
                if end > start:
                    pieces.append(Interval(start, end, node.stage, node.label))
    pieces.sort(key=lambda piece: piece.start)
    bounds = sorted({t for piece in pieces for t in (piece.start, piece.end)})
    timeline: list[Interval] = []
    for start, end in zip(bounds, bounds[1:]):
        running: dict[str, str] = {}  # stage -> label of its earliest-starting piece here
        for piece in pieces:
            if piece.start <= start and piece.end >= end:
                running.setdefault(piece.stage, piece.label)
        share = (end - start) / len(running) if running else 0.0
        for index, stage in enumerate(sorted(running, key=STAGES.index)):
            timeline.append(Interval(start + index * share, start + (index + 1) * share, stage, running[stage]))
    merged: list[Interval] = []
    for interval in timeline:  # join the stretches of one piece cut at the bounds of others
        if merged and merged[-1].stage == interval.stage and merged[-1].label == interval.label \
                and abs(merged[-1].end - interval.start) < 1e-9:
            interval = Interval(merged.pop().start, interval.end, interval.stage, interval.label)
        merged.append(interval)
    return merged


def stage_seconds(timeline: Sequence[Interval], total_seconds: float) -> dict[str, float]:
    """Seconds per stage; ``overhead`` makes the stages add up to ``total_seconds``."""
    seconds = {stage: 0.0 for stage in STAGES}
    for interval in timeline:
        seconds[interval.stage] = seconds.get(interval.stage, 0.0) + interval.seconds
    seconds[OVERHEAD] = max(0.0, total_seconds - sum(v for k, v in seconds.items() if k != OVERHEAD))
    return seconds


def stage_at(timeline: Sequence[Interval], when: float) -> str:
    """The stage running at ``when`` (``overhead`` between and outside intervals)."""
    low, high = 0, len(timeline)
    while low < high:  # last interval starting at or before `when`
        middle = (low + high) // 2
        if timeline[middle].start <= when:
            low = middle + 1
        else:
            high = middle
    if low and timeline[low - 1].end >= when:
        return timeline[low - 1].stage
    return OVERHEAD


def peak_per_stage(samples: Iterable[tuple[float, int]], timeline: Sequence[Interval]) -> dict[str, int]:
    """Highest sampled memory (bytes) per stage and ``total``; stages without a sample are absent."""
    peaks: dict[str, int] = {}
    for when, rss in samples:
        stage = stage_at(timeline, when)
        peaks[stage] = max(peaks.get(stage, 0), rss)
        peaks[TOTAL] = max(peaks.get(TOTAL, 0), rss)
    return peaks


def overhead_breakdown(steps: Sequence[Mapping[str, Any]], dbt_nodes: Sequence[Interval],
                       started: float, ended: float) -> dict[str, float]:
    """Where the overhead goes: process start-up (imports, Dagster set-up) before the first step;
    in the dbt step, dbt's start-up before its first node, the gaps between nodes, and what follows
    the last node (dbt's exit, Dagster's row counts of every model); gaps between steps; the end
    (run summary, teardown)."""
    timed = sorted((s for s in steps if s.get("start") is not None and s.get("end") is not None),
                   key=lambda s: s["start"])
    if not timed:
        return {"before_first_step": max(0.0, ended - started)}
    in_steps = sum(s["end"] - s["start"] for s in timed)
    breakdown = {"before_first_step": max(0.0, timed[0]["start"] - started),
                 "dbt_startup": 0.0, "dbt_between_nodes": 0.0, "dbt_after_last_node": 0.0}
    for step in timed:
        if step["key"] != "cdp_dbt_models":
            continue
        inside = [n for n in dbt_nodes if n.end > step["start"] and n.start < step["end"]]
        if not inside:
            breakdown["dbt_startup"] += step["end"] - step["start"]
            continue
        first, last = min(n.start for n in inside), max(n.end for n in inside)
        covered = sum(min(n.end, step["end"]) - max(n.start, step["start"]) for n in inside)
        breakdown["dbt_startup"] += max(0.0, first - step["start"])
        breakdown["dbt_after_last_node"] += max(0.0, step["end"] - last)
        breakdown["dbt_between_nodes"] += max(0.0, (min(last, step["end"]) - max(first, step["start"])) - covered)
    breakdown["between_steps"] = max(0.0, (timed[-1]["end"] - timed[0]["start"]) - in_steps)
    unknown = sum(s["end"] - s["start"] for s in timed if s["key"] != "cdp_dbt_models" and stage_for_step(s["key"]) is None)
    if unknown:
        breakdown["steps_without_a_stage"] = unknown
    breakdown["after_last_step"] = max(0.0, ended - max(s["end"] for s in timed))
    return breakdown


def cpu_per_stage(cpu_samples: Sequence[tuple[float, float]], timeline: Sequence[Interval]) -> dict[str, float]:
    """CPU seconds used per stage and ``total``, from samples of the CPU time used so far: what
    was used between two samples counts for the stage running halfway between them."""
    used: dict[str, float] = {}
    for (before, cpu_before), (after, cpu_after) in zip(cpu_samples, cpu_samples[1:]):
        stage = stage_at(timeline, (before + after) / 2)
        used[stage] = used.get(stage, 0.0) + max(0.0, cpu_after - cpu_before)
    if len(cpu_samples) > 1:
        used[TOTAL] = sum(used.values())
    return used


# -- rows --------------------------------------------------------------------------------------

#: What "rows" means per stage (shown in the table).
ROW_MEASURES = {
    EXTRACT: "raw rows landed",
    STAGING: "rows staged (stg_*)",
    IDENTITY: "record nodes",
    MARTS: "mart rows written",
    SEGMENTS: "segment members",
    QUALITY_GATE: "rows checked",
    EXPORTS: "rows exported",
    TOTAL: "source rows landed",
}


def stage_rows(report: Mapping[str, Any]) -> dict[str, int]:
    """Rows per stage, by the measures in ``ROW_MEASURES``, from a run report (run_report.py)."""
    rows = dict.fromkeys(ROW_MEASURES, 0)

    def count(m: Mapping[str, Any], name: str = "row_count") -> int:
        value = m.get(name)
        return int(value) if isinstance(value, (int, float)) else 0

    for m in report.get("materializations", []):
        layer, _, name = m["asset"].partition("/")
        if layer == "raw":
            rows[EXTRACT] += count(m, "rows_loaded") or count(m)
        elif layer == "staging":
            rows[STAGING] += count(m)
        elif m["asset"] == "intermediate/int_identity__record_nodes":
            rows[IDENTITY] += count(m)
        elif layer == "marts":
            rows[MARTS] += count(m)
        elif layer == "segments":
            rows[SEGMENTS] += count(m)
        elif layer in ("exports", "activation"):
            rows[EXPORTS] += count(m)
    for check in report.get("asset_checks", []):
        if check.get("check") == "great_expectations":
            rows[QUALITY_GATE] += count(check, "rows")
    rows[TOTAL] = rows[EXTRACT]
    return rows


# -- one run and the median of several ---------------------------------------------------------


@dataclass
class StageFigures:
    seconds: float
    peak_rss_bytes: int | None
    rows: int | None
    cpu_seconds: float | None = None

    @property
    def rows_per_second(self) -> float | None:
        if not self.rows or self.seconds <= 0:
            return None
        return self.rows / self.seconds

    @property
    def cores_busy(self) -> float | None:
        """CPU seconds per wall second: how many cores the stage kept busy on average."""
        if self.cpu_seconds is None or self.seconds <= 0:
            return None
        return self.cpu_seconds / self.seconds


@dataclass
class RunFigures:
    """One measured run: figures per stage (``STAGES`` plus ``total``)."""

    stages: dict[str, StageFigures]
    overhead: dict[str, float] = field(default_factory=dict)


def run_figures(timeline: Sequence[Interval], samples: Sequence[tuple[float, int]], rows: Mapping[str, int],
                started: float, ended: float, overhead: Mapping[str, float] | None = None,
                cpu_samples: Sequence[tuple[float, float]] = ()) -> RunFigures:
    total = ended - started
    seconds = stage_seconds(timeline, total)
    peaks = peak_per_stage(samples, timeline)
    cpu = cpu_per_stage(cpu_samples, timeline)
    stages = {stage: StageFigures(seconds[stage], peaks.get(stage), rows.get(stage), cpu.get(stage)) for stage in STAGES}
    stages[TOTAL] = StageFigures(total, peaks.get(TOTAL), rows.get(TOTAL), cpu.get(TOTAL))
    return RunFigures(stages, dict(overhead or {}))


def median_figures(runs: Sequence[RunFigures]) -> RunFigures:
    """Per stage, the median of each figure over the runs (rows are the same in every run)."""
    if len(runs) == 1:
        return runs[0]

    def median(values: list[Any]) -> Any:
        present = [v for v in values if v is not None]
        return statistics.median(present) if present else None

    stages = {}
    for stage in runs[0].stages:
        figures = [run.stages[stage] for run in runs]
        peak = median([f.peak_rss_bytes for f in figures])
        stages[stage] = StageFigures(median([f.seconds for f in figures]), None if peak is None else int(peak),
                                     figures[0].rows, median([f.cpu_seconds for f in figures]))
    overhead = {key: median([run.overhead.get(key) for run in runs]) for key in runs[0].overhead}
    return RunFigures(stages, overhead)
