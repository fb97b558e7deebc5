"""Activation assets: segment memberships over time and, per segment and destination, the exports.

Every segment declared in ``dbt/models/segments/`` becomes assets here without code changes (see
``activation/segments.py``). They all sit downstream of the quality gate's blocking checks, so a
failing gate stops memberships and exports alike and the last published files stay as they were.
"""


import shutil
from datetime import datetime, timezone

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, MetadataValue, asset

from dagster_project.publishing.faults import kill_if_requested
from dagster_project.activation.memberships import record_memberships
from dagster_project.activation.segments import Segment, discover_segments
from dagster_project.assets.dbt_project import cdp_dbt_project
from dagster_project.exports.ads import audience_query
from dagster_project.exports.export import write_export
from dagster_project.publishing.erasure import purge_erased_rows
from dagster_project.publishing.layout import EXPORTS
from dagster_project.publishing.release import RELEASES_KEPT, publish_release
from dagster_project.resources import WarehouseResource
from dagster_project.warehouse import table_exists

SEGMENTS = discover_segments(cdp_dbt_project.manifest_path)


@asset(
    key=["activation", "segment_memberships"],
    group_name="activation",
    deps=[segment.asset_key for segment in SEGMENTS],
    kinds={"duckdb"},
    description=(
        "Who is in each segment and since when (activation.segment_memberships), and every entry and "
        "exit over time (activation.segment_membership_changes, kept in the identity registry file)."
    ),
)
def segment_memberships(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    with warehouse.connect(with_registry=True) as conn:
        counts = record_memberships(conn, SEGMENTS, context.run.run_id, datetime.now(timezone.utc))
    table = ["| segment | members | entered | exited |", "| --- | ---: | ---: | ---: |"]
    table += [f"| {name} | {c.members} | {c.entered} | {c.exited} |" for name, c in sorted(counts.items())]
    return MaterializeResult(
        metadata={
            "dagster/row_count": sum(c.members for c in counts.values()),
            "segments": MetadataValue.md("\n".join(table)),
            "entered": sum(c.entered for c in counts.values()),
            "exited": sum(c.exited for c in counts.values()),
        }
    )


def _export(
    warehouse: WarehouseResource, run_id: str, destination: str, name: str, source: str, key: str,
    remove_columns: tuple[str, ...] = (),
) -> MaterializeResult:
    """Write one export into this run's release-to-be, with its delta against the published one.

    Nothing is visible to destinations yet: the run's exports go live together with the
    warehouse when the release is published (``publish/release``).
    """
    layout = warehouse.layout
    published = layout.published_exports()
    previous = published / destination / name if published and (published / destination / name).is_dir() else None
    with warehouse.read() as conn:
        result = write_export(
            conn, layout.run_dir(run_id) / EXPORTS / destination / name, previous,
            destination=destination, name=name, source=source, key=key, run_id=run_id, remove_columns=remove_columns,
        )
    return MaterializeResult(
        metadata={
            "dagster/row_count": result.row_count,
            "members_added": result.delta.adds,
            "members_removed": result.delta.removes,
            "path_when_published": MetadataValue.path(str(layout.exports / destination / name)),
            "manifest": MetadataValue.json(result.manifest),
        }
    )


def _segment_export_query(segment: Segment, destination: str) -> str:
    """The members a destination receives: the declared columns, or the platform's hashed identifiers.

    Ad audiences re-check ads consent here as well as in the gate: hashing an e-mail for an ad
    platform is the one place where a consent slip would leave the company.
    """
    if destination == "files":
        return f"select {', '.join(segment.exported_columns)} from {segment.relation}"
    members = f"""(select members.customer_id, customers.email, customers.phone
        from {segment.relation} as members
        inner join marts.customers as customers using (customer_id)
        inner join marts.customer_metrics as metrics using (customer_id)
        where metrics.ads_consent)"""
    platform = destination.removesuffix("_ads")
    return audience_query(platform, members, key="customer_id", email="email", phone="phone")


#: What an ad platform needs to remove a member: the hashed identifiers it matched them on.
AD_PLATFORM_COLUMNS = {"google_ads": ("Email", "Phone"), "meta_ads": ("email", "phone")}


def build_segment_export(segment: Segment, destination: str) -> AssetsDefinition:
    """The asset that publishes ``segment`` to ``destination`` (files, google_ads or meta_ads)."""

    @asset(
        key=["exports", destination, segment.name],
        group_name="exports",
        deps=[segment.asset_key, segment_memberships.key],
        kinds={"csv", "parquet"} if destination == "files" else {"csv"},
        owners=[f"team:{segment.owner}"],
        description=f"{segment.description} Published to `<exports>/{destination}/{segment.name}` with a delta and a manifest.",
    )
    def _segment_export(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        return _export(
            warehouse, context.run.run_id, destination, segment.name, _segment_export_query(segment, destination),
            "customer_id", AD_PLATFORM_COLUMNS.get(destination, ()),
        )

    return _segment_export


#: The CRM update file: one row per CRM contact with its customer id and the traits the CRM shows.
#: update_key changes whenever any trait does, so the delta's adds are the rows to upsert.
_CRM_UPDATES_QUERY = """
with memberships as (
    select customer_id, string_agg(segment, '|' order by segment) as segments
    from activation.segment_memberships
    group by customer_id
),
updates as (
    select
        records.record_key as crm_contact_id,
        records.customer_id,
        coalesce(memberships.segments, '') as segments,
        metrics.lifetime_value,
        metrics.total_orders,
        metrics.recency_score,
        metrics.frequency_score,
        metrics.monetary_score,
        metrics.rfm_score,
        metrics.preferred_channel
    from marts.customer_records as records
    inner join marts.customer_metrics as metrics using (customer_id)
    left join memberships using (customer_id)
    where records.source = 'crm'
)
select md5(concat_ws('|', crm_contact_id, customer_id, segments, lifetime_value, total_orders,
                      recency_score, frequency_score, monetary_score, rfm_score, preferred_channel)) as update_key,
       *
from updates
"""


@asset(
    key=["exports", "crm", "customer_updates"],
    group_name="exports",
    deps=[segment_memberships.key, AssetKey(["marts", "customer_metrics"]), AssetKey(["marts", "customer_records"])],
    kinds={"csv", "parquet"},
    description=(
        "Reverse ETL to the CRM: every CRM contact id with its customer id and new traits (segment "
        "memberships, lifetime value, RFM). adds.csv holds the rows to upsert, removes.csv the rows "
        "they supersede or that no longer exist (docs/exports.md)."
    ),
)
def crm_customer_updates(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    return _export(warehouse, context.run.run_id, "crm", "customer_updates", f"({_CRM_UPDATES_QUERY})", "update_key")


segment_exports = [
    build_segment_export(segment, destination) for segment in SEGMENTS for destination in segment.destinations
]


def _suppressed_identifiers(warehouse: WarehouseResource, run_id: str) -> tuple[int, int]:
    """Identifiers on the erasure suppression list: in all, and added by this run."""
    with warehouse.read() as conn:
        if not table_exists(conn, "registry", "suppressed_identifiers"):
            return 0, 0
        return conn.execute(
            "select count(*), count(*) filter (where run_id = ?) from registry.main.suppressed_identifiers", [run_id]
        ).fetchall()[0]


@asset(
    key=["publish", "release"],
    group_name="publish",
    deps=[segment_memberships.key, *(export.key for export in segment_exports), crm_customer_updates.key],
    kinds={"duckdb"},
    description=(
        "Publish this run: the analysts' warehouse (no raw PII), the engineers' PII warehouse and every "
        "export, switched in together atomically (docs/operations.md). Runs only after the quality gate passed."
    ),
)
def release(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    layout, run_id = warehouse.layout, context.run.run_id
    staged = layout.run_dir(run_id) / EXPORTS
    suppressed, erased = _suppressed_identifiers(warehouse, run_id)
    purged = {}
    if suppressed:  # also a later file may have landed rows of someone erased before
        with warehouse.connect() as conn:
            purged = purge_erased_rows(conn)
    kill_if_requested("after_exports")
    # Earlier releases still hold the people erased in this run: keep none of them.
    result = publish_release(
        layout,
        run_id,
        staged if staged.is_dir() else None,
        warehouse.memory_limit,
        keep=1 if erased else RELEASES_KEPT,
        erased=erased > 0,
    )
    kill_if_requested("after_switch")
    warehouse.journal.commit(run_id)
    shutil.rmtree(layout.run_dir(run_id), ignore_errors=True)
    contents = result.value
    return MaterializeResult(
        metadata={
            "release": result.version_id,
            "analyst_warehouse": MetadataValue.path(str(layout.warehouse)),
            "pii_warehouse": MetadataValue.path(str(layout.pii_warehouse)),
            "exports": MetadataValue.path(str(layout.exports)),
            "tables": MetadataValue.json(contents.tables),
            "masked_columns": MetadataValue.json(contents.masked_columns),
            "identifiers_erased": erased,
            "landed_rows_purged": MetadataValue.json(purged),
            "releases_deleted": len(result.deleted_versions),
            "patched_previous_release": contents.patched,
        }
    )


activation_assets = [segment_memberships, *segment_exports, crm_customer_updates, release]
