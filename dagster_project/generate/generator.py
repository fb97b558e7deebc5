"""One generation run: population and web plan first, then the sources, then the summary.

Web days are rendered in forked workers (the bulk of the work) while this process writes
CRM and POS; each part writes its own ground-truth part, joined in a fixed order at the
end, so the output does not depend on the number of workers.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .config import DEFAULT_DAYS, DEFAULT_MALFORMED_RATE, DEFAULT_START_DATE, GenerationConfig
from .crm import write_crm
from .output import SourceCounts, clear_previous_output
from .parallel import Forked, default_workers
from .population import build_population
from .pos import write_pos
from .truth import TruthWriter, concatenate
from .web import prepend_carried, render_days
from .web_plan import WebPlan, plan_web


@dataclass(frozen=True)
class GenerationSummary:
    """What a run wrote. ``seconds`` is the only value that differs between equal runs
    (it is printed, never written into the sample)."""

    people: int
    seed: int
    out_dir: Path
    crm: SourceCounts
    web: SourceCounts
    pos: SourceCounts
    truth_rows: int
    seconds: float

    @property
    def files(self) -> int:
        """Landing files plus the truth file."""
        return self.crm.files + self.web.files + self.pos.files + 1

    def one_line(self) -> str:
        """The CLI's summary line."""

        def part(name: str, counts: SourceCounts, unit: str) -> str:
            return f"{name} {counts.rows} {unit} ({counts.files} files, {counts.malformed} malformed)"

        return (
            f"{self.people} people: {part('crm', self.crm, 'rows')}, {part('web', self.web, 'events')}, "
            f"{part('pos', self.pos, 'rows')}; {self.truth_rows} truth rows; "
            f"{self.seconds:.1f} s -> {self.out_dir}"
        )


def _split(days: int, parts: int) -> list[range]:
    """``range(days)`` cut into up to ``parts`` consecutive, near-equal ranges."""
    parts = max(1, min(parts, days))
    bounds = [days * i // parts for i in range(parts + 1)]
    return [range(a, b) for a, b in zip(bounds, bounds[1:])]


def _web_part(config: GenerationConfig, plan: WebPlan, days: range, truth_part: Path) -> tuple[SourceCounts, list[str]]:
    with TruthWriter(truth_part, header=False) as truth:
        return render_days(config, plan, days, truth)


def _sum(counts: list[SourceCounts]) -> SourceCounts:
    return SourceCounts(*(sum(getattr(c, f) for c in counts) for f in ("files", "rows", "malformed", "record_keys")))


def generate(
    people: int,
    seed: int,
    out_dir: Path | str,
    start_date: date = DEFAULT_START_DATE,
    days: int = DEFAULT_DAYS,
    malformed_rate: float = DEFAULT_MALFORMED_RATE,
    workers: int | None = None,
) -> GenerationSummary:
    """Write a synthetic landing directory and its ground truth under ``out_dir``.

    ``out_dir/landing/{crm,web,pos}/`` gets the source files (files an earlier run wrote
    there are replaced), ``out_dir/ground_truth.csv`` maps every well-formed record key
    to its person. The same arguments always give byte-identical files, whatever
    ``workers`` is (default: one per CPU, up to 4, when the process can fork).
    """
    started = time.perf_counter()
    config = GenerationConfig(people, seed, Path(out_dir), start_date, days, malformed_rate)
    workers = default_workers() if workers is None else max(1, workers)
    config.out_dir.mkdir(parents=True, exist_ok=True)
    clear_previous_output(config)
    population = build_population(seed, people)
    plan = plan_web(config, population)
    with tempfile.TemporaryDirectory(dir=config.out_dir, prefix=".truth-parts-") as tmp:
        parts = Path(tmp)
        web_ranges = _split(config.days, workers)
        web_truth = [parts / f"web-{i:03d}.csv" for i in range(len(web_ranges))]
        jobs = [(config, plan, days, path) for days, path in zip(web_ranges, web_truth)]
        forked = [Forked(lambda job=job: _web_part(*job)) for job in jobs] if workers > 1 else []
        with TruthWriter(parts / "crm.csv", header=False) as truth:
            crm = write_crm(config, population, truth)
        with TruthWriter(parts / "pos.csv", header=False) as truth:
            pos = write_pos(config, population, truth)
        web_results = [f.result() for f in forked] if forked else [_web_part(*job) for job in jobs]
        web = _sum([counts for counts, _ in web_results])
        for days, (_, carried) in zip(web_ranges[1:], web_results):
            prepend_carried(config, days.start, carried)
            web.rows += len(carried)
        concatenate(config.truth_path, [parts / "crm.csv", *web_truth, parts / "pos.csv"])
    truth_rows = crm.record_keys + web.record_keys + pos.record_keys
    return GenerationSummary(people, seed, config.out_dir, crm, web, pos, truth_rows, time.perf_counter() - started)
