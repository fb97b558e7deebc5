"""Command line: measure identity resolution end to end.

    python -m dagster_project.evaluate --people N [--seed S] [--days D]
    python -m dagster_project.evaluate --landing DIR --truth FILE.csv

Either mode runs the real pipeline into a scratch warehouse (never the user's) and scores
``marts.customer_records`` against the truth. Exit status: 0 scored (and above any
``--min-*`` threshold), 1 pipeline failed or a threshold was missed, 2 unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.generate.config import DEFAULT_DAYS
from dagster_project.settings import Settings

from .inputs import RESOLVED_TABLE, attach_resolved, load_truth, restrict_truth_to_identifiable
from .metrics import EvaluationReport, score
from .report import format_report, report_to_dict
from .workspace import GenerationRequest, Workdir, ensure_generated, run_pipeline, scratch_workdir

DEFAULT_SEED = 42


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.evaluate",
        description="Run the pipeline in a scratch warehouse and score identity resolution against a ground truth.",
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--people", type=int, help="generate a synthetic data set of N people and score on it")
    mode.add_argument("--landing", type=Path, help="your landing directory (crm/, web/, pos/; absent ones are empty)")
    parser.add_argument("--truth", type=Path,
                        help="with --landing: CSV with columns source, record_key and person_id (or true_id)")
    parser.add_argument("--seed", type=int, help=f"with --people: random seed (default {DEFAULT_SEED})")
    parser.add_argument("--days", type=int, help=f"with --people: days of activity (default {DEFAULT_DAYS})")
    parser.add_argument("--workdir", type=Path,
                        help="scratch directory, kept afterwards; generated data in it is reused for the same "
                             "--people/--seed/--days (default: a temporary directory, deleted afterwards)")
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file")
    parser.add_argument("--min-precision", type=float, help="exit 1 when pairwise precision is below this")
    parser.add_argument("--min-recall", type=float, help="exit 1 when pairwise recall is below this")
    parser.add_argument("--threshold-scope", choices=["all", "identifiable"], default="all",
                        help="which figures --min-precision/--min-recall apply to: all records (default) or "
                             "only records that carry identity evidence")
    parser.add_argument("--top", type=int, default=10, help="over-merged customers to show (default 10)")
    parser.add_argument("--samples", type=int, default=20, help="missed matches to show (default 20)")
    return parser


def _check_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.landing is not None:
        if args.truth is None:
            parser.error("--landing needs --truth FILE.csv")
        if args.seed is not None or args.days is not None:
            parser.error("--seed and --days only apply with --people")
    elif args.truth is not None:
        parser.error("--truth only applies with --landing (--people uses the generated truth)")
    if args.people is not None and args.people < 1:
        parser.error("--people must be at least 1")


@dataclass
class Run:
    """What one invocation did, for the printed timings and the JSON file."""

    mode: str
    inputs: dict[str, Any]
    timings: dict[str, float | bool | None] = field(default_factory=dict)


def _section(title: str) -> None:
    print(f"\n=== {title} ===", flush=True)


def _request(args: argparse.Namespace) -> GenerationRequest | None:
    """The data set to generate, or ``None`` in ``--landing`` mode."""
    if args.people is None:
        return None
    return GenerationRequest(args.people, DEFAULT_SEED if args.seed is None else args.seed,
                             DEFAULT_DAYS if args.days is None else args.days)


def _inputs(args: argparse.Namespace, workdir: Workdir, run: Run) -> tuple[Path, Path]:
    """The landing directory and truth file to use, generating them in ``--people`` mode."""
    request = _request(args)
    if request is not None:
        _section("Generating")
        generated = ensure_generated(workdir, request)
        print(generated.description)
        run.timings |= {"generation": generated.seconds, "generation_reused": generated.reused}
        return generated.landing, generated.truth
    if not args.landing.is_dir():
        raise ValueError(f"{args.landing}: landing directory not found")
    run.timings["generation"] = None
    return args.landing.resolve(), args.truth.resolve()


def _scoring_connection(workdir: Workdir) -> duckdb.DuckDBPyConnection:
    """In memory, spilling into the workdir, within the warehouse's configured memory limit."""
    conn = duckdb.connect()
    conn.execute(f"set temp_directory = '{str(workdir.spill).replace(chr(39), chr(39) * 2)}'")
    conn.execute(f"set memory_limit = '{Settings.from_env().duckdb_memory_limit}'")
    return conn


@dataclass
class Reports:
    """The same scoring over every truth record, and over the records with identity evidence."""

    all_records: EvaluationReport
    identifiable: EvaluationReport | None  # None when the warehouse lacks the evidence tables
    identifiable_records: int = 0
    truth_records: int = 0


def _evaluate(args: argparse.Namespace, workdir: Workdir, run: Run) -> tuple[int, Reports | None]:
    landing, truth_path = _inputs(args, workdir, run)
    with _scoring_connection(workdir) as conn:
        started = time.perf_counter()
        truth_rows = load_truth(conn, truth_path)  # before the pipeline: a bad truth file fails fast
        truth_seconds = time.perf_counter() - started

        _section(f"Pipeline (scratch warehouse {workdir.warehouse})")
        started = time.perf_counter()
        succeeded = run_pipeline(workdir, landing)
        run.timings["pipeline"] = time.perf_counter() - started
        if not succeeded:
            print(f"\nThe pipeline FAILED (step errors above), so nothing was scored.\nWorkdir: {workdir.root}",
                  file=sys.stderr)
            return 1, None

        _section(f"Scoring {RESOLVED_TABLE} against {truth_path} ({truth_rows:,} truth rows)")
        started = time.perf_counter()
        attach_resolved(conn, workdir.work_database)
        report = score(conn, top_over_merges=args.top, missed_samples=args.samples)
        counts = restrict_truth_to_identifiable(conn)
        identifiable = score(conn, top_over_merges=0, missed_samples=0) if counts else None
        run.timings["scoring"] = truth_seconds + time.perf_counter() - started
    print(format_report(report))
    if counts is None or identifiable is None:
        print("\n(Identifiable-records figures skipped: the warehouse has no deduplicated source tables.)")
        return 0, Reports(report, None)
    kept, total = counts
    _section(f"Over identifiable records only ({kept:,} of {total:,} truth records)")
    print(
        "  Records with identity evidence in the data: CRM contacts; till sales with a name and postal\n"
        "  code, or a loyalty card, e-mail or phone that another record also carries; web events with a\n"
        "  user id, or on a device that shows one or such an e-mail or phone. Cash sales with nothing on\n"
        "  them, devices that never logged in and identifiers no other record holds cannot be linked by\n"
        "  any resolver; they stay in the figures above.\n"
    )
    print(f"  precision  {identifiable.precision:.4f}\n  recall     {identifiable.recall:.4f}\n  F1         {identifiable.f1:.4f}")
    return 0, Reports(report, identifiable, kept, total)


def _print_timings(run: Run) -> None:
    _section("Timings")
    generation = run.timings.get("generation")
    if generation is not None:
        reused = " (reused earlier data)" if run.timings.get("generation_reused") else ""
        print(f"  generation  {generation:8.1f} s{reused}")
    for step in ("pipeline", "scoring"):
        if step in run.timings:
            print(f"  {step:<10}  {run.timings[step]:8.1f} s")


def _threshold_failures(args: argparse.Namespace, reports: Reports) -> list[str]:
    report = reports.identifiable if args.threshold_scope == "identifiable" else reports.all_records
    if report is None:
        return [f"no {args.threshold_scope}-records figures to check the thresholds against"]
    checks = [("precision", report.precision, args.min_precision), ("recall", report.recall, args.min_recall)]
    return [f"{args.threshold_scope}-records {name} {value:.4f} is below --min-{name} {minimum}"
            for name, value, minimum in checks if minimum is not None and value < minimum]


def _write_json(path: Path, run: Run, args: argparse.Namespace, reports: Reports, failures: list[str]) -> None:
    document = {
        "mode": run.mode,
        "inputs": run.inputs,
        "timings_seconds": run.timings,
        "thresholds": {"min_precision": args.min_precision, "min_recall": args.min_recall,
                       "scope": args.threshold_scope},
        "passed": not failures,
        **report_to_dict(reports.all_records),
        "identifiable": None if reports.identifiable is None else {
            "records": reports.identifiable_records,
            "of_truth_records": reports.truth_records,
            **report_to_dict(reports.identifiable),
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"\nReport written to {path}")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _check_arguments(parser, args)
    request = _request(args)
    if request is not None:
        run = Run("generated", asdict(request))
    else:
        run = Run("landing", {"landing": str(args.landing.resolve()), "truth": str(args.truth.resolve())})
    try:
        with scratch_workdir(args.workdir) as workdir:
            print(f"Workdir: {workdir.root}" + ("" if args.workdir else " (temporary, deleted afterwards)"))
            status, reports = _evaluate(args, workdir, run)
    except ValueError as error:  # InputError and other unusable input: say what and where
        print(f"error: {error}", file=sys.stderr)
        return 2
    _print_timings(run)
    if reports is None:
        return status
    failures = _threshold_failures(args, reports)
    if args.json:
        _write_json(args.json, run, args, reports, failures)
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
