"""A read-only SQL prompt on the warehouse, for analysts: ``make sql`` or ``python -m dagster_project.sql``.

It opens the published warehouse read-only, so it can never change it. The nightly run never
writes that file (it builds elsewhere and swaps a new release in), so the prompt can stay open
during a run: it keeps seeing the release it opened until it is reopened. ``--pii`` opens the
engineers' warehouse with full personal data instead (docs/operations.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from dagster_project.publishing.layout import Layout
from dagster_project.settings import Settings


def _run(conn: duckdb.DuckDBPyConnection, statement: str) -> None:
    relation = conn.sql(statement)
    if relation is not None:
        relation.show(max_rows=50)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.sql", description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=None, help="DuckDB file (default: $CDP_WAREHOUSE)")
    parser.add_argument("--pii", action="store_true", help="open the PII warehouse (cdp_pii.duckdb beside it) instead")
    parser.add_argument("-c", "--command", help="run one statement and exit")
    args = parser.parse_args(argv)
    path = args.warehouse or Settings.from_env().warehouse_path
    if args.pii:
        path = Layout(path, path.parent).pii_warehouse
    if not path.exists():
        print(f"No warehouse at {path}: run `make run` first.", file=sys.stderr)
        return 1
    with duckdb.connect(str(path), read_only=True) as conn:
        if args.command:
            _run(conn, args.command)
            return 0
        try:
            import readline  # noqa: F401  (line editing and history for input())
        except ImportError:
            pass
        print(f"{path} (read-only). End statements with ';'. Try: show all tables; Ctrl-D quits.")
        buffer = ""
        while True:
            try:
                line = input("cdp> " if not buffer else "...> ")
            except EOFError:
                print()
                return 0
            buffer += line + "\n"
            if buffer.strip().endswith(";"):
                try:
                    _run(conn, buffer)
                except duckdb.Error as error:
                    print(f"Error: {error}")
                buffer = ""


if __name__ == "__main__":
    sys.exit(main())
