"""The benchmark's printed table and its JSON form (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .memory import MachineLoad
from .stages import OVERHEAD, ROW_MEASURES, STAGES, TOTAL, Interval, RunFigures

GB = 1024**3

HEADER = ("stage", "wall s", "share", "cores busy", "peak RSS GB", "rows", "rows measured", "rows/s")


def _row(stage: str, figures: RunFigures) -> tuple[str, ...]:
    f = figures.stages[stage]
    total = figures.stages[TOTAL].seconds
    rate = f.rows_per_second
    has_rows = stage in ROW_MEASURES and f.rows is not None
    return (
        stage,
        f"{f.seconds:.1f}",
        f"{100 * f.seconds / total:.1f}%" if total > 0 else "-",
        f"{f.cores_busy:.2f}" if f.cores_busy is not None else "-",
        f"{f.peak_rss_bytes / GB:.2f}" if f.peak_rss_bytes else "-",
        f"{f.rows:,}" if has_rows else "",
        ROW_MEASURES.get(stage, "") if has_rows else "",
        f"{rate:,.0f}" if has_rows and rate is not None else "",
    )


def format_table(figures: RunFigures) -> str:
    """stage | wall s | share | cores busy | peak RSS GB | rows | rows measured | rows/s, a rule, then total."""
    rows = [_row(stage, figures) for stage in STAGES if stage in figures.stages]
    total = _row(TOTAL, figures)
    widths = [max(len(r[i]) for r in [HEADER, *rows, total]) for i in range(len(HEADER))]
    numeric = {1, 2, 3, 4, 5, 7}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(HEADER), rule, *map(line, rows), rule, line(total)])


def format_overhead(overhead: Mapping[str, float]) -> str:
    if not overhead:
        return ""
    parts = ", ".join(f"{name.replace('_', ' ')} {seconds:.1f} s" for name, seconds in overhead.items())
    return f"{OVERHEAD}: {parts}"


def format_slowest(nodes: Sequence[Interval], top: int = 10) -> str:
    """The slowest dbt nodes (models, tests, seeds) of a run, to know where to look first."""
    slowest = sorted(nodes, key=lambda n: n.seconds, reverse=True)[:top]
    if not slowest:
        return ""
    width = max(len(n.label) for n in slowest)
    lines = [f"Slowest dbt nodes (of {len(nodes)}):"]
    lines += [f"  {n.label.ljust(width)}  {n.seconds:7.1f} s  {n.stage}" for n in slowest]
    return "\n".join(lines)


def format_facts(title: str, facts: Mapping[str, Any]) -> str:
    width = max(len(k) for k in facts)
    values = [f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v) for v in facts.values()]
    return "\n".join([title, *(f"  {k.ljust(width)}  {v}" for k, v in zip(facts, values))])


def figures_to_dict(figures: RunFigures) -> dict[str, Any]:
    """The table as JSON: one object per stage (``STAGES`` then ``total``)."""
    stages = {}
    total = figures.stages[TOTAL].seconds
    for stage in [*STAGES, TOTAL]:
        if stage not in figures.stages:
            continue
        f = figures.stages[stage]
        stages[stage] = {
            "wall_seconds": round(f.seconds, 3),
            "share": round(f.seconds / total, 4) if total > 0 else None,
            "cpu_seconds": round(f.cpu_seconds, 3) if f.cpu_seconds is not None else None,
            "cores_busy": round(f.cores_busy, 3) if f.cores_busy is not None else None,
            "peak_rss_bytes": f.peak_rss_bytes,
            "peak_rss_gb": round(f.peak_rss_bytes / GB, 3) if f.peak_rss_bytes else None,
            "rows": f.rows if stage in ROW_MEASURES else None,
            "rows_measured": ROW_MEASURES.get(stage),
            "rows_per_second": round(f.rows_per_second, 1) if stage in ROW_MEASURES and f.rows_per_second else None,
        }
    return {"stages": stages, "overhead_seconds": {k: round(v, 3) for k, v in figures.overhead.items()}}


#: The share of the machine's CPU time other processes may take during a run before the run's
#: figures are flagged as not comparable.
NOISY_SHARE = 0.05


def is_noisy(load: MachineLoad) -> bool:
    return load.share > NOISY_SHARE


def machine_load_to_dict(load: MachineLoad) -> dict[str, Any]:
    return {"cpu_seconds": round(load.other_cpu_seconds, 2), "share_of_machine": round(load.share, 4),
            "noisy": is_noisy(load)}


def format_machine_load(runs: Sequence[tuple[str, MachineLoad]]) -> str:
    """One line on what else ran: quiet, or which runs shared the machine and how much."""
    noisy = [(label, load) for label, load in runs if is_noisy(load)]
    if not noisy:
        most = max((load.share for _, load in runs), default=0.0)
        return f"Other processes: at most {most:.1%} of the machine's CPU time during any run (quiet)."
    parts = "; ".join(f"{label}: {load.other_cpu_seconds:.0f} CPU s, {load.share:.1%}" for label, load in noisy)
    return (f"WARNING: other processes used more than {NOISY_SHARE:.0%} of the machine's CPU time during "
            f"{parts}. These figures are not comparable with a quiet run's: run the benchmark alone.")
