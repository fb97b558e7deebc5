"""Command line: ``python -m dagster_project.generate --people N --seed S --out DIR``."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from .config import DEFAULT_DAYS, DEFAULT_MALFORMED_RATE, DEFAULT_START_DATE
from .generator import generate


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.generate",
        description="Write synthetic CRM, web and POS landing files plus ground_truth.csv.",
    )
    parser.add_argument("--people", type=int, required=True, help="number of real people")
    parser.add_argument("--seed", type=int, required=True, help="random seed; same arguments, same bytes")
    parser.add_argument("--out", type=Path, required=True, help="output directory (gets landing/ and ground_truth.csv)")
    parser.add_argument("--start-date", type=date.fromisoformat, default=DEFAULT_START_DATE,
                        help=f"first day, YYYY-MM-DD (default {DEFAULT_START_DATE})")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help=f"days of activity (default {DEFAULT_DAYS})")
    parser.add_argument("--malformed-rate", type=float, default=DEFAULT_MALFORMED_RATE,
                        help=f"share of deliberately malformed extra rows (default {DEFAULT_MALFORMED_RATE})")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes for the web files (default: one per CPU, up to 4); "
                             "the output is the same for any value")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        summary = generate(args.people, args.seed, args.out, args.start_date, args.days, args.malformed_rate,
                           args.workers)
    except ValueError as error:
        _parser().error(str(error))
    print(summary.one_line())


if __name__ == "__main__":
    main()
