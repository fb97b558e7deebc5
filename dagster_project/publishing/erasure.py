"""Forget erased people in the working database too, not only in what is published.

Deduplication already leaves out every record of a person on the suppression list
(``macros/erasure/cdp_erased.sql``), so each deduplicated table lacks exactly the erased records
(and nothing else: it keeps one row per key, and an erased key is dropped whole). What the raw
and staging tables hold beyond those keys is therefore the erased rows, and they are deleted,
so the landed copies of a forgotten person do not outlive the request either.
"""

from __future__ import annotations

import duckdb

#: raw table, staging model, deduplicated model, record key
ERASABLE_SOURCES = (
    ("crm_contacts", "stg_crm__contacts", "int_crm__contacts_latest", "contact_id"),
    ("pos_transactions", "stg_pos__transactions", "int_pos__transactions_deduplicated", "transaction_id"),
    ("web_events", "stg_web__events", "int_web__events_deduplicated", "message_id"),
)


def purge_erased_rows(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Delete the erased rows from raw and staging; returns rows deleted per raw table."""
    deleted = {}
    for raw, staged, deduplicated, key in ERASABLE_SOURCES:
        conn.execute(
            f"""create or replace temp table erased_rows as
                select _source_file, _source_line from staging.{staged}
                where {key} not in (select {key} from intermediate.{deduplicated})"""
        ).fetchall()
        deleted[raw] = conn.execute(
            f"""delete from raw.{raw}
                where (_source_file, _source_line) in (select _source_file, _source_line from erased_rows)"""
        ).fetchall()[0][0]
        conn.execute(
            f"""delete from staging.{staged}
                where (_source_file, _source_line) in (select _source_file, _source_line from erased_rows)"""
        ).fetchall()
    return deleted
