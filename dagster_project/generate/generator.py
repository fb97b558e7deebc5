"""One generation run: population, CRM contacts and web visitors first, then the sources,
then the summary.

Every day's files follow from the seed and the day alone (activity is planned in 30-day
blocks with streams of their own, CRM exports are daily), so a run for N days writes the
first N days of any longer run, and ``append`` adds the following days to an existing
data set. Web days are rendered in forked workers (the bulk of the work), block by block,
while this process writes CRM and POS; each source and day writes its own ground-truth
part, joined day by day at the end, so the output does not depend on the number of workers
and appending a day appends its truth rows.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .clock import date_text
from .config import BLOCK_DAYS, DEFAULT_DAYS, DEFAULT_MALFORMED_RATE, DEFAULT_START_DATE, GenerationConfig
from .crm import build_contacts, cards_issued, write_crm
from .output import FILE_PATTERNS, SourceCounts, clear_previous_output
from .parallel import Forked, default_workers
from .population import build_population
from .pos import write_pos
from .truth import concatenate
from .web import carry_into, prepend_carried, render_days
from .web_plan import build_visitors, plan_block


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


def _split(days: range, parts: int) -> list[range]:
    """``days`` cut into up to ``parts`` consecutive, near-equal ranges."""
    parts = max(1, min(parts, len(days)))
    bounds = [days.start + len(days) * i // parts for i in range(parts + 1)]
    return [range(a, b) for a, b in zip(bounds, bounds[1:])]


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

    ``out_dir/landing/{crm,web,pos}/`` gets one file per source and day (files an earlier
    run wrote there are replaced), ``out_dir/ground_truth.csv`` maps every well-formed
    record key to its person. The same arguments always give byte-identical files, whatever
    ``workers`` is (default: one per CPU, up to 4, when the process can fork), and a day's
    files are the same whatever ``days`` is: ``append`` adds the next days to a data set.
    """
    config = GenerationConfig(people, seed, Path(out_dir), start_date, days, malformed_rate)
    config.out_dir.mkdir(parents=True, exist_ok=True)
    clear_previous_output(config)
    return _run(config, workers)


def append(
    people: int,
    seed: int,
    out_dir: Path | str,
    days: int = 1,
    start_date: date = DEFAULT_START_DATE,
    malformed_rate: float = DEFAULT_MALFORMED_RATE,
    workers: int | None = None,
) -> GenerationSummary:
    """Add the ``days`` days that follow an existing data set (made by ``generate`` or
    ``append`` with the same people, seed, start date and malformed rate) to ``out_dir``.

    Each new day gets its web, POS and CRM file and its rows at the end of
    ``ground_truth.csv``; no existing file changes, and the result is byte-identical to
    ``generate`` run for all the days at once. Raises ``ValueError`` when ``out_dir`` holds
    no such data set or one made with other arguments.
    """
    if days < 1:
        raise ValueError("append needs at least one day")
    probe = GenerationConfig(people, seed, Path(out_dir), start_date, 1, malformed_rate)
    existing = existing_days(probe)
    config = GenerationConfig(people, seed, probe.out_dir, start_date, existing + days, malformed_rate,
                              written_from=existing)
    return _run(config, workers)


def existing_days(config: GenerationConfig) -> int:
    """How many days the data set under ``config.out_dir`` holds: the same consecutive days
    from ``config.start_date`` for every source, and a truth file."""
    dates = {}
    for source, pattern in FILE_PATTERNS.items():
        names = sorted(p.name for p in (config.landing_dir / source).glob(pattern))
        dates[source] = [name.split("_", 1)[1].split(".", 1)[0] for name in names]
    count = len(dates["web"])
    expected = [date_text(config.first_day + day) for day in range(count)]
    if not count or not config.truth_path.exists() or any(found != expected for found in dates.values()):
        raise ValueError(f"{config.out_dir} holds no generated data set starting on {config.start_date} "
                         "with one file per source and day (is --start-date the one it was made with?)")
    return count


def _run(config: GenerationConfig, workers: int | None) -> GenerationSummary:
    started = time.perf_counter()
    workers = default_workers() if workers is None else max(1, workers)
    population = build_population(config.seed, config.people)
    contacts = build_contacts(config, population)
    visitors = build_visitors(config, population)
    days = config.written_days
    with tempfile.TemporaryDirectory(dir=config.out_dir, prefix=".truth-parts-") as tmp:
        parts = Path(tmp)
        carried: list[str] = []
        plan = None
        if days.start > 0:  # re-deliveries the last existing day carries into the first new one
            previous = days.start - 1
            plan = plan_block(config, visitors, previous // BLOCK_DAYS)
            carried = carry_into(config, plan, previous)
        crm = pos = None
        web_counts: list[SourceCounts] = []
        for block in config.blocks(days):
            if plan is None or plan.first != block * BLOCK_DAYS:
                plan = plan_block(config, visitors, block)
            block_days = range(max(days.start, block * BLOCK_DAYS), min(days.stop, (block + 1) * BLOCK_DAYS))
            jobs = [(config, plan, web_days, parts) for web_days in _split(block_days, workers)]
            forked = [Forked(lambda job=job: render_days(*job)) for job in jobs] if workers > 1 else []
            if crm is None:  # while the first workers render
                crm = write_crm(config, contacts, parts)
                pos = write_pos(config, population, cards_issued(contacts), parts)
            results = [f.result() for f in forked] if forked else [render_days(*job) for job in jobs]
            for (_, _, web_days, _), (counts, carry_out) in zip(jobs, results):
                prepend_carried(config, web_days.start, carried)
                counts.rows += len(carried)
                web_counts.append(counts)
                carried = carry_out
        # the last day's carry is dropped: it belongs to the next day's file, which append writes
        concatenate(config.truth_path, sorted(parts.iterdir()), append=days.start > 0)
    assert crm is not None and pos is not None
    web = _sum(web_counts)
    truth_rows = crm.record_keys + web.record_keys + pos.record_keys
    return GenerationSummary(config.people, config.seed, config.out_dir, crm, web, pos, truth_rows,
                             time.perf_counter() - started)
