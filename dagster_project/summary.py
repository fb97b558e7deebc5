"""The short report a run prints: what landed, what was rejected, what each model holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from dagster_project.contracts import ALL_SOURCES

MODEL_SCHEMAS = ("staging", "intermediate", "marts", "segments", "activation")


@dataclass(frozen=True)
class SourceFigures:
    source: str
    files_loaded: int
    rows_loaded: int
    rows_rejected: int
    files_failed: int
    raw_total: int


@dataclass(frozen=True)
class GateOutcome:
    target: str
    passed: bool
    rows: int | None
    failures: str  # markdown table of failing expectations, empty when passed


@dataclass(frozen=True)
class ExportOutcome:
    export: str
    rows: int
    added: int
    removed: int


@dataclass(frozen=True)
class RunSummary:
    sources: list[SourceFigures]
    models: list[tuple[str, int]]  # (schema.table, rows)


def build_summary(conn: duckdb.DuckDBPyConnection, since: datetime) -> RunSummary:
    """Figures for everything loaded at or after ``since`` and for every model table now."""
    sources = []
    for source in ALL_SOURCES:
        files_loaded, rows_loaded, rows_rejected, files_failed = conn.execute(
            """select count(*) filter (where status = 'loaded'),
                      coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0),
                      count(*) filter (where status = 'failed')
               from raw.load_log where source = ? and started_at >= ?""",
            [source.name, since],
        ).fetchone()
        raw_total = conn.execute(f"select count(*) from {source.raw_table}").fetchone()[0]
        sources.append(SourceFigures(source.name, files_loaded, rows_loaded, rows_rejected, files_failed, raw_total))
    tables = conn.execute(
        f"""select table_schema, table_name from information_schema.tables
            where table_schema in ({', '.join('?' * len(MODEL_SCHEMAS))})
            order by list_position(?, table_schema), table_name""",
        [*MODEL_SCHEMAS, list(MODEL_SCHEMAS)],
    ).fetchall()
    models = [
        (f"{schema}.{name}", conn.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0])
        for schema, name in tables
    ]
    return RunSummary(sources, models)


def _table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [headers] + [[f"{v:,}" if isinstance(v, int) else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    align = lambda row: "  ".join(  # noqa: E731
        c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))
    )
    return "\n".join([align(cells[0]), align(["-" * w for w in widths]), *(align(r) for r in cells[1:])])


def format_summary(summary: RunSummary, elapsed_seconds: float) -> str:
    landed = _table(
        ["source", "files loaded", "rows landed", "rows rejected", "files failed", "raw rows (all runs)"],
        [[s.source, s.files_loaded, s.rows_loaded, s.rows_rejected, s.files_failed, s.raw_total] for s in summary.sources],
    )
    models = _table(["model", "rows"], [[name, rows] for name, rows in summary.models])
    return f"Landed this run\n{landed}\n\nModels\n{models}\n\nElapsed: {elapsed_seconds:.1f} s"


def format_activation(gate: list[GateOutcome], exports: list[ExportOutcome]) -> str:
    """The quality gate's verdict per table and what each export published (nothing if the gate failed)."""
    if not gate and not exports:
        return ""
    lines = ["Quality gate", _table(
        ["table", "verdict", "rows"], [[g.target, "passed" if g.passed else "FAILED", g.rows or 0] for g in gate]
    )]
    for failed in (g for g in gate if not g.passed):
        lines += ["", f"{failed.target} failed:", failed.failures]
    lines += ["", "Exports"]
    if exports:
        lines.append(_table(["export", "members", "added", "removed"], [[e.export, e.rows, e.added, e.removed] for e in exports]))
    else:
        lines.append("none published: the previous exports are unchanged")
    return "\n".join(lines)
