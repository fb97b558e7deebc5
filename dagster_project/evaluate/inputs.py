"""The two inputs of a scoring run, as the ``truth`` and ``resolved`` tables ``metrics`` reads.

Both are checked before any work is done, with messages that name the file and what is
wrong, because the person reading them is usually pointing the command at their own data.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

#: the table the identity-resolution models build, one row per deduplicated source record
RESOLVED_TABLE = "marts.customer_records"
RESOLVED_COLUMNS = ("source", "record_key", "customer_id")
#: the truth's person column may carry either name
TRUTH_ID_COLUMNS = ("person_id", "true_id")


class InputError(ValueError):
    """An input file or table is missing or not shaped as required."""


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_truth(conn: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Read the truth CSV into table ``truth(source, record_key, person_id)``; return its rows.

    Every value is read as text (keys like ``007`` must stay keys) and ``source`` is trimmed
    and lower-cased, so ``CRM`` in a hand-made file still meets ``crm`` in the warehouse.
    """
    if not path.is_file():
        raise InputError(f"{path}: truth file not found")
    reader = f"read_csv({_sql_string(str(path))}, header = true, all_varchar = true)"
    try:
        columns = [row[0] for row in conn.execute(f"describe select * from {reader}").fetchall()]
    except duckdb.Error as error:
        raise InputError(f"{path}: not a readable CSV file ({error})") from error
    by_name = {name.strip().lower(): name for name in columns}
    missing = [name for name in ("source", "record_key") if name not in by_name]
    id_column = next((by_name[name] for name in TRUTH_ID_COLUMNS if name in by_name), None)
    if id_column is None:
        missing.append(" or ".join(TRUTH_ID_COLUMNS))
    if missing:
        raise InputError(
            f"{path}: missing required column(s) {', '.join(missing)} (found: {', '.join(columns) or 'none'})"
        )
    conn.execute(
        f"""create or replace table truth as
            select lower(trim({_identifier(by_name['source'])})) as source,
                   {_identifier(by_name['record_key'])} as record_key, {_identifier(id_column)} as person_id
            from {reader}"""
    )
    return conn.execute("select count(*) from truth").fetchone()[0]


def attach_resolved(conn: duckdb.DuckDBPyConnection, warehouse: Path) -> int:
    """Attach the warehouse read-only and expose ``marts.customer_records`` as view
    ``resolved``; return its rows."""
    if not warehouse.is_file():
        raise InputError(f"{warehouse}: no warehouse file (did the pipeline run?)")
    conn.execute(f"attach {_sql_string(str(warehouse))} as wh (read_only)")
    schema, table = RESOLVED_TABLE.split(".")
    columns = {
        row[0]
        for row in conn.execute(
            """select column_name from information_schema.columns
               where table_catalog = 'wh' and table_schema = ? and table_name = ?""",
            [schema, table],
        ).fetchall()
    }
    if not columns:
        raise InputError(
            f"{warehouse}: has no table {RESOLVED_TABLE}; the identity-resolution models "
            "(dbt/models/marts/identity/) have not been built"
        )
    missing = [name for name in RESOLVED_COLUMNS if name not in columns]
    if missing:
        raise InputError(f"{warehouse}: {RESOLVED_TABLE} is missing column(s) {', '.join(missing)}")
    conn.execute(
        f"create or replace temp view resolved as select {', '.join(RESOLVED_COLUMNS)} from wh.{RESOLVED_TABLE}"
    )
    return conn.execute("select count(*) from resolved").fetchone()[0]


#: Records that carry identity evidence in the data itself, whatever the resolver makes of it:
#: every CRM contact; a till sale with a full name and postal code, or a loyalty card, e-mail or
#: phone that some other record also carries; a web event with a user id, with an e-mail or phone
#: some other record also carries, or on a device (anonymousId) that shows one of those at some
#: point. A cash sale with nothing on it, the events of a device that never logged in, or a sale
#: whose only identifier is a phone or e-mail no other record holds cannot be linked to anyone
#: by any resolver: they are scored in the all-records figures and left out of these.
#:
#: Values are compared as the evaluator reads them, not as the resolver does (a resolver that
#: fails to read a phone must not shrink its own test): e-mails trimmed and lower-cased, phones
#: by their last 8 digits, whatever their format.
_IDENTIFIABLE_SQL = """
create or replace temp table identifiable as
with crm as (select * from wh.intermediate.int_crm__contacts_latest),
pos as (select * from wh.intermediate.int_pos__transactions_deduplicated),
events as (select * from wh.intermediate.int_web__events_deduplicated),
record_values as (
    select 'crm' as source, contact_id as record_key, email, phone_raw, loyalty_id from crm
    union all select 'pos', transaction_id, email, phone_raw, loyalty_id from pos
    union all select 'web', message_id, email, phone_raw, null from events
),
values_seen as (
    select source, record_key, 'email' as kind, lower(trim(email)) as value from record_values
    union all select source, record_key, 'phone', right(regexp_replace(phone_raw, '[^0-9]', '', 'g'), 8) from record_values
    union all select source, record_key, 'loyalty_id', loyalty_id from record_values
),
-- a value on one record only links that record to nothing
evidence as (
    select distinct source, record_key from values_seen
    where nullif(value, '') is not null
    qualify count(*) over (partition by kind, value) > 1
),
identified_devices as (
    select events.anonymous_id from events
    left join evidence on evidence.source = 'web' and evidence.record_key = events.message_id
    where events.anonymous_id is not null
    group by events.anonymous_id
    having count(distinct events.user_id) <= 1
       and count(coalesce(events.user_id, evidence.record_key)) > 0
)
select 'crm' as source, contact_id as record_key from crm
union all
select 'pos', transaction_id from pos
where (first_name is not null and last_name is not null and postal_code is not null)
   or transaction_id in (select record_key from evidence where source = 'pos')
union all
select 'web', message_id from events
where user_id is not null
   or message_id in (select record_key from evidence where source = 'web')
   or anonymous_id in (select anonymous_id from identified_devices)
"""


_EVIDENCE_TABLES = ("int_crm__contacts_latest", "int_pos__transactions_deduplicated", "int_web__events_deduplicated")


def restrict_truth_to_identifiable(conn: duckdb.DuckDBPyConnection) -> tuple[int, int] | None:
    """Keep only truth rows of identifiable records (see ``_IDENTIFIABLE_SQL``); the full truth
    stays in ``truth_all``. Returns (identifiable rows, all rows), or None when the warehouse
    lacks the deduplicated source tables the evidence is read from."""
    present = conn.execute(
        f"""select count(*) from information_schema.tables
            where table_catalog = 'wh' and table_schema = 'intermediate'
              and table_name in ({', '.join('?' * len(_EVIDENCE_TABLES))})""",
        list(_EVIDENCE_TABLES),
    ).fetchone()[0]
    if present < len(_EVIDENCE_TABLES):
        return None
    conn.execute(_IDENTIFIABLE_SQL)
    conn.execute("create or replace table truth_all as select * from truth")
    conn.execute(
        """create or replace table truth as
           select truth_all.* from truth_all
           semi join identifiable
             on identifiable.source = truth_all.source and identifiable.record_key = truth_all.record_key"""
    )
    kept = conn.execute("select count(*) from truth").fetchone()[0]
    total = conn.execute("select count(*) from truth_all").fetchone()[0]
    return kept, total
