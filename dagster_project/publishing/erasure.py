"""Forget erased people in the working database too, not only in what is published.

Deduplication already leaves out every record of a person on the suppression list
(``macros/erasure/cdp_erased.sql``), so each deduplicated table (or view) lacks exactly the erased
records (and nothing else: it keeps one row per key, and an erased key is dropped whole). What the raw
and staging tables hold beyond those keys is therefore the erased rows, and they are deleted,
so the landed copies of a forgotten person do not outlive the request either.
"""

from __future__ import annotations

import duckdb

#: raw table, staging model, deduplicated model (a table or a view), record key
ERASABLE_SOURCES = (
    ("crm_contacts", "stg_crm__contacts", "int_crm__contacts_latest", "contact_id"),
    ("pos_transactions", "stg_pos__transactions", "int_pos__transactions_deduplicated", "transaction_id"),
    ("web_events", "stg_web__events", "int_web__events_deduplicated", "message_id"),
)

#: staging model, intermediate table of decisions about its keys, record key: once a key's staged
#: rows are gone, so is its row there (a full rebuild would not make one)
KEYED_BY_STAGED_ROWS = (("stg_web__events", "int_web__repeated_deliveries", "message_id"),)


def purge_erased_rows(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Delete the erased rows from raw and staging, and the decisions about their keys
    (``KEYED_BY_STAGED_ROWS``); returns rows deleted per raw table."""
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
    for staged, decisions, key in KEYED_BY_STAGED_ROWS:
        conn.execute(
            f"delete from intermediate.{decisions} where {key} not in (select {key} from staging.{staged})"
        ).fetchall()
    return deleted
