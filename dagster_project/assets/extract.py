"""Extract assets: one per source, loading new landing files into the ``raw`` schema."""


from pathlib import Path

from dagster import AssetExecutionContext, AssetsDefinition, Failure, MaterializeResult, MetadataValue, asset

from dagster_project.publishing.faults import kill_if_requested
from dagster_project.contracts import ALL_SOURCES, CsvSource, JsonLinesSource
from dagster_project.extract.loader import SourceLoadReport, load_source
from dagster_project.resources import WarehouseResource

_REJECTS_PREVIEW_ROWS = 10


def _rejects_preview(conn, source: str, file_names: list[str]) -> str:
    if not file_names:
        return "_no rejects_"
    rows = conn.execute(
        f"""select file_name, line, coalesce(field, '') as field, reason from raw.rejects
            where source = ? and file_name in ({', '.join('?' * len(file_names))})
            order by file_name, line limit {_REJECTS_PREVIEW_ROWS}""",
        [source, *file_names],
    ).fetchall()
    if not rows:
        return "_no rejects_"
    lines = ["| file | line | field | reason |", "| --- | --- | --- | --- |"]
    lines += [f"| {f} | {n} | {fld} | {r.replace('|', '/')} |" for f, n, fld, r in rows]
    return "\n".join(lines)


def _metadata(conn, report: SourceLoadReport, table: str) -> dict[str, object]:
    total = conn.execute(f"select count(*) from {table}").fetchone()[0]
    rejected_files = [f.file_name for f in report.loaded if f.rows_rejected]
    return {
        "dagster/row_count": total,
        "files_loaded": len(report.loaded),
        "files_unchanged": sum(f.status == "unchanged" for f in report.files),
        "rows_loaded": report.rows_loaded,
        "rows_rejected": report.rows_rejected,
        "changed_files_not_loaded": MetadataValue.json([f.message for f in report.changed]),
        "duplicate_files_skipped": MetadataValue.json([f.message for f in report.duplicates]),
        "unknown_columns_ignored": MetadataValue.json(report.extra_columns),
        "rejects_preview": MetadataValue.md(_rejects_preview(conn, report.source, rejected_files)),
    }


def build_extract_asset(source: CsvSource | JsonLinesSource) -> AssetsDefinition:
    """An asset that loads new files of ``source``; it fails if any file breaks the contract."""

    @asset(
        key=["raw", source.name],
        group_name="extract",
        kinds={"duckdb", "csv" if isinstance(source, CsvSource) else "json"},
        description=f"{source.description} Landed from `<landing>/{source.folder}/{source.pattern}` into `{source.raw_table}`.",
    )
    def _extract(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        with warehouse.connect() as conn:
            report = load_source(
                conn, source, Path(warehouse.landing_dir),
                verify_checksums=warehouse.verify_checksums, workers=warehouse.extract_workers,
            )
            metadata = _metadata(conn, report, source.raw_table)
        kill_if_requested("after_extract")
        for outcome in report.changed + report.duplicates:
            context.log.warning(outcome.message)
        if report.failed:
            raise Failure(
                description="; ".join(f.message or f.file_name for f in report.failed),
                metadata=metadata,
            )
        context.log.info(f"{source.name}: {report.rows_loaded} rows loaded, {report.rows_rejected} rejected")
        return MaterializeResult(metadata=metadata)

    return _extract


extract_assets = [build_extract_asset(source) for source in ALL_SOURCES]
