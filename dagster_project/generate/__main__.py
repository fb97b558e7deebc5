"""Command line: ``python -m dagster_project.generate --people N --seed S --out DIR [--days D]``,
then ``... --append-days K`` (same people, seed, start date, malformed rate) for the next days."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from .config import DEFAULT_DAYS, DEFAULT_MALFORMED_RATE, DEFAULT_START_DATE
from .generator import append, generate


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
    days = parser.add_mutually_exclusive_group()
    days.add_argument("--days", type=int, default=DEFAULT_DAYS,
                      help=f"days of activity, at constant daily volume (default {DEFAULT_DAYS})")
    days.add_argument("--append-days", type=int, default=None, metavar="K",
                      help="add the K days that follow the data set already in --out (made with the same "
                           "--people, --seed, --start-date and --malformed-rate); no existing file changes")
    parser.add_argument("--malformed-rate", type=float, default=DEFAULT_MALFORMED_RATE,
                        help=f"share of deliberately malformed extra rows (default {DEFAULT_MALFORMED_RATE})")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes for the web files (default: one per CPU, up to 4); "
                             "the output is the same for any value")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        if args.append_days is not None:
            summary = append(args.people, args.seed, args.out, args.append_days, args.start_date,
                             args.malformed_rate, args.workers)
        else:
            summary = generate(args.people, args.seed, args.out, args.start_date, args.days, args.malformed_rate,
                               args.workers)
    except ValueError as error:
        _parser().error(str(error))
    print(summary.one_line())


if __name__ == "__main__":
    main()
