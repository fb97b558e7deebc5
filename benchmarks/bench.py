"""Benchmark the whole pipeline at a given scale: wall time, peak memory and rows per second
per stage (extract, staging, identity resolution, marts, segments, quality gate, exports).

    python -m benchmarks.bench --people 1000000 [--seed 11] [--days 30] [--repeat 3] [--incremental]
    make bench PEOPLE=1000000 [SEED=11] [DAYS=30] [REPEAT=3] [INCREMENTAL=1]

With ``--incremental`` each full run is followed by a nightly run on top of it: the following
day (generated once, into ``<data-dir>/next-day``, beside hard links to the data set's files) is
landed and the pipeline runs again on the same warehouse; the report gives both tables and the
ratio of the incremental run's time to the full run's.

Generates the data set once (kept in ``--data-dir`` and reused for the same people/seed),
then runs the real pipeline CLI as a subprocess into a scratch warehouse that is emptied
before every run, sampling the memory of its whole process tree (Dagster and dbt). Stages
come from Dagster's step times (``--report-json``) and, inside the dbt step, from dbt's
``run_results.json``. Prints a table and writes it as JSON (default
``benchmarks/results/<people>-<UTC timestamp>.json``). Linux only (memory is read from /proc).
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python benchmarks/bench.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"  # noqa: A001

from benchmarks import memory  # noqa: E402
from benchmarks.report import (  # noqa: E402
    figures_to_dict, format_facts, format_machine_load, format_overhead, format_slowest, format_table,
    machine_load_to_dict,
)
from benchmarks.stages import (  # noqa: E402
    Interval, RunFigures, build_timeline, dbt_node_intervals, median_figures, overhead_breakdown, run_figures,
    stage_rows,
)

from dagster_project.generate.config import DEFAULT_DAYS, DEFAULT_START_DATE  # noqa: E402
from dagster_project.settings import DEFAULT_DUCKDB_MEMORY_LIMIT  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = PROJECT_ROOT / "benchmarks" / "results"
DEFAULT_SEED = 11
DATA_MARKER = "bench-data.json"
WORKDIR_MARKER = ".bench-workdir"
SAMPLE_INTERVAL = 0.15


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, required=True, help="people in the generated data set")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"generator seed (default {DEFAULT_SEED})")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS,
                        help=f"days of data to generate (default {DEFAULT_DAYS})")
    parser.add_argument("--incremental", action="store_true",
                        help="after each full run, land the following day and time the incremental run on top")
    parser.add_argument("--data-dir", type=Path,
                        help="where the generated data is kept and reused "
                             "(default data/bench-<people>, or data/bench-<people>-<days>d with --days)")
    parser.add_argument("--workdir", type=Path,
                        help="scratch directory for the warehouse, registry and exports, emptied before every run "
                             "(default <data-dir>/work)")
    parser.add_argument("--repeat", type=int, default=1, help="runs to make; the table shows the median per stage")
    parser.add_argument("--json", type=Path, help="where to write the results (default benchmarks/results/<people>-<UTC>.json)")
    parser.add_argument("--sample-interval", type=float, default=SAMPLE_INTERVAL,
                        help=f"seconds between memory samples (default {SAMPLE_INTERVAL})")
    return parser


# -- machine -----------------------------------------------------------------------------------


def _meminfo_total() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return importlib_metadata.version(package)
    except importlib_metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    total = _meminfo_total()
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": _cpu_model(),
        "ram_gb": round(total / 1024**3, 1) if total else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "dbt_core": _version("dbt-core"),
        "dbt_duckdb": _version("dbt-duckdb"),
        "dagster": _version("dagster"),
    }


# -- data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataSet:
    people: int
    seed: int
    days: int
    crm_rows: int
    web_events: int
    pos_transactions: int
    malformed_rows: int
    generated_seconds: float
    generator_sha256: str = ""  # of dagster_project/generate/*.py: changed code means new data
    start_date: str = DEFAULT_START_DATE.isoformat()


def start_date_for(days: int, today: date | None = None) -> date:
    """The generator's default start date, or 1 January of an earlier year when the data set (and
    the day an incremental run adds) would reach past tomorrow: the extract rightly rejects
    records timestamped in the future, which would turn part of a long data set into rejects."""
    today = today or date.today()
    start = DEFAULT_START_DATE
    while start + timedelta(days=days + 1) > today:
        start = date(start.year - 1, 1, 1)
    return start


def generator_fingerprint() -> str:
    """A hash of the generator's source, so data made by an older generator is not reused."""
    digest = hashlib.sha256()
    for path in sorted((PROJECT_ROOT / "dagster_project" / "generate").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def ensure_data(data_dir: Path, people: int, seed: int, days: int) -> tuple[DataSet, bool]:
    """The data set in ``data_dir`` (generated unless its marker records the same people, seed,
    days, start date and generator source)."""
    start = start_date_for(days)
    marker = data_dir / DATA_MARKER
    fingerprint = generator_fingerprint()
    if marker.is_file() and (data_dir / "landing").is_dir():
        recorded = json.loads(marker.read_text())
        if (
            recorded.get("people"), recorded.get("seed"), recorded.get("days"), recorded.get("generator_sha256"),
            recorded.get("start_date", DEFAULT_START_DATE.isoformat()),
        ) == (people, seed, days, fingerprint, start.isoformat()):
            return DataSet(**recorded), True
    from dagster_project.generate import generate

    marker.unlink(missing_ok=True)  # written only once generation has finished
    print(f"Generating {people:,} people (seed {seed}, {days} days from {start}) into {data_dir} ...", flush=True)
    summary = generate(people, seed, data_dir, start_date=start, days=days)
    data = DataSet(people, seed, days, summary.crm.rows, summary.web.rows, summary.pos.rows,
                   summary.crm.malformed + summary.web.malformed + summary.pos.malformed, round(summary.seconds, 1),
                   fingerprint, start.isoformat())
    marker.write_text(json.dumps(asdict(data), indent=2) + "\n")
    return data, False


# -- workdir -----------------------------------------------------------------------------------


def prepare_workdir(workdir: Path) -> None:
    """Empty the scratch directory: only one this script created (it holds its marker) or an empty one."""
    workdir.mkdir(parents=True, exist_ok=True)
    marker = workdir / WORKDIR_MARKER
    entries = [p for p in workdir.iterdir() if p.name != WORKDIR_MARKER]
    if entries and not marker.is_file():
        raise SystemExit(f"--workdir {workdir} is not empty and was not made by the benchmark; "
                         f"refusing to delete its contents")
    for entry in entries:
        shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    marker.write_text("Scratch directory of benchmarks/bench.py: emptied before every run.\n")


def _python() -> str:
    venv = PROJECT_ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def run_environment(workdir: Path, landing: Path) -> tuple[dict[str, Path], dict[str, str]]:
    """The paths of a run into ``workdir`` and the environment its process gets."""
    paths = {
        "CDP_LANDING_DIR": landing,
        "CDP_WAREHOUSE": workdir / "warehouse.duckdb",
        "CDP_IDENTITY_REGISTRY": workdir / "identity_registry.duckdb",
        "CDP_EXPORTS_DIR": workdir / "exports",
    }
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}  # ephemeral run history, not the user's
    env.update({k: str(v) for k, v in paths.items()})
    return paths, env


def prepare_dbt_manifest(workdir: Path, landing: Path) -> None:
    """Parse the dbt project now, for the run's paths, if its manifest is stale: parsing is not
    timed as a stage, and the runs parse partially, as a deployment's nightly runs do."""
    _, env = run_environment(workdir, landing)
    subprocess.run([_python(), "-c", "import dagster_project.assets.dbt_project"], cwd=PROJECT_ROOT, env=env, check=True)


# -- one run -----------------------------------------------------------------------------------


@dataclass
class Measured:
    figures: RunFigures
    report: dict[str, Any]
    dbt_nodes: list[Interval]
    samples: int
    max_processes: int
    kernel_max_rss_bytes: int
    log: Path
    machine_load: memory.MachineLoad


def _dbt_results(report: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """run_results.json and the manifest's nodes of the run's dbt invocation."""
    for directory in map(Path, report.get("dbt_target_dirs", [])):
        results = directory / "run_results.json"
        if results.is_file():
            manifest = directory / "manifest.json"
            nodes = json.loads(manifest.read_text()).get("nodes", {}) if manifest.is_file() else {}
            return json.loads(results.read_text()), nodes
    return {}, {}


def next_day_landing(data_dir: Path, data: DataSet) -> Path:
    """The data set plus its following day, in ``<data_dir>/next-day`` (made once, then reused).

    The data set's files are hard-linked, not copied (they never change); the truth file is copied,
    since ``append`` adds the new day's rows to it.
    """
    from dagster_project.generate import append

    target = data_dir / "next-day"
    marker = target / DATA_MARKER
    if marker.is_file() and json.loads(marker.read_text()) == asdict(data):
        return target / "landing"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(data_dir / "landing", target / "landing", copy_function=os.link)
    shutil.copy2(data_dir / "ground_truth.csv", target / "ground_truth.csv")
    print(f"Generating day {data.days + 1} into {target} ...", flush=True)
    append(data.people, data.seed, target, days=1, start_date=date.fromisoformat(data.start_date))
    marker.write_text(json.dumps(asdict(data), indent=2) + "\n")
    return target / "landing"


def run_once(workdir: Path, landing: Path, sample_interval: float, fresh: bool = True) -> Measured:
    """One pipeline run into ``workdir``: emptied first unless ``fresh`` is false (a nightly run
    on top of the previous one)."""
    if fresh:
        prepare_workdir(workdir)
    report_path = workdir / "run_report.json"
    log_path = workdir / "pipeline.log"
    paths, env = run_environment(workdir, landing)
    command = [
        _python(), "-m", "dagster_project.run",
        "--landing-dir", str(landing), "--warehouse", str(paths["CDP_WAREHOUSE"]),
        "--identity-registry", str(paths["CDP_IDENTITY_REGISTRY"]), "--exports-dir", str(paths["CDP_EXPORTS_DIR"]),
        "--report-json", str(report_path),
    ]
    with open(log_path, "w", encoding="utf-8") as log, memory.MachineLoadMeter() as meter:
        started = time.time()
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            with memory.TreeSampler(process.pid, sample_interval) as sampler:
                _, status, usage = os.wait4(process.pid, 0)
                ended = time.time()
        except BaseException:
            process.kill()
            process.wait()
            raise
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or not report_path.is_file():
        tail = "".join(log_path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)[-30:])
        raise SystemExit(f"The pipeline failed (exit {process.returncode}); last lines of {log_path}:\n{tail}")
    report = json.loads(report_path.read_text())
    run_results, nodes = _dbt_results(report)
    dbt_nodes = dbt_node_intervals(run_results, nodes)
    timeline = build_timeline(report["steps"], dbt_nodes)
    figures = run_figures(timeline, sampler.samples, stage_rows(report), started, ended,
                          overhead_breakdown(report["steps"], dbt_nodes, started, ended), sampler.cpu_samples)
    return Measured(figures, report, dbt_nodes, len(sampler.samples), sampler.max_processes,
                    usage.ru_maxrss * 1024, log_path, meter.load)


def _run_document(measured: Measured) -> dict[str, Any]:
    return {
        "run_id": measured.report.get("run_id"),
        **figures_to_dict(measured.figures),
        "memory_samples": measured.samples,
        "max_processes_in_tree": measured.max_processes,
        "kernel_max_rss_single_process_bytes": measured.kernel_max_rss_bytes,
        "other_processes": machine_load_to_dict(measured.machine_load),
        "steps": measured.report.get("steps"),
        "dbt_nodes": [
            {"unique_id": n.label, "stage": n.stage, "seconds": round(n.seconds, 3)}
            for n in sorted(measured.dbt_nodes, key=lambda n: n.seconds, reverse=True)
        ],
    }


def _landed_per_source(report: dict[str, Any]) -> dict[str, int]:
    return {m["asset"]: m.get("rows_loaded") or m.get("row_count") or 0
            for m in report.get("materializations", []) if m["asset"].startswith("raw/")}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.people < 1 or args.repeat < 1:
        raise SystemExit("--people and --repeat must be at least 1")
    if not memory.available():
        raise SystemExit("The benchmark reads memory from /proc: it runs on Linux only.")
    created = datetime.now(timezone.utc)
    default_dir = f"bench-{args.people}" + ("" if args.days == DEFAULT_DAYS else f"-{args.days}d")
    data_dir = (args.data_dir or PROJECT_ROOT / "data" / default_dir).resolve()
    workdir = (args.workdir or data_dir / "work").resolve()
    json_path = args.json or RESULTS_DIR / f"{default_dir.removeprefix('bench-')}-{created.strftime('%Y%m%dT%H%M%SZ')}.json"

    data, reused = ensure_data(data_dir, args.people, args.seed, args.days)
    print(("Reusing" if reused else "Generated") + f" {data_dir / 'landing'}", flush=True)
    next_day = next_day_landing(data_dir, data) if args.incremental else None
    prepare_dbt_manifest(workdir, data_dir / "landing")

    runs: list[Measured] = []
    nightly: list[Measured] = []
    for number in range(1, args.repeat + 1):
        print(f"Run {number}/{args.repeat}: pipeline into {workdir} ...", flush=True)
        runs.append(run_once(workdir, data_dir / "landing", args.sample_interval))
        print(f"  {runs[-1].figures.stages['total'].seconds:.1f} s", flush=True)
        if next_day is not None:
            print(f"Run {number}/{args.repeat}: day {data.days + 1} on top (incremental) ...", flush=True)
            nightly.append(run_once(workdir, next_day, args.sample_interval, fresh=False))
            print(f"  {nightly[-1].figures.stages['total'].seconds:.1f} s", flush=True)
    figures = median_figures([run.figures for run in runs])

    facts_machine = machine()
    facts_data = {
        "people": data.people, "seed": data.seed, "days": data.days, "from": data.start_date,
        "CRM rows": data.crm_rows, "web events": data.web_events, "POS transactions": data.pos_transactions,
        "malformed rows": data.malformed_rows,
    }
    title = f"Pipeline benchmark, {data.people:,} people" + (f" (median of {len(runs)} runs)" if len(runs) > 1 else "")
    print(f"\n{title}\n")
    print(format_table(figures))
    print("\n" + format_overhead(figures.overhead))
    print("\n" + format_slowest(runs[-1].dbt_nodes))
    incremental = None
    if nightly:
        nightly_figures = median_figures([run.figures for run in nightly])
        ratio = nightly_figures.stages["total"].seconds / figures.stages["total"].seconds
        print(f"\nIncremental run: day {data.days + 1} on top of the {data.days} days above\n")
        print(format_table(nightly_figures))
        print("\n" + format_slowest(nightly[-1].dbt_nodes))
        print(f"\nIncremental / full run time: {ratio:.1%}")
        incremental = {"day": data.days + 1, **figures_to_dict(nightly_figures), "ratio_to_full": round(ratio, 4),
                       "raw_rows_landed": _landed_per_source(nightly[0].report),
                       "runs": [_run_document(run) for run in nightly]}
    loads = [(f"full run {i}", run.machine_load) for i, run in enumerate(runs, 1)]
    loads += [(f"incremental run {i}", run.machine_load) for i, run in enumerate(nightly, 1)]
    print("\n" + format_machine_load(loads))
    print("\n" + format_facts("Data", facts_data))
    print("\n" + format_facts("Machine", facts_machine))
    print(f"\nMemory: summed RSS of the pipeline's process tree, sampled every {args.sample_interval} s from /proc.")

    document = {
        "benchmark": "benchmarks/bench.py",
        "created_utc": created.isoformat(timespec="seconds"),
        "command": ["python", "-m", "benchmarks.bench", *(argv if argv is not None else sys.argv[1:])],
        "repeat": len(runs),
        "aggregate": "median" if len(runs) > 1 else "single run",
        "machine": facts_machine,
        "settings": {
            "duckdb_memory_limit": os.environ.get("CDP_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT),
            "rss_sample_interval_seconds": args.sample_interval,
        },
        "other_processes": {label: machine_load_to_dict(load) for label, load in loads},
        "data": {**asdict(data), "reused": reused, "data_dir": str(data_dir),
                 "raw_rows_landed": _landed_per_source(runs[0].report)},
        **figures_to_dict(figures),
        "runs": [_run_document(run) for run in runs],
        **({"incremental": incremental} if incremental else {}),
    }
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"\nWritten: {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
